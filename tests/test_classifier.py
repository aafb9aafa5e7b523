import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn.base
from helpers import FAST
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError

from skdigits import FAST_RECIPE, CNNDigitClassifier
from skdigits._training.backend import keras, tf
from skdigits._training.loop import batches


def _fit(X, y, **params):
    return CNNDigitClassifier(**{**FAST, **params}).fit(X, y)


def test_is_a_classifier_with_sorted_classes(small_images):
    X, y = small_images
    clf = _fit(X, y)
    assert is_classifier(clf)
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.n_classes_ == 10 and clf.n_features_in_ == 64 and clf.image_shape_ == (8, 8)
    proba = clf.predict_proba(X[:50])
    assert proba.shape == (50, 10) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X[:50]), clf.classes_[proba.argmax(axis=1)])
    assert set(clf.history_) == {"loss", "accuracy"}
    assert len(clf.history_["loss"]) == FAST["epochs"]
    assert all(isinstance(v, float) for v in clf.history_["loss"])


def test_a_subclass_keeps_the_classifiers_tags(small_images):
    X, y = small_images

    class Subclass(CNNDigitClassifier):
        pass

    order = Subclass.__mro__
    assert order.index(CNNDigitClassifier) < order.index(sklearn.base.ClassifierMixin)
    clf = Subclass(**FAST).fit(X, y)
    assert is_classifier(clf)
    assert clf.__sklearn_tags__().classifier_tags.multi_label is False
    assert clf.predict(X[:5]).shape == (5,)


def test_it_learns_digits(small_images):
    X, y = small_images
    clf = _fit(X[:300], y[:300], filters=(16, 32), dense_units=64, dropout=0.2, epochs=15,
               learning_rate=0.01, optimizer="adam")
    assert clf.score(X[300:], y[300:]) > 0.85
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


def test_predicting_twice_gives_identical_results(small_images):
    X, y = small_images
    clf = _fit(X, y, augment=True)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_an_images_probabilities_do_not_depend_on_its_batch(small_images):
    X, y = small_images
    clf = _fit(X, y)
    whole = clf.predict_proba(X[:150])
    order = np.random.RandomState(0).permutation(150)
    np.testing.assert_array_equal(clf.predict_proba(X[:150][order]), whole[order])
    for i in (0, 63, 64, 149):
        np.testing.assert_array_equal(clf.predict_proba(X[i : i + 1]), whole[i : i + 1])


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]),
        np.arange(10) * 10 + 5,
    ],
)
def test_labels_of_any_kind(small_images, labels):
    X, y = small_images
    named = labels[y]
    clf = _fit(X, named)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X)) <= set(labels)
    assert clf.predict(X).dtype == named.dtype


def test_a_subset_of_the_digits(small_images):
    X, y = small_images
    keep = np.isin(y, [3, 5, 7])
    clf = _fit(X[keep], y[keep])
    np.testing.assert_array_equal(clf.classes_, [3, 5, 7])
    assert clf.predict_proba(X[keep]).shape == (keep.sum(), 3)
    assert set(clf.predict(X)) <= {3, 5, 7}


def test_pandas_input(small_digits):
    X, y = small_digits
    frame = pd.DataFrame(X / 16.0, columns=[f"pixel{i}" for i in range(64)])
    clf = _fit(frame, pd.Series(y, name="label"))
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert clf.predict(frame).shape == (len(y),)


def test_same_seed_same_model_other_seed_other_model(small_images):
    X, y = small_images
    a = _fit(X, y, random_state=0, validation_split=0.2).predict_proba(X)
    b = _fit(X, y, random_state=0, validation_split=0.2).predict_proba(X)
    c = _fit(X, y, random_state=1, validation_split=0.2).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_seeded_fit_leaves_no_global_random_state(small_images):
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config

    X, y = small_images
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002 (the global state itself)
    _fit(X, y, random_state=42)
    assert context.global_seed() is None
    assert not config.is_op_determinism_enabled()
    assert random.getstate() == py_state
    new_np_state = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(a, b) for a, b in zip(np_state, new_np_state))
    # The trap scikeras sets: unseeded random ops after a seeded fit.
    unseeded = _fit(X, y, random_state=None)
    assert unseeded.predict(X).shape == y.shape
    tf.random.uniform((2,))


def test_a_seeded_fit_does_not_depend_on_tensorflows_global_seed(tmp_path):
    # In a child process: setting the global seed here would change the other tests' fits. The second fit
    # follows both a global seed and the first fit's draws from TensorFlow's global streams.
    script = (
        "import sys, numpy as np; from skdigits import CNNDigitClassifier\n"
        "from skdigits._training.backend import keras\n"
        "X = np.random.RandomState(0).rand(64, 64).astype('float32'); y = np.arange(64) % 4\n"
        "def fit():\n"
        "    return CNNDigitClassifier(filters=(4,), dense_units=8, epochs=2, batch_size=8, validation_split=0.25,\n"
        "                              random_state=0).fit(X, y).predict_proba(X)\n"
        "unseeded = fit()\n"
        "keras.utils.set_random_seed(0)\n"
        "np.save(sys.argv[1], np.stack([unseeded, fit()]))\n"
    )
    out = tmp_path / "probabilities.npy"
    subprocess.run([sys.executable, "-c", script, str(out)], check=True, capture_output=True, timeout=300)
    unseeded, seeded = np.load(out)
    np.testing.assert_array_equal(unseeded, seeded)


