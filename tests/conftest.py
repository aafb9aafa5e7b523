"""Shared fixtures: small real digit data. Shared helpers (FAST, SHARED_DATA, ...) are in helpers.py."""

import os

import numpy as np
import pytest
from helpers import SHARED_DATA

# Keep TensorFlow to the two cores the suite is sized for, and quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def small_digits():
    """400 of scikit-learn's 8x8 digits: pixels 0..16 as (n, 64) float rows, int labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


@pytest.fixture(scope="session")
def small_images(small_digits):
    """The same digits as float32 (n, 8, 8, 1) images in [0, 1]."""
    X, y = small_digits
    return (X / 16.0).astype(np.float32).reshape(-1, 8, 8, 1), y


@pytest.fixture(scope="session")
def mnist_sample():
    """2,000 real 28x28 MNIST digits as (n, 784) uint8 rows; skipped without ../shared."""
    path = SHARED_DATA / "mnist_train_8k.npz"
    if not path.exists():
        pytest.skip(f"{path} not found (it lives in ../shared beside the repo)")
    with np.load(path) as data:
        return data["X"][:2000].reshape(2000, -1), data["y"][:2000].astype(np.int64)
