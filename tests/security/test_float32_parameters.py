"""Classes 3 and 4 of issue 23: values finite in JSON and float64 but not in float32, and parameters that one
entry point checked and another did not.

``DigitImageTransformer(scale=1e300)`` turned every image black and
``scale=1e-300`` into NaN, with only a RuntimeWarning; a model file with
such a scale loaded and predicted one class for everything. Each is now
refused by the one constraint that the estimators, set_params (at the next
fit or transform), the model reader and the command line share. No test
here imports TensorFlow.
"""

import math
import warnings

import numpy as np
import pytest
from helpers import with_manifest

from skdigits import DigitImageTransformer, load_model, load_predictor, save_model
from skdigits.calibration import scale_probabilities
from skdigits.exceptions import InvalidParameterError, UnsafeModelError
from skdigits.images.files import load_digit_images, predict_image_files, read_image
from skdigits.images.normalize import DigitNormalizer, normalize_digit
from skdigits.utils import constraints

OVERFLOWS = [1e300, 1e39, 10**40, np.float64(3.5e38)]
UNDERFLOWS = [1e-300, 1e-39, np.float64(5e-324)]
X = np.tile(np.arange(0, 256, 16, dtype=np.uint8), 49).reshape(1, 784)


@pytest.fixture(autouse=True)
def no_runtime_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # what the attack got instead of an error
        yield


@pytest.mark.parametrize("scale", OVERFLOWS + UNDERFLOWS)
def test_a_scale_float32_cannot_hold_is_refused_by_the_transformer(scale):
    with pytest.raises(InvalidParameterError, match=r"'scale' parameter of DigitImageTransformer.*float32"):
        DigitImageTransformer(scale=scale).fit_transform(X)
    fitted = DigitImageTransformer().fit(X)
    fitted.set_params(scale=scale)  # set_params stores; the next transform checks with the same constraint
    with pytest.raises(InvalidParameterError, match="'scale'"):
        fitted.transform(X)


def test_scales_at_the_edges_of_float32_still_work():
    for scale in (1e38, 255, 1.0):
        out = DigitImageTransformer(scale=scale).fit_transform(X.astype(np.float64) * (scale / 255))
        assert np.isfinite(out).all() and 0.9 < out.max() <= 1.0


@pytest.mark.parametrize("scale", OVERFLOWS + UNDERFLOWS)
def test_the_normaliser_refuses_them_too(scale):
    image = np.zeros((28, 28), np.float64)
    with pytest.raises(InvalidParameterError, match=r"'scale' parameter of DigitNormalizer.*float32"):
        DigitNormalizer(scale=scale).fit_transform([image])
    with pytest.raises(InvalidParameterError, match="'scale' parameter of normalize_digit"):
        normalize_digit(image, scale=scale)


@pytest.mark.parametrize("name", ["learning_rate", "rotation_range", "zoom_range", "shift_range", "dropout",
                                  "block_dropout", "label_smoothing", "validation_split"])
@pytest.mark.parametrize("value", [1e300, 1e-300, 1e-40])
def test_every_real_classifier_parameter_is_checked_in_float32(name, value):
    # CLASSIFIER_CONSTRAINTS is CNNDigitClassifier._parameter_constraints (checked at fit and partial_fit),
    # and what load_predictor checks a file's classifier with.
    with pytest.raises(InvalidParameterError, match=f"'{name}'.*float32"):
        constraints.validate(constraints.CLASSIFIER_CONSTRAINTS, {name: value}, "CNNDigitClassifier")


def test_zero_stays_allowed_where_it_means_something():
    constraints.validate(constraints.CLASSIFIER_CONSTRAINTS, {"zoom_range": 0.0, "dropout": 0, "rotation_range": 0.0},
                         "CNNDigitClassifier")
    with pytest.raises(InvalidParameterError, match="learning_rate"):
        constraints.validate(constraints.CLASSIFIER_CONSTRAINTS, {"learning_rate": 0.0}, "CNNDigitClassifier")


