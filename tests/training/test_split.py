"""The validation split: its size is known before the fit, so reports can say how many digits a network trained on."""

import numpy as np
import pytest

from skdigits._training.loop import split, validation_size


@pytest.mark.parametrize("n, fraction", [(300, 0.1), (241, 0.1), (1000, 0.25), (57, 0.33), (20, 0.5)])
def test_validation_size_is_the_size_split_holds_out(n, fraction):
    y = np.arange(n) % 10
    train, val = split(y, fraction, np.random.RandomState(0))
    assert len(val) == validation_size(n, fraction)
    assert len(train) + len(val) == n and not set(train) & set(val)


def test_no_validation_split_holds_out_nothing():
    assert validation_size(1234, 0.0) == 0
