import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import NotFittedError

from skdigits import DigitImageTransformer


def _pixels(n=3, side=28, seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=(n, side * side)).astype(np.uint8)


def test_flat_rows_become_scaled_float32_images():
    X = _pixels()
    out = DigitImageTransformer().fit_transform(X)
    assert out.shape == (3, 28, 28, 1)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.reshape(3, -1), X.astype(np.float32) / 255)


@pytest.mark.parametrize("shape", [(3, 28, 28), (3, 28, 28, 1)])
def test_image_stacks_are_accepted(shape):
    X = _pixels().reshape(shape)
    out = DigitImageTransformer().fit_transform(X)
    assert out.shape == (3, 28, 28, 1)
    np.testing.assert_array_equal(out.ravel(), X.ravel() / np.float32(255))


def test_other_square_sizes_and_scale():
    X = np.arange(2 * 64).reshape(2, 64) % 17
    t = DigitImageTransformer(scale=16).fit(X)
    assert t.image_shape_ == (8, 8)
    assert t.n_features_in_ == 64
    assert t.transform(X).max() == pytest.approx(1.0)


def test_dataframe_keeps_feature_names_and_checks_them():
    # Names of the user's own (Kaggle's pixel0..pixel783 take arrays quietly: see the test below).
    X = pd.DataFrame(_pixels(), columns=[f"px{i}" for i in range(784)])
    t = DigitImageTransformer().fit(X)
    assert list(t.feature_names_in_) == list(X.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        as_array = t.transform(X.to_numpy())
    np.testing.assert_array_equal(t.transform(X), as_array)
    with pytest.raises(ValueError, match="feature names should match"):
        t.transform(X[X.columns[::-1]])


def test_fit_transform_equals_fit_then_transform():
    X = _pixels()
    np.testing.assert_array_equal(
        DigitImageTransformer().fit_transform(X), DigitImageTransformer().fit(X).transform(X)
    )


def test_scale_none_passes_values_through():
    X = np.array([[-1.0, 2.0, 3.0, 400.0]])
    np.testing.assert_array_equal(DigitImageTransformer(scale=None).fit_transform(X).ravel(), X.ravel())


def test_image_shape_one_row():
    X = np.arange(10, dtype=float).reshape(2, 5)
    out = DigitImageTransformer(image_shape=(1, -1), scale=None).fit_transform(X)
    assert out.shape == (2, 1, 5, 1)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((2, 783)), ValueError, r"X has 783 features; expected a square image \(784 = 28x28\)"),
        (np.zeros((2, 785)), ValueError, "label column still in X"),
        (np.full((2, 784), np.nan), ValueError, "NaN"),
        (np.full((2, 784), np.inf), ValueError, "infinity"),
        (np.full((2, 784), -1.0), ValueError, "Negative values"),
        (np.full((2, 784), 256.0), ValueError, "above scale=255"),
        (np.zeros((2, 28, 28, 3)), ValueError, "3 channels"),
        (np.zeros(784), ValueError, r"1-D \(shape \(784,\)\)"),
        (np.zeros((0, 784)), ValueError, "0 sample"),
        (sp.csr_matrix(np.zeros((2, 784))), TypeError, "sparse input is not supported"),
        (None, TypeError, "X is None"),
        (np.array([["a"] * 784] * 2), ValueError, "could not convert|string"),
    ],
)
def test_bad_input_gets_a_clear_error(X, error, match):
    with pytest.raises(error, match=match):
        DigitImageTransformer().fit(X)


def test_pixels_above_scale_name_the_fix():
    with pytest.raises(ValueError, match="up to 300, above scale=255.*Pass the value of full ink"):
        DigitImageTransformer().fit(np.full((1, 784), 300.0))


def test_already_scaled_pixels_warn():
    with pytest.warns(UserWarning, match="already scaled to \\[0, 1\\].*scale=1.0"):
        DigitImageTransformer().fit(np.full((1, 784), 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DigitImageTransformer(scale=1.0).fit(np.full((1, 784), 0.5))
        DigitImageTransformer().fit(np.zeros((1, 784)))


def test_wrong_width_at_transform_time():
    t = DigitImageTransformer().fit(_pixels())
    with pytest.raises(ValueError, match="X has 64 features, but DigitImageTransformer is expecting 784"):
        t.transform(np.zeros((2, 64)))
    with pytest.raises(ValueError, match="fitted on 28x28 images"):
        t.transform(np.zeros((2, 14, 56)))


def test_transform_before_fit():
    with pytest.raises(NotFittedError):
        DigitImageTransformer().transform(_pixels())


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(1, 5), st.sampled_from([1, 2, 5, 28])).map(lambda t: (t[0], t[1], t[1])),
    )
)
def test_any_uint8_stack_round_trips(images):
    flat = images.reshape(len(images), -1)
    out = DigitImageTransformer().fit_transform(flat)
    assert out.shape == images.shape + (1,)
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(np.rint(out[..., 0] * 255).astype(np.uint8), images)


def test_a_transformer_fitted_on_kaggles_pixel_columns_takes_plain_arrays_without_a_warning():
    X = np.random.RandomState(0).randint(0, 256, (4, 784))
    kaggle = DigitImageTransformer().fit(pd.DataFrame(X, columns=[f"pixel{i}" for i in range(784)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kaggle.transform(X)  # Kaggle's names say only where a pixel is: an array's order says the same
    other = DigitImageTransformer().fit(pd.DataFrame(X, columns=[f"p{i}" for i in range(784)]))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        other.transform(X)  # names of its own: scikit-learn's warning stands
