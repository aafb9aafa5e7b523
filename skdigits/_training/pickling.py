"""Pickles (joblib files, estimators returned by joblib workers) of a fitted classifier, without optimizer state.

RMSprop's or Adam's running averages would double a pickle's size; a
network unpickled without them is compiled with a fresh optimizer made
from the parameters, as a loaded safe-format model is. An in-memory
``copy.deepcopy`` keeps the optimizer state: only pickles leave it out.
"""

import copy

from skdigits._training.compile import without_optimizer

__all__ = ["NetworkPickling"]


class NetworkPickling:
    """Mixin for CNNDigitClassifier: ``model_`` is pickled without its optimizer and recompiled when unpickled."""

    def __getstate__(self):
        state = dict(super().__getstate__())
        if state.get("model_") is not None:
            state["model_"] = without_optimizer(state["model_"])
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if getattr(self, "model_", None) is not None:
            self._ensure_compiled_model()

    def __deepcopy__(self, memo):
        duplicate = type(self).__new__(type(self))
        memo[id(self)] = duplicate
        vars(duplicate).update(copy.deepcopy(vars(self), memo))
        return duplicate
