"""verbose="auto": a single fit shows its epochs; the fits of a cross-validation or a search stay quiet."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdigits import CNNDigitClassifier
from skdigits._training.loop import keras_verbose

TINY = dict(filters=(4,), dense_units=8, epochs=2, batch_size=32, augment=False, random_state=0)


@pytest.fixture(scope="module")
def digits():
    rng = np.random.RandomState(0)
    y = np.arange(60) % 3
    X = rng.uniform(0, 0.2, (60, 8, 8, 1)).astype(np.float32)
    X[np.arange(60), y * 2, 2, 0] = 1.0  # a bright pixel whose row says the class
    return X, y


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_an_int_is_passed_to_keras_as_it_is(verbose):
    assert keras_verbose(verbose) == verbose


def test_auto_is_the_default_and_a_single_fit_prints_one_line_per_epoch_in_a_log(digits, capfd):
    assert CNNDigitClassifier().verbose == "auto"
    CNNDigitClassifier(**TINY).fit(*digits)
    out = capfd.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "\r" not in out and "━" not in out  # no progress bar in a log (pytest's stdout is no terminal)


def test_auto_is_silent_in_the_fits_of_a_cross_validation_and_a_search(digits, capfd):
    cross_val_score(CNNDigitClassifier(**TINY), *digits, cv=2)
    GridSearchCV(CNNDigitClassifier(**TINY), {"dense_units": [4, 8]}, cv=2).fit(*digits)
    assert "Epoch" not in capfd.readouterr().out  # the folds' fits and the search's refit alike


def test_an_explicit_verbose_wins_inside_a_cross_validation(digits, capfd):
    cross_val_score(CNNDigitClassifier(**TINY, verbose=2), *digits, cv=2)
    assert capfd.readouterr().out.count("Epoch 1/2") == 2