@pytest.mark.parametrize("temperature", [1e300, 1e-300, 0.0, -1.0, math.inf, math.nan, True])
def test_a_temperature_float32_cannot_hold_is_refused(temperature):
    with pytest.raises(InvalidParameterError, match="'temperature' parameter of scale_probabilities"):
        scale_probabilities(np.array([[0.7, 0.3]], np.float32), temperature)


def test_a_tiny_temperature_gives_one_hot_rows_not_nan():
    proba = np.array([[0.5, 0.5 - 1e-7, 1e-7], [1e-30, 0.001, 0.999]], np.float32)
    out = scale_probabilities(proba, 1.2e-38)
    assert out.dtype == np.float32 and np.isfinite(out).all() and np.allclose(out.sum(axis=1), 1)
    assert out.argmax(axis=1).tolist() == [0, 2]


# ---------------------------------------------------------------- the model reader
@pytest.fixture(scope="module")
def saved_transformer(tmp_path_factory):
    return save_model(DigitImageTransformer().fit(X), tmp_path_factory.mktemp("f32") / "t.skdigits")


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e39])
def test_a_model_file_whose_scale_float32_cannot_hold_is_refused(saved_transformer, tmp_path, scale):
    path = with_manifest(saved_transformer, tmp_path / "evil.skdigits",
                         lambda m: m["estimator"]["params"].update(scale=scale))
    for load in (load_model, load_predictor):
        with pytest.raises(UnsafeModelError, match=r"evil\.skdigits.*estimator\.params\.scale.*float32"):
            load(path)


def test_the_untampered_file_still_loads(saved_transformer):
    assert np.isclose(load_predictor(saved_transformer).transform(X).max(), 240 / 255)


# ---------------------------------------------------------------- one set of constraints for every entry point
TYPO = "dark_on_light"


def test_a_polarity_typo_is_refused_by_every_entry_point_before_any_file_is_read(tmp_path):
    never_read = tmp_path / "missing.png"  # a FileNotFoundError would mean the check came too late
    calls = {
        "load_digit_images": lambda: load_digit_images(never_read, polarity=TYPO),
        "predict_image_files": lambda: predict_image_files(object(), never_read, polarity=TYPO),
        "DigitNormalizer": lambda: DigitNormalizer(polarity=TYPO).fit_transform([np.zeros((28, 28))]),
        "normalize_digit": lambda: normalize_digit(np.zeros((28, 28)), polarity=TYPO),
    }
    for caller, call in calls.items():
        with pytest.raises(InvalidParameterError) as info:
            call()
        message = str(info.value)
        assert f"'polarity' parameter of {caller} must be a str among" in message, message
        assert "'dark-on-light'" in message and TYPO in message


@pytest.mark.parametrize("name, value", [("max_bytes", 0), ("max_pixels", True), ("max_images", 2.5),
                                         ("max_bytes", 2**100), ("max_pixels", "1000")])
def test_budgets_are_refused_alike_by_every_entry_point(tmp_path, name, value):
    never_read = tmp_path / "missing.png"
    for caller, call in [("load_digit_images", load_digit_images), ("read_image", read_image),
                         ("predict_image_files", lambda p, **kw: predict_image_files(object(), p, **kw))]:
        if caller == "read_image" and name == "max_images":
            continue
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {caller} must be an int"):
            call(never_read, **{name: value})


def test_predict_image_files_refuses_an_unknown_budget(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"unexpected arguments \['max_byte'\]"):
        predict_image_files(object(), tmp_path / "x.png", max_byte=10)


@pytest.mark.parametrize("argv, option", [(["train", "--learning-rate", "1e300"], "--learning-rate"),
                                          (["train", "--learning-rate", "1e-300"], "--learning-rate"),
                                          (["run", "--holdout", "1e-300"], "--holdout")])
def test_the_command_line_uses_the_same_constraints(capsys, argv, option):
    from skdigits.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "float32" in err and "Traceback" not in err
