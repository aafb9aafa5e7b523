"""load_predictor: the NumPy forward pass matches Keras, without importing TensorFlow."""

import io
import json
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from helpers import FAST
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skdigits import (
    CNNDigitClassifier,
    CNNEnsembleClassifier,
    DigitEnsemblePredictor,
    DigitPredictor,
    load_model,
    load_predictor,
    make_digit_pipeline,
    save_model,
)

ATOL = 1e-5


def _run(script, cwd):
    """Run a script in a fresh interpreter; fail with its stderr if it fails."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _assert_matches_keras(path, X):
    """load_predictor's probabilities equal load_model's to ATOL, its predictions exactly; return the predictor."""
    keras_model, predictor = load_model(path), load_predictor(path)
    expected, proba = keras_model.predict_proba(X), predictor.predict_proba(X)
    assert proba.dtype == np.float32 and proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(predictor.predict(X), keras_model.predict(X))
    np.testing.assert_array_equal(predictor.classes_, keras_model.classes_)
    return predictor


@pytest.fixture(scope="module")
def fitted_pipe(small_digits):
    X, y = small_digits
    return make_digit_pipeline(image_shape=(8, 8), scale=16, **FAST).fit(X, y)


@pytest.fixture(scope="module")
def odd_digits(small_images):
    """The digits as 7x9 DataFrame rows (one row cropped, a blank column added), with string labels."""
    images, y = small_images
    images = np.pad(images[:, 1:, :, 0], ((0, 0), (0, 0), (0, 1)))
    frame = pd.DataFrame(images.reshape(len(images), -1), columns=[f"px{i}" for i in range(63)])
    return frame, np.array(list("abcdefghij"))[y]


@pytest.fixture(scope="module")
def odd_classifier(odd_digits):
    """Batch norm, three convolutions (the last two a block), an even kernel, 7x9 images, DataFrame, string labels."""
    X, y = odd_digits
    params = {**FAST, "filters": (4, 8, 8), "kernel_sizes": (3, 2, 5), "batch_norm": True}
    return CNNDigitClassifier(**params, image_shape=(7, 9)).fit(X, y)


def test_a_pipeline_predicts_as_with_keras(fitted_pipe, small_digits, tmp_path):
    X, y = small_digits
    pipe = _assert_matches_keras(save_model(fitted_pipe, tmp_path / "model.skdigits"), X)
    assert isinstance(pipe, Pipeline) and [name for name, _ in pipe.steps] == ["images", "cnn"]
    assert isinstance(pipe[-1], DigitPredictor) and pipe[-1].n_features_in_ == 64
    assert pipe.score(X, y) == fitted_pipe.score(X, y)
    with pytest.raises(TypeError, match="only predicts.*load_model"):
        pipe.fit(X, y)


def test_a_batch_norm_classifier_on_odd_images_predicts_as_with_keras(odd_classifier, odd_digits, tmp_path):
    X, _ = odd_digits
    predictor = _assert_matches_keras(save_model(odd_classifier, tmp_path / "clf.skdigits"), X)
    assert isinstance(predictor, DigitPredictor) and predictor.image_shape_ == (7, 9)
    np.testing.assert_array_equal(predictor.feature_names_in_, X.columns)
    assert predictor.predict(X).dtype == odd_classifier.predict(X).dtype
    # Image stacks work as with the classifier.
    stack = X.to_numpy(dtype=np.float32).reshape(-1, 7, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fitted with feature names
        np.testing.assert_array_equal(predictor.predict(stack), odd_classifier.predict(stack))


def test_an_ensemble_averages_its_members_as_with_keras(small_digits, tmp_path):
    X, y = small_digits
    member = make_digit_pipeline(image_shape=(8, 8), scale=16, **FAST)
    ensemble = CNNEnsembleClassifier(member, n_estimators=2, random_state=0).fit(X, y)
    predictor = _assert_matches_keras(save_model(ensemble, tmp_path / "ensemble.skdigits"), X)
    assert isinstance(predictor, DigitEnsemblePredictor) and len(predictor.members) == 2
    assert all(isinstance(m, Pipeline) and isinstance(m[-1], DigitPredictor) for m in predictor.members)
    assert predictor.n_features_in_ == 64


def _random_network(image_shape, batch_norm, **params):
    """A network from build_cnn with random weights (positive variances), and its architecture."""
    from skdigits.network.keras_model import build_cnn
    from skdigits.persistence.weights import check_architecture

    architecture = dict(image_shape=list(image_shape), n_classes=3, batch_norm=batch_norm, dropout=0.5,
                        augmentation=dict(rotation=10, zoom=0.1, shift=0.1), filters=[32, 64, 64],
                        kernel_sizes=[5, 3, 3], dense_units=256, downsample="max-pool", padding="same",
                        block_dropout=0.0)
    architecture.update({k: list(v) if isinstance(v, tuple) else v for k, v in params.items()})
    architecture = check_architecture(architecture, "test")
    model = build_cnn(**architecture, seed=0)
    rng = np.random.RandomState(0)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            *others, variance = layer.get_weights()
            layer.set_weights([*others, np.abs(variance) + 0.1])
    return model, architecture


CASES = [
    ((7, 9), True, dict(filters=(2, 3, 3), kernel_sizes=(3, 2, 5), dense_units=5)),  # odd sizes pool 7 -> 4 -> 2
    ((1, 7), False, dict(filters=(2, 2, 3), kernel_sizes=(3, 3, 4), dense_units=4)),  # one pixel high
    ((5, 1), True, dict(filters=(3,), kernel_sizes=(2,), dense_units=4)),  # one pixel wide
    ((28, 28), False, dict()),  # the tutorial's network
    # The accurate recipe's layers, narrower: unpadded stride-1 convolutions, strided ones, block dropout, BN.
    ((28, 28), True, dict(filters=(4, 4, 4, 6, 6, 6, 8), kernel_sizes=(3, 3, 5, 3, 3, 5, 4), dense_units=8,
                          downsample="stride", padding="valid", block_dropout=0.2)),
    # Stride 2 with "same" on odd and even sizes and an even kernel: TensorFlow pads asymmetrically.
    ((9, 8), False, dict(filters=(2, 3, 3), kernel_sizes=(4, 3, 2), dense_units=4, downsample="stride")),
    ((1, 7), True, dict(filters=(2,), kernel_sizes=(3,), dense_units=4, downsample="stride", block_dropout=0.5)),
    # Unpadded stride-1 convolutions before max-pooling, an even kernel.
    ((11, 10), False, dict(filters=(2, 3, 3), kernel_sizes=(3, 2, 3), dense_units=4, padding="valid",
                           block_dropout=0.1)),
]


@pytest.mark.parametrize("image_shape, batch_norm, params", CASES)
def test_the_forward_pass_matches_keras_layer_for_layer(image_shape, batch_norm, params):
    from skdigits.network.numpy_model import build_network

    model, architecture = _random_network(image_shape, batch_norm, **params)
    network = build_network(architecture, model.get_weights())
    assert network.image_shape == image_shape and network.n_outputs == 3
    images = np.random.RandomState(1).uniform(0, 1, (70, *image_shape, 1)).astype(np.float32)
    expected = model.predict(images, verbose=0)
    network.chunk_size = 32  # several chunks, the last one short
    np.testing.assert_allclose(network.predict(images), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("image_shape, batch_norm, params", CASES)
def test_the_description_is_build_cnns_network(image_shape, batch_norm, params):
    """The TensorFlow-free description lists build_cnn's layers, and its weights' Keras paths and shapes, in order."""
    from skdigits.network.architecture import describe, weight_shapes

    model, architecture = _random_network(image_shape, batch_norm, **params)
    steps = describe(architecture)
    assert [step.name for step in steps] == [layer.name for layer in model.layers[1:]]
    kinds = {"augment": "RandomDigitAffine", "conv2d": "Conv2D", "batch_normalization": "BatchNormalization",
             "activation": "Activation", "max_pooling2d": "MaxPooling2D", "flatten": "Flatten", "dense": "Dense",
             "dropout": "Dropout"}
    assert [kinds[step.kind] for step in steps] == [type(layer).__name__ for layer in model.layers[1:]]
    assert weight_shapes(steps) == [(w.path, tuple(w.shape)) for w in model.weights]


def test_predicting_imports_no_tensorflow(fitted_pipe, small_digits, tmp_path):
    X, _ = small_digits
    save_model(fitted_pipe, tmp_path / "model.skdigits")
    np.save(tmp_path / "X.npy", X)
    _run("""
        import sys
        import numpy as np
        import skdigits
        model = skdigits.load_predictor("model.skdigits")
        np.save("proba.npy", model.predict_proba(np.load("X.npy")))
        model.predict(np.load("X.npy")[:1])
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "scikeras", "h5py"})
        assert not heavy, f"imported {heavy}"
        """, tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "proba.npy"), fitted_pipe.predict_proba(X), rtol=0, atol=ATOL)


@pytest.fixture(scope="module")
def strided_classifier():
    """The accurate recipe's kind of network, narrow, trained one epoch on 500 real 28x28 digits."""
    from skdigits.datasets.digit_recognizer import load_sample

    X, y = load_sample()
    X, y = (X[::10] / 255).astype(np.float32), y[::10]  # 500 digits, every class (the sample is sorted by label)
    params = dict(filters=(4, 4, 8, 8, 8), kernel_sizes=(3, 5, 3, 3, 4), downsample="stride", padding="valid",
                  block_dropout=0.2, batch_norm=True, dense_units=16, dropout=0.3, epochs=1, batch_size=64,
                  label_smoothing=0.0, temperature_scaling=False, random_state=0)
    return CNNDigitClassifier(**params, image_shape=(28, 28)).fit(X, y), X