def test_each_epoch_is_a_fresh_seeded_permutation_of_the_rows():
    X, y = np.zeros((10, 1), dtype="float32"), np.arange(10)

    def epochs(seed, n=3):
        ds = batches((X, y), 4, shuffle_seed=seed)
        assert ds.cardinality() == 3  # Keras needs the length for its progress bar and epoch ends
        return [np.concatenate([labels.numpy() for _, labels in ds]) for _ in range(n)]

    first = epochs(0)
    for order in first:
        np.testing.assert_array_equal(np.sort(order), y)
    assert not np.array_equal(first[0], first[1])
    np.testing.assert_array_equal(np.stack(first), np.stack(epochs(0)))
    assert not np.array_equal(np.stack(first), np.stack(epochs(1)))


def test_fit_trains_each_epoch_on_one_fresh_pass_over_the_rows(monkeypatch):
    import skdigits.classifier

    seen = []  # the labels of every training batch Keras reads, in order

    def recording(arrays, batch_size, shuffle_seed=None):
        ds = batches(arrays, batch_size, shuffle_seed)
        if shuffle_seed is None:  # the validation pass
            return ds

        def record(*batch):
            tf.py_function(lambda labels: seen.append(labels.numpy()), [batch[1]], [])
            return batch

        return ds.map(record)

    monkeypatch.setattr(skdigits.classifier, "batches", recording)
    n, epochs = 20, 3
    X, y = np.random.RandomState(0).rand(n, 64).astype("float32"), np.arange(n)  # one row per class
    CNNDigitClassifier(filters=(2,), dense_units=4, epochs=epochs, batch_size=8, augment=False,
                       random_state=0).fit(X, y)
    orders = np.concatenate(seen).reshape(epochs, n)
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), y)
    assert len({tuple(order) for order in orders}) == epochs


def test_unseeded_fits_differ(small_images):
    X, y = small_images
    a = _fit(X, y, random_state=None).predict_proba(X)
    b = _fit(X, y, random_state=None).predict_proba(X)
    assert not np.array_equal(a, b)


def test_random_state_instance_is_accepted(small_images):
    X, y = small_images
    clf = _fit(X, y, random_state=np.random.RandomState(0))
    assert clf.predict(X).shape == y.shape


class _WeightRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_restores_the_best_weights(small_images):
    X, y = small_images
    recorder = _WeightRecorder()
    clf = _fit(X, y, epochs=40, validation_split=0.25, patience=0, learning_rate=0.05,
               optimizer="adam", callbacks=[recorder])
    val_loss = clf.history_["val_loss"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} == set(clf.history_)
    assert len(val_loss) < 40, "patience=0 should stop at the first epoch without improvement"
    best = recorder.weights[int(np.argmin(val_loss))]
    for final, kept in zip(clf.model_.get_weights(), best):
        np.testing.assert_array_equal(final, kept)


def test_optimizer_instance_is_copied_not_trained(small_images):
    X, y = small_images
    given = keras.optimizers.Adam(learning_rate=0.005)
    clf = _fit(X, y, optimizer=given, learning_rate=None, lr_schedule="constant")
    assert clf.optimizer is given
    assert int(given.iterations) == 0
    assert clf.model_.optimizer is not given
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.005)
    # learning_rate, unless None, overrides the instance's rate: the default peak.
    default = CNNDigitClassifier().learning_rate
    assert default == FAST_RECIPE["learning_rate"] != 0.005
    rates = _RateRecorder()
    _fit(X, y, optimizer=given, callbacks=[rates])
    assert max(rates.rates) == pytest.approx(default, rel=0.01)


