"""Learning-rate schedules, applied per batch by a Keras callback.

A callback rather than a ``keras.optimizers.schedules`` object keeps the
saved network free of custom objects (the safe format loads only Keras'
own classes) and lets ``partial_fit`` continue a schedule where the
previous epoch left it.
"""

import math

# Smith's one-cycle policy with the constants of PyTorch's OneCycleLR: warm up
# from peak/25 over the first 30 % of the steps, then anneal to peak/1e4,
# both along a cosine.
_WARMUP_FRACTION = 0.3
_START_DIVISOR = 25.0
_FINAL_DIVISOR = 1e4


def one_cycle_rate(progress, peak):
    """Learning rate of the one-cycle policy at a point of training.

    Parameters
    ----------
    progress : float
        Fraction of all training steps done, in [0, 1]; larger values are
        treated as 1.
    peak : float
        The largest learning rate, reached after 30 % of the steps.

    Returns
    -------
    float
        ``peak / 25`` at the start, ``peak`` at 30 %, ``peak / 1e4`` at the end.
    """
    progress = min(max(progress, 0.0), 1.0)
    if progress < _WARMUP_FRACTION:
        low, high, t = peak / _START_DIVISOR, peak, progress / _WARMUP_FRACTION
    else:
        low, high, t = peak, peak / _FINAL_DIVISOR, (progress - _WARMUP_FRACTION) / (1 - _WARMUP_FRACTION)
    return high + (low - high) * (1 + math.cos(math.pi * t)) / 2


def schedule_callback(name, *, peak, total_epochs, steps_per_epoch):
    """Return the Keras callback that applies schedule ``name``, or None for ``"constant"``.

    Parameters
    ----------
    name : {"constant", "one-cycle"}
        The schedule.
    peak : float
        The optimizer's learning rate, used as the schedule's largest rate.
    total_epochs : int
        Epochs the schedule spans (the estimator's ``epochs``).
    steps_per_epoch : int
        Batches per epoch.

    Returns
    -------
    keras.callbacks.Callback or None
    """
    if name == "constant":
        return None
    from skdigits._training.backend import keras

    total_steps = max(total_epochs * steps_per_epoch, 1)

    class OneCycle(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._first_step = epoch * steps_per_epoch

        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate = one_cycle_rate((self._first_step + batch) / total_steps, peak)

    return OneCycle()
