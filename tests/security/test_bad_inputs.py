"""The bad-input matrix: every kind of bad array input, at every estimator entry point.

Each must raise one of skdigits' errors (a ValueError or TypeError) or
NotFittedError, with a message that names the problem, before any TensorFlow
code runs (no TensorFlow or Keras frame in the traceback). CSV files, model files and the command line have
their own matrices in test_datasets.py, test_persistence.py and test_cli.py.
"""

import traceback

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from helpers import FAST
from sklearn.exceptions import NotFittedError

from skdigits import CNNDigitClassifier, DigitImageTransformer
from skdigits.exceptions import DataError, DataTypeError, SkdigitsError

RNG = np.random.RandomState(0)
PIXELS = RNG.randint(0, 256, (20, 64)).astype(np.float64)  # 8x8 images, 0..255
IMAGES = (PIXELS / 255).astype(np.float32)
Y = np.arange(20) % 2


def _with(value, where=(0, 0)):
    X = PIXELS.astype(object if isinstance(value, str) else type(value) if not isinstance(value, float) else float)
    X[where] = value
    return X


BAD_X = {
    "NaN": (_with(np.nan), ValueError, "NaN"),
    "inf": (_with(np.inf), ValueError, "infinity"),
    "text": (_with("seven"), ValueError, "not numbers"),
    "object cell": (PIXELS.astype(object).__setitem__((0, 0), {"a": 1}) or None, None, None),  # replaced below
    "complex": (PIXELS.astype(complex), ValueError, "Complex data not supported"),
    "None": (None, TypeError, "X is None"),
    "a dict": ({"pixel0": [1, 2]}, TypeError, "X is a dict"),
    "a string": ("train.csv", TypeError, "X is a str"),
    "1-D": (PIXELS[0], ValueError, r"1-D \(shape \(64,\)\).*reshape\(1, -1\)"),
    "0-D": (np.float64(3), ValueError, "0-D"),
    "empty": (np.zeros((0, 64)), ValueError, "0 sample"),
    "783 columns": (np.zeros((20, 783)), ValueError, "783 features; expected a square image"),
    "785 columns": (np.zeros((20, 785)), ValueError, "label column still in X"),
    "non-square width": (np.zeros((20, 50)), ValueError, "50 features; expected a square image"),
    "3 channels": (np.zeros((20, 8, 8, 3)), ValueError, "3 channels"),
    "5-D": (np.zeros((20, 8, 8, 1, 1)), ValueError, "5 dimensions"),
    "sparse": (sp.csr_matrix(PIXELS), TypeError, "sparse input is not supported"),
    "ragged rows": ([[1, 2, 3, 4], [1, 2]], ValueError, "could not be read as an array"),
    # Booleans are not pixels: True would read as 1 of 255, a nearly black pixel.
    "booleans": (PIXELS > 128, DataTypeError, r"X holds booleans.*astype\(np.uint8\) \* 255"),
    "boolean DataFrame": (pd.DataFrame(PIXELS > 128), DataTypeError, "X holds booleans"),
}
_object = PIXELS.astype(object)
_object[0, 0] = {"a": 1}
BAD_X["object cell"] = (_object, TypeError, "argument must be a string or a real number")

# Pixel range is the transformer's business; the classifier reads any real features.
BAD_PIXELS = {
    "negative pixels": (PIXELS - 300, ValueError, r"Negative values.*\[0, 255\]"),
    "pixels above 255": (PIXELS + 300, ValueError, "above scale=255"),
}

BAD_Y = {
    "y NaN": (np.r_[Y[:-1], np.nan], ValueError, "NaN"),
    "y continuous": (np.linspace(0, 1, 20), ValueError, "Unknown label type: continuous"),
    "y longer than X": (np.r_[Y, 0], ValueError, "inconsistent numbers of samples"),
    "y shorter than X": (Y[:-1], ValueError, "inconsistent numbers of samples"),
    "y 2-D": (np.c_[Y, Y], ValueError, "1d array"),
    "y None": (None, ValueError, "the target y is None"),
    "one class": (np.zeros(20), ValueError, "single class"),
    "y of objects": (np.array([object()] * 20), ValueError, "Unknown label type"),
}


def _raised_before_tensorflow(excinfo):
    frames = [f.filename for f in traceback.extract_tb(excinfo.tb)]
    deep = [f for f in frames if "/tensorflow/" in f or "/keras/src/" in f]
    assert not deep, f"the error came from inside TensorFlow/Keras: {deep[-1]}"


def _check(call, error, match):
    with pytest.raises(error, match=match) as excinfo:
        call()
    _raised_before_tensorflow(excinfo)
    if not isinstance(excinfo.value, NotFittedError):
        assert isinstance(excinfo.value, SkdigitsError), f"{type(excinfo.value).__name__} is not an skdigits error"
        assert isinstance(excinfo.value, (DataError, DataTypeError))


@pytest.fixture(scope="module")
def fitted():
    return (DigitImageTransformer().fit(PIXELS),
            CNNDigitClassifier(**FAST).fit(IMAGES.reshape(20, 8, 8, 1), Y))


@pytest.mark.parametrize("kind", sorted({**BAD_X, **BAD_PIXELS}))
def test_transformer_rejects(kind, fitted):
    X, error, match = {**BAD_X, **BAD_PIXELS}[kind]
    _check(lambda: DigitImageTransformer().fit(X), error, match)
    if kind not in ("783 columns", "785 columns", "non-square width", "empty"):
        _check(lambda: fitted[0].transform(X), error, match)


@pytest.mark.parametrize("kind", sorted(BAD_X))
def test_classifier_rejects_bad_X_in_every_method(kind, fitted):
    X, error, match = BAD_X[kind]
    shape = getattr(X, "shape", ())
    y = np.arange(shape[0] if shape else 20) % 2
    _check(lambda: CNNDigitClassifier(**FAST).fit(X, y), error, match)
    if kind in ("783 columns", "785 columns", "non-square width"):
        match = "features, but CNNDigitClassifier is expecting 64 features"
    if kind == "empty":
        return  # an empty batch predicts nothing, as in scikit-learn
    for method in ("predict", "predict_proba"):
        _check(lambda method=method: getattr(fitted[1], method)(X), error, match)
    _check(lambda: fitted[1].score(X, y), error, match)


@pytest.mark.parametrize("kind", sorted(BAD_Y))
def test_classifier_rejects_bad_labels(kind, fitted):
    y, error, match = BAD_Y[kind]
    _check(lambda: CNNDigitClassifier(**FAST).fit(IMAGES, y), error, match)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_using_an_unfitted_classifier(method):
    args = (IMAGES, Y) if method == "score" else (IMAGES,)
    _check(lambda: getattr(CNNDigitClassifier(), method)(*args), NotFittedError, "not fitted yet")


def test_images_of_another_size_at_predict(fitted):
    _check(lambda: fitted[1].predict(np.zeros((2, 9, 9, 1))), ValueError, "fitted on 8x8 images")
    _check(lambda: fitted[0].transform(np.zeros((2, 9, 9))), ValueError, "fitted on 8x8 images")


def test_boolean_labels_are_two_classes():
    # Unlike boolean pixels, boolean labels are legitimate classes, as in scikit-learn.
    clf = CNNDigitClassifier(**FAST).fit(IMAGES.reshape(20, 8, 8, 1), Y.astype(bool))
    np.testing.assert_array_equal(clf.classes_, [False, True])
    assert clf.predict(IMAGES[:3].reshape(3, 8, 8, 1)).dtype == bool