class _RateRecorder(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.rates = getattr(self, "rates", []) + [float(self.model.optimizer.learning_rate)]


def test_one_cycle_schedule_warms_up_then_anneals(small_images):
    X, y = small_images
    recorder = _RateRecorder()
    clf = _fit(X, y, epochs=4, optimizer="adam", learning_rate=0.01, lr_schedule="one-cycle", callbacks=[recorder])
    rates = np.array(recorder.rates)
    steps = 4 * int(np.ceil(len(X) / FAST["batch_size"]))
    assert len(rates) == steps
    peak = int(np.argmax(rates))
    assert rates[0] == pytest.approx(0.01 / 25, rel=1e-3)
    assert rates.max() == pytest.approx(0.01, rel=1e-2) and abs(peak - 0.3 * steps) <= 1
    assert np.all(np.diff(rates[: peak + 1]) > 0) and np.all(np.diff(rates[peak:]) < 0)
    assert rates[-1] < 0.01 / 100  # the last step starts 1/steps before the end (0.01 / 1e4)
    assert clf.optimizer == "adam" and clf.learning_rate == 0.01  # parameters untouched


def test_partial_fit_continues_the_schedule(small_images):
    X, y = small_images
    recorder = _RateRecorder()
    clf = CNNDigitClassifier(**{**FAST, "epochs": 3, "lr_schedule": "one-cycle", "callbacks": [recorder]})
    for _ in range(3):
        clf.partial_fit(X, y)
    whole = _RateRecorder()
    _fit(X, y, epochs=3, lr_schedule="one-cycle", callbacks=[whole])
    np.testing.assert_allclose(recorder.rates, whole.rates, rtol=1e-6)


def test_batch_norm_adds_a_normalisation_before_each_relu(small_images):
    X, y = small_images
    clf = _fit(X, y, filters=(8, 16), batch_norm=True)
    names = [layer.name for layer in clf.model_.layers]
    assert [n for n in names if n.endswith("_bn")] == ["conv1_bn", "conv2_bn", "dense_bn"]
    for name in ("conv1", "conv2", "dense"):
        layer = clf.model_.get_layer(name)
        assert not layer.use_bias and layer.activation.__name__ == "linear"
        assert names.index(f"{name}_bn") == names.index(name) + 1
        assert names.index(f"{name}_relu") == names.index(name) + 2
    proba = clf.predict_proba(X[:64])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_fits_leave_no_traced_graphs_in_tensorflows_gradient_registry(small_images):
    from skdigits.utils.compat import tensorflow_gradient_registry

    X, y = small_images
    registry = tensorflow_gradient_registry()
    _fit(X, y)  # the first fit may register TensorFlow's own lazily loaded gradients
    size = len(registry)
    clf = _fit(X, y)
    clf.partial_fit(X, y)  # retraces nothing, still trains
    _fit(X, y, validation_split=0.25)
    assert len(registry) == size
    assert len(clf.history_["loss"]) == FAST["epochs"] + 1


def test_one_pixel_high_images(small_digits):
    X, y = small_digits
    clf = _fit(X[:, :10] / 16.0, y, image_shape=(1, -1))
    assert clf.image_shape_ == (1, 10)
    assert clf.predict(X[:5, :10] / 16.0).shape == (5,)


def test_partial_fit_adds_epochs(small_images):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST)
    clf.partial_fit(X, y)
    first = clf.model_.get_weights()
    clf.partial_fit(X, y)
    assert len(clf.history_["loss"]) == 2
    assert any(not np.array_equal(a, b) for a, b in zip(first, clf.model_.get_weights()))


def test_verbose_zero_prints_nothing(small_images, capfd):
    X, y = small_images
    _fit(X, y, verbose=0).predict(X)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        CNNDigitClassifier().predict(np.zeros((1, 784)))


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.zeros((4, 785)), [0, 1, 0, 1], ValueError, "label column still in X"),
        (np.zeros((4, 783)), [0, 1, 0, 1], ValueError, r"783 features; expected a square image"),
        (np.zeros((4, 64)), [0.5, 1.5, 0.2, 0.1], ValueError, "Unknown label type"),
        (np.zeros((4, 64)), [0, np.nan, 0, 1], ValueError, "NaN"),
        (np.zeros((4, 64)), [0, 1, 0], ValueError, "inconsistent numbers of samples"),
        (np.full((4, 64), np.nan), [0, 1, 0, 1], ValueError, "NaN"),
        (np.zeros((4, 8, 8, 3)), [0, 1, 0, 1], ValueError, "3 channels"),
        (np.zeros((0, 64)), [], ValueError, "0 sample"),
        (np.zeros((4, 64)), [3, 3, 3, 3], ValueError, r"single class \(3\); a classifier needs"),
    ],
)
def test_bad_training_data_is_named(X, y, error, match):
    with pytest.raises(error, match=match):
        CNNDigitClassifier(**FAST).fit(X, np.asarray(y))


def test_wrong_width_at_predict_uses_sklearns_message(small_images):
    X, y = small_images
    clf = _fit(X, y)
    with pytest.raises(ValueError, match="X has 49 features, but CNNDigitClassifier is expecting 64 features"):
        clf.predict(np.zeros((2, 49)))


def test_a_network_whose_sums_overflow_is_refused_not_predicted_as_class_0(small_images):
    from skdigits.exceptions import DataError

    X, y = small_images
    model = CNNDigitClassifier(**FAST).fit(X, y)
    model.model_.set_weights([np.full_like(w, 3e38) for w in model.model_.get_weights()])
    with pytest.raises(DataError, match="non-finite probabilities for 400 of 400 images"):
        model.predict(X)
