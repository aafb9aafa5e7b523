"""Temperature scaling and the calibration error: the functions, and the classifier that uses them."""

import numpy as np
import pytest
from helpers import FAST

from skdigits.calibration import expected_calibration_error, fit_temperature, scale_probabilities


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_scaling_keeps_the_order_of_classes_and_sums_to_one():
    rng = np.random.default_rng(0)
    proba = _softmax(rng.normal(size=(200, 10)) * 3)
    for temperature in (0.3, 1.0, 4.0):
        scaled = scale_probabilities(proba, temperature)
        np.testing.assert_allclose(scaled.sum(axis=1), 1, rtol=1e-12)
        np.testing.assert_array_equal(scaled.argmax(axis=1), proba.argmax(axis=1))
    np.testing.assert_array_equal(scale_probabilities(proba, 1.0), proba)
    assert scale_probabilities(proba, 0.3).max(axis=1).mean() > proba.max(axis=1).mean()  # sharper
    zero = scale_probabilities(np.array([[1.0, 0.0]], np.float32), 0.5)  # an underflowed softmax output
    assert np.isfinite(zero).all() and zero.dtype == np.float32


def test_the_fitted_temperature_undoes_a_known_softening():
    rng = np.random.default_rng(1)
    truth = _softmax(rng.normal(size=(20_000, 10)) * 4)
    classes = np.array([rng.choice(10, p=row) for row in truth])
    timid = scale_probabilities(truth, 2.5)  # what a label-smoothed network does, roughly
    temperature = fit_temperature(timid, classes)
    assert temperature == pytest.approx(1 / 2.5, rel=0.05)
    assert expected_calibration_error(scale_probabilities(timid, temperature), classes) < \
        expected_calibration_error(timid, classes) / 3


def test_expected_calibration_error_by_hand():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    # bins (15): 0.9 -> bin 13 (2 samples, 1 right: |0.9-0.5|), 0.6 -> bin 9 (right: |0.6-1|), 0.7 -> bin 10 (right)
    expected = 0.5 * 0.4 + 0.25 * 0.4 + 0.25 * 0.3
    assert expected_calibration_error(proba, [0, 1, 0, 1]) == pytest.approx(expected)
    assert fit_temperature(np.zeros((0, 3)), []) == 1.0


def test_the_classifier_calibrates_without_changing_a_prediction(small_images):
    from skdigits import CNNDigitClassifier

    X, y = small_images
    scaled = CNNDigitClassifier(**FAST).fit(X, y)
    raw = CNNDigitClassifier(**FAST, temperature_scaling=False).fit(X, y)
    assert raw.temperature_ == 1.0
    assert 0.05 <= scaled.temperature_ <= 20 and scaled.temperature_ != 1.0
    np.testing.assert_allclose(scaled.predict_proba(X),
                               scale_probabilities(raw.predict_proba(X), scaled.temperature_), atol=1e-6)
    np.testing.assert_array_equal(scaled.predict(X), raw.predict(X))
    index = np.searchsorted(scaled.classes_, y)

    def log_loss(proba):
        return -np.mean(np.log(proba[np.arange(len(y)), index]))

    assert log_loss(scaled.predict_proba(X)) <= log_loss(raw.predict_proba(X))  # fitted on these very images


def test_with_a_validation_split_the_temperature_is_fitted_on_it(small_images):
    from skdigits import CNNDigitClassifier

    X, y = small_images
    model = CNNDigitClassifier(**FAST, validation_split=0.25).fit(X, y)
    assert 0.05 <= model.temperature_ <= 20


def test_both_loaders_keep_the_temperature(small_images, tmp_path):
    from skdigits import CNNDigitClassifier, load_model, load_predictor, save_model

    X, y = small_images
    model = CNNDigitClassifier(**FAST).fit(X, y)
    path = save_model(model, tmp_path / "model.skdigits")
    assert load_model(path).temperature_ == model.temperature_
    assert load_predictor(path).temperature == model.temperature_
    for loaded in (load_model(path), load_predictor(path)):
        np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-5)
