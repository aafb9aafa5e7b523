"""A fit traces its training step once: the optimizer and metrics are built before Keras traces it."""

import numpy as np
import pytest
from helpers import FAST

from skdigits import CNNDigitClassifier
from skdigits._training.backend import keras


@pytest.fixture
def traced_train_steps(monkeypatch):
    """Count the Python calls of ``train_step``: tf.function calls it once per trace, never per batch."""
    calls = []
    train_step = keras.Model.train_step

    def counting(self, data):
        calls.append(self.optimizer.built)
        return train_step(self, data)

    monkeypatch.setattr(keras.Model, "train_step", counting)
    return calls


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_a_fit_traces_its_training_step_once_with_the_optimizer_built(small_images, traced_train_steps, precision):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST, precision=precision).fit(X, y)
    assert len(clf.history_["loss"]) == FAST["epochs"]
    # Unbuilt, the first trace would create the optimizer's variables and tf.function would trace again.
    assert traced_train_steps == [True]


def test_building_first_changes_no_number(small_images, monkeypatch):
    X, y = small_images
    built_first = CNNDigitClassifier(**FAST).fit(X, y)
    monkeypatch.setattr("skdigits.classifier.build_before_tracing", lambda model, dataset: None)
    traced_twice = CNNDigitClassifier(**FAST).fit(X, y)
    assert built_first.history_ == traced_twice.history_
    np.testing.assert_array_equal(built_first.predict_proba(X), traced_twice.predict_proba(X))
