"""What has no graph equivalent is refused by name, before anything is written; unfitted models are NotFitted."""

import copy

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdigits import (
    CNNDigitClassifier,
    CNNEnsembleClassifier,
    DigitImageTransformer,
    DigitNormalizer,
    export_model,
    make_digit_pipeline,
)
from skdigits.exceptions import InvalidParameterError, UnsupportedModelError

# SavedModel needs no extra; the refusals come before either format is written.
FORMAT = "savedmodel"


def refused(model, tmp_path, error=UnsupportedModelError, match=None):
    target = tmp_path / "out"
    with pytest.raises(error, match=match) as info:
        export_model(model, target, format=FORMAT)
    assert list(tmp_path.iterdir()) == [], "a refused export wrote something"
    return str(info.value)


@pytest.mark.parametrize("model", [make_digit_pipeline(), CNNDigitClassifier(),
                                   CNNEnsembleClassifier(CNNDigitClassifier())], ids=["pipeline", "cnn", "ensemble"])
def test_an_unfitted_model_is_not_fitted(model, tmp_path):
    refused(model, tmp_path, NotFittedError)


def test_an_unfitted_step_in_a_fitted_pipeline_is_not_fitted(pipeline, tmp_path):
    unfitted = Pipeline([("images", DigitImageTransformer()), ("cnn", pipeline[-1])])
    refused(unfitted, tmp_path, NotFittedError)


def test_the_digit_normalizer_is_refused_by_name_with_what_to_do(pipeline, tmp_path):
    model = Pipeline([("normalize", DigitNormalizer()), *pipeline.steps])
    message = refused(model, tmp_path)
    assert "step 'normalize'" in message and "DigitNormalizer" in message
    assert "pipeline[1:]" in message and "before the exported model" in message


def test_another_scikit_learn_step_is_refused_by_name(pipeline, tmp_path):
    model = Pipeline([("scaler", StandardScaler().fit(np.zeros((2, 784)))), *pipeline.steps])
    message = refused(model, tmp_path)
    assert "step 'scaler'" in message and "StandardScaler" in message


def test_a_foreign_classifier_is_refused(pipeline, tmp_path):
    X = np.random.RandomState(0).rand(20, 784)
    model = Pipeline([("images", pipeline[0]), ("logistic", LogisticRegression().fit(X, np.arange(20) % 2))])
    assert "LogisticRegression" in refused(model, tmp_path)


def test_a_transformer_alone_predicts_nothing(pipeline, tmp_path):
    assert "predicts nothing" in refused(pipeline[0], tmp_path)


def test_a_subclass_is_refused_as_it_may_predict_otherwise(pipeline, tmp_path):
    class Sharper(CNNDigitClassifier):
        def predict_proba(self, X):
            return super().predict_proba(X) ** 2

    sharper = copy.copy(pipeline[-1])
    sharper.__class__ = Sharper
    assert "Sharper" in refused(sharper, tmp_path)


def test_a_network_that_is_not_skdigits_own_is_refused(pipeline, tmp_path):
    from skdigits.network.keras_model import build_cnn

    other = copy.copy(pipeline[-1])
    other.model_ = build_cnn(image_shape=(28, 28), n_classes=10, filters=(6,), kernel_sizes=3, dense_units=16)
    assert "model_.export()" in refused(other, tmp_path)


def test_an_unknown_format_is_refused(pipeline, tmp_path):
    with pytest.raises(InvalidParameterError, match="'tflite' is not one of 'onnx', 'savedmodel'"):
        export_model(pipeline, tmp_path / "out", format="tflite")


def test_onnx_without_the_extra_says_what_to_install(pipeline, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tf2onnx", None)  # as if it were not installed
    with pytest.raises(InvalidParameterError, match=r"pip install 'skdigits\[export\]'"):
        export_model(pipeline, tmp_path / "out.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_numpy_predictor_says_to_load_the_model_instead(pipeline, tmp_path):
    from skdigits import load_predictor, save_model

    saved = save_model(pipeline, tmp_path.parent / f"{tmp_path.name}-model.skdigits")
    assert "skdigits.load_model" in refused(load_predictor(saved), tmp_path)
