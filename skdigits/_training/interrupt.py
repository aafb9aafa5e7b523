"""Ctrl-C (SIGINT) and SIGTERM during training: stop Keras at the end of a batch, then raise.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main
thread next checks for signals, and TensorFlow's C++ runtime checks too. An
exception raised there can abort the whole process ("free(): invalid
pointer", SIGABRT) instead of unwinding. Inside
:func:`deferred_keyboard_interrupt`, Ctrl-C and SIGTERM only set a flag; a
Keras callback stops training at the end of the current batch, and the
exception is raised afterwards, in Python. SIGTERM raises
:class:`~skdigits.exceptions.Terminated` (see :mod:`skdigits.utils.signals`).

TensorFlow is imported lazily, so importing this module stays cheap.
"""

import contextlib
import functools
import signal

from skdigits.exceptions import Terminated
from skdigits.utils.signals import in_main_thread, raise_terminated

__all__ = ["deferred_keyboard_interrupt"]


class _Deferred:
    """A SIGINT or SIGTERM handler that records the first signal and then steps aside."""

    def __init__(self, signum, previous):
        self.signum, self.previous = signum, previous
        self.interrupted = False

    def __call__(self, signum, frame):
        self.interrupted = True
        # A second signal reaches the previous handler and interrupts at once,
        # the way out of a batch that never ends.
        signal.signal(self.signum, self.previous)


# The handlers that mean "nobody chose what this signal does": defer them during training.
_DEFAULTS = {signal.SIGINT: (signal.default_int_handler,), signal.SIGTERM: (signal.SIG_DFL, raise_terminated)}


@functools.cache
def _stop_callback_class():
    from skdigits._training.backend import keras

    class StopOnInterrupt(keras.callbacks.Callback):
        """Stop training at the end of the batch during which Ctrl-C or SIGTERM came."""

        def __init__(self, guards):
            super().__init__()
            self._guards = guards

        def on_train_batch_end(self, batch, logs=None):
            if any(guard.interrupted for guard in self._guards):
                self.model.stop_training = True

    return StopOnInterrupt


@contextlib.contextmanager
def deferred_keyboard_interrupt():
    """Defer Ctrl-C and SIGTERM during Keras training to the end of the current batch.

    In the main thread, while Python's own SIGINT handler
    (:func:`signal.default_int_handler`) is installed, the first Ctrl-C only
    sets a flag: the yielded callback then stops training at the end of the
    current batch, and KeyboardInterrupt is raised when the block exits.
    SIGTERM is treated the same way while its handler is the default
    (``SIG_DFL``) or :func:`terminate_on_sigterm`'s, and raises
    :class:`Terminated` (exit status 143) instead; it wins if both came. A
    second signal of the same kind gets the previous handler back and
    interrupts at once (for SIGTERM with ``SIG_DFL``, that ends the
    process). The previous handlers are restored on exit.

    Any other handler is left alone: ``SIG_IGN`` (a background job) must
    keep ignoring the signal, and a handler of the caller's own means they
    chose what it does. Outside the main thread no handler can be
    installed. In those cases the callback never stops training. Nested
    blocks share the outermost block's flags, so an inner fit stops, and
    raises, on the first signal.

    Yields
    ------
    keras.callbacks.Callback
        Add it to the ``callbacks`` of ``keras.Model.fit``.

    Raises
    ------
    Terminated
        On exit from the block, if SIGTERM came while it ran.
    KeyboardInterrupt
        On exit from the block, if Ctrl-C (and no SIGTERM) came while it ran.
    """
    guards, owned = {}, []
    if in_main_thread():
        for signum, defaults in _DEFAULTS.items():
            current = signal.getsignal(signum)
            if isinstance(current, _Deferred):
                guards[signum] = current
            elif current in defaults:
                guards[signum] = _Deferred(signum, current)
                signal.signal(signum, guards[signum])
                owned.append(guards[signum])
    try:
        yield _stop_callback_class()(tuple(guards.values()))
    finally:
        for guard in owned:
            signal.signal(guard.signum, guard.previous)
    if signal.SIGTERM in guards and guards[signal.SIGTERM].interrupted:
        raise Terminated
    if signal.SIGINT in guards and guards[signal.SIGINT].interrupted:
        raise KeyboardInterrupt