def test_a_strided_unpadded_network_saves_and_loads_in_both_loaders(strided_classifier, tmp_path):
    clf, X = strided_classifier
    path = save_model(clf, tmp_path / "strided.skdigits")
    again = load_model(path)
    assert again.get_params() == clf.get_params()
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X), rtol=0, atol=1e-6)
    predictor = _assert_matches_keras(path, X)
    np.testing.assert_allclose(predictor.predict_proba(X), clf.predict_proba(X), rtol=0, atol=ATOL)
    with zipfile.ZipFile(path) as archive:
        stored = json.loads(archive.read("manifest.json"))["estimator"]["fitted"]["network"]["architecture"]
    assert (stored["downsample"], stored["padding"], stored["block_dropout"]) == ("stride", "valid", 0.2)


NETWORK = "estimator.cnn.npz"


def test_damaged_weights_are_refused(fitted_pipe, tmp_path):
    path = save_model(fitted_pipe, tmp_path / "model.skdigits")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(io.BytesIO(members[NETWORK])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist() if n != "dense/bias.npy"}
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w") as inner:
        for name, data in parts.items():
            inner.writestr(name, data)
    members[NETWORK] = rebuilt.getvalue()
    edited = tmp_path / "edited.skdigits"
    with zipfile.ZipFile(edited, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"refused: the network 'estimator.cnn.npz' lacks the arrays "
                                         r"\['dense/bias.npy'\]") as info:
        load_predictor(edited)
    assert str(edited) in str(info.value)


