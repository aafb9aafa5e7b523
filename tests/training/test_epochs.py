"""epochs="auto": 15 epochs on small training sets, 8 on Kaggle-sized ones, and the schedule spans what is trained."""

import numpy as np
import pytest
from helpers import FAST

from skdigits import CNNDigitClassifier
from skdigits._training import epochs as auto
from skdigits._training.epochs import resolve_epochs


def test_auto_is_15_epochs_up_to_10000_images_and_8_from_40000():
    assert [resolve_epochs("auto", n) for n in (1, 8_000, 10_000)] == [15, 15, 15]
    assert [resolve_epochs("auto", n) for n in (40_000, 42_000, 60_000, 10**9)] == [8, 8, 8, 8]


def test_auto_falls_in_steps_of_one_between_the_two():
    counts = [resolve_epochs("auto", n) for n in range(10_000, 40_001, 100)]
    assert counts[0] == 15 and counts[-1] == 8
    assert all(0 <= a - b <= 1 for a, b in zip(counts, counts[1:]))
    assert set(counts) == set(range(8, 16))


@pytest.mark.parametrize("epochs", [1, 3, np.int64(7)])
def test_a_number_of_epochs_is_kept(epochs):
    assert resolve_epochs(epochs, 42_000) == int(epochs)
    assert type(resolve_epochs(epochs, 42_000)) is int


@pytest.fixture
def small_thresholds(monkeypatch):
    """Move the two sizes down to the test's few images, so that a fit of seconds shows the rule (in float32).

    ``precision="auto"`` trains in float32 here whatever the CPU, so that the counts are float32's
    (tests/training/test_precision.py checks bfloat16's).
    """
    from skdigits._training import precision

    monkeypatch.setattr(auto, "SMALL_TRAINING_SET", 100)
    monkeypatch.setattr(auto, "LARGE_TRAINING_SET", 300)
    monkeypatch.setattr(precision, "cpu_computes_bfloat16", lambda: False)


class _RateRecorder:
    """Record the optimizer's learning rate at every batch (a Keras callback, built lazily)."""

    def __new__(cls):
        from skdigits._training.backend import keras

        class Recorder(keras.callbacks.Callback):
            rates = []

            def on_train_batch_end(self, batch, logs=None):
                self.rates.append(float(self.model.optimizer.learning_rate))

        return Recorder()


@pytest.mark.parametrize("n_images, expected", [(100, 15), (200, 12), (300, 8), (400, 8)])
def test_a_fit_trains_the_epochs_auto_gives_for_its_images(small_images, small_thresholds, n_images, expected):
    X, y = small_images
    clf = CNNDigitClassifier(**{**FAST, "epochs": "auto"}).fit(X[:n_images], y[:n_images])
    assert len(clf.history_["loss"]) == expected
    assert clf.epochs == "auto"  # the parameter stays as given


def test_auto_counts_the_images_left_after_the_validation_part(small_images, small_thresholds):
    X, y = small_images
    clf = CNNDigitClassifier(**{**FAST, "epochs": "auto", "validation_split": 0.25}).fit(X[:400], y[:400])
    assert len(clf.history_["loss"]) == 8  # 300 training images
    clf = CNNDigitClassifier(**{**FAST, "epochs": "auto", "validation_split": 0.5}).fit(X[:400], y[:400])
    assert len(clf.history_["loss"]) == 12  # 200


def test_the_one_cycle_schedule_ends_with_the_last_epoch_auto_trains(small_images, small_thresholds):
    X, y = small_images
    rates = _RateRecorder()
    clf = CNNDigitClassifier(**{**FAST, "epochs": "auto", "lr_schedule": "one-cycle", "learning_rate": 0.004,
                                "callbacks": [rates]}).fit(X[:400], y[:400])
    assert len(clf.history_["loss"]) == 8
    # Annealed to the peak / 1e4 by the last batch, not part-way (15 epochs) or past the end.
    assert rates.rates[-1] < 0.004 / 1e3
    assert max(rates.rates) == pytest.approx(0.004, rel=0.05)


def test_partial_fit_trains_one_epoch_with_auto(small_images, small_thresholds):
    X, y = small_images
    clf = CNNDigitClassifier(**{**FAST, "epochs": "auto"}).partial_fit(X[:400], y[:400], classes=np.arange(10))
    assert len(clf.history_["loss"]) == 1


@pytest.mark.parametrize("bad", ["Auto", "15", 0, 2.5, True])
def test_other_values_are_refused_by_name(small_images, bad):
    from skdigits.exceptions import InvalidParameterError

    X, y = small_images
    with pytest.raises(InvalidParameterError, match="'epochs' parameter"):
        CNNDigitClassifier(**{**FAST, "epochs": bad}).fit(X[:50], y[:50])
