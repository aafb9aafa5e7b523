"""Shared fixtures: small real digit data and fast network settings."""

import os
import signal
from pathlib import Path

import numpy as np
import pytest

# Keep TensorFlow to the two cores the suite is sized for, and quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# A network small enough to train in well under a second on 8x8 digits.
FAST = dict(filters=(8,), kernel_sizes=3, dense_units=16, epochs=2, batch_size=32, random_state=0)


def interruptible():
    """``preexec_fn`` for a child process that a test sends SIGINT: let Python raise KeyboardInterrupt in it.

    A shell starts background jobs (``pytest ... &``, nohup) with SIGINT
    ignored, children inherit that, and Python installs no Ctrl-C handler
    where SIGINT is ignored: the signal would then be lost and the test fail
    for a reason that is not the code's.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