def test_a_bare_transformer_loads_as_itself(small_digits, tmp_path):
    from skdigits import DigitImageTransformer

    X, _ = small_digits
    images = DigitImageTransformer(scale=16).fit(X)
    loaded = load_predictor(save_model(images, tmp_path / "t.skdigits"))
    assert isinstance(loaded, DigitImageTransformer)
    np.testing.assert_array_equal(loaded.transform(X), images.transform(X))


@pytest.mark.parametrize("estimator", [
    make_digit_pipeline(**FAST),
    CNNDigitClassifier(**FAST),
    CNNEnsembleClassifier(CNNDigitClassifier(**FAST), n_estimators=2),
], ids=["pipeline", "classifier", "ensemble"])
def test_an_unfitted_model_is_refused(estimator, tmp_path):
    path = save_model(estimator, tmp_path / "unfitted.skdigits")
    with pytest.raises(ValueError, match=r"unfitted\.skdigits: estimator.* \(\w+\) was saved unfitted; load it "
                                         "with skdigits.load_model and fit it"):
        load_predictor(path)


@pytest.mark.parametrize("bad", [
    "features", "none", "1-d", "nan", "sparse", "complex", "stack size", "strings", "empty",
])
def test_bad_input_gets_the_classifiers_message(odd_classifier, odd_digits, tmp_path, bad):
    X, _ = odd_digits
    X = X.to_numpy(dtype=np.float32)
    bad_X = {
        "features": X[:5, :10], "none": None, "1-d": X[0], "nan": np.where(X[:5] > 0.5, np.nan, X[:5]),
        "sparse": sp.csr_matrix(X[:5]), "complex": X[:5] + 1j, "stack size": X[:5, :56].reshape(5, 7, 8),
        "strings": np.full((5, 63), "x"), "empty": X[:0],
    }[bad]
    predictor = load_predictor(save_model(odd_classifier, tmp_path / "clf.skdigits"))
    errors = []
    for model in (odd_classifier, predictor):
        with warnings.catch_warnings(), pytest.raises((TypeError, ValueError)) as info:
            warnings.simplefilter("ignore", UserWarning)  # fitted with feature names
            model.predict(bad_X)
        errors.append((info.type, str(info.value).replace("CNNDigitClassifier", "DigitPredictor")))
    assert errors[1] == errors[0]


def test_the_parameter_list_used_without_tensorflow_is_the_classifiers():
    from skdigits.utils.constraints import CLASSIFIER_PARAMETERS

    assert list(CLASSIFIER_PARAMETERS) == CNNDigitClassifier._get_param_names()


def test_init_stores_parameters_only_and_a_clone_predicts_the_same(fitted_pipe, small_digits, tmp_path):
    X, _ = small_digits
    predictor = load_predictor(save_model(fitted_pipe[-1], tmp_path / "clf.skdigits"))
    assert set(vars(predictor)) == set(predictor.get_params())  # the fitted attributes are read from them
    assert not hasattr(predictor, "feature_names_in_")  # fitted on an array
    images = fitted_pipe[0].transform(X)
    np.testing.assert_array_equal(clone(predictor).predict_proba(images), predictor.predict_proba(images))
