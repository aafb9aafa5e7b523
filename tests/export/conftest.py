"""Tiny fitted models on real MNIST digits (the embedded sample), shared by the export tests.

Each trains in about a second: one 4-filter convolution, two epochs on 500 digits. They are not
accurate, and need not be: the tests compare an exported graph with ``predict_proba`` of the same model.
"""

import numpy as np
import pytest

#: A network that trains on 500 28x28 digits in about a second; augmentation stays on (the default), so
#: the export has to leave the RandomDigitAffine layer out.
TINY = dict(filters=(4,), kernel_sizes=3, dense_units=16, epochs=2, batch_size=64, random_state=0, verbose=0)
NAMES = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])


@pytest.fixture(scope="session")
def digits():
    """500 training and 300 test digits of the embedded sample (it is sorted by label: shuffled here),
    as raw float32 pixel rows 0-255, and their labels."""
    from skdigits import load_sample

    X, y = load_sample()
    order = np.random.RandomState(0).permutation(len(X))
    X, y = X.to_numpy(dtype=np.float32)[order], y.to_numpy()[order]
    return X[:500], y[:500], X[500:800], y[500:800]


@pytest.fixture(scope="session")
def pipeline(digits):
    """make_digit_pipeline's Pipeline, fitted: what ``skdigits train`` saves."""
    from skdigits import make_digit_pipeline

    X, y, _, _ = digits
    return make_digit_pipeline(**TINY).fit(X, y)


@pytest.fixture(scope="session")
def ensemble(digits):
    """A Pipeline of the transformer and an ensemble of two batch-normalised strided networks, fitted on
    digit names ("zero"...): classes_ sort them alphabetically, not in the digits' order."""
    from sklearn.pipeline import Pipeline

    from skdigits import CNNDigitClassifier, CNNEnsembleClassifier, DigitImageTransformer

    X, y, _, _ = digits
    member = CNNDigitClassifier(**{**TINY, "epochs": 1, "batch_norm": True, "downsample": "stride"})
    model = Pipeline([("images", DigitImageTransformer()),
                      ("ensemble", CNNEnsembleClassifier(member, n_estimators=2, random_state=0))])
    return model.fit(X, NAMES[y])
