"""Turn Ctrl-C during Keras training into a clean stop at the end of a batch.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main
thread next checks for signals, and TensorFlow's C++ runtime checks too. An
exception raised there can abort the whole process ("free(): invalid
pointer", SIGABRT) instead of unwinding. Inside
:func:`deferred_keyboard_interrupt`, Ctrl-C only sets a flag; a Keras
callback stops training at the end of the current batch, and the
KeyboardInterrupt is raised afterwards, in Python.

TensorFlow is imported lazily, so importing this module stays cheap.
"""

import contextlib
import functools
import signal
import threading


class _DeferredSigint:
    """A SIGINT handler that records the first Ctrl-C and then steps aside."""

    def __init__(self, previous):
        self.previous = previous
        self.interrupted = False

    def __call__(self, signum, frame):
        self.interrupted = True
        # A second Ctrl-C reaches the previous handler and interrupts at once,
        # the way out of a batch that never ends.
        signal.signal(signal.SIGINT, self.previous)


@functools.cache
def _stop_callback_class():
    from skdigits._backend import keras

    class StopOnInterrupt(keras.callbacks.Callback):
        """Stop training at the end of the batch during which Ctrl-C came."""

        def __init__(self, guard):
            super().__init__()
            self._guard = guard

        def on_train_batch_end(self, batch, logs=None):
            if self._guard is not None and self._guard.interrupted:
                self.model.stop_training = True

    return StopOnInterrupt


@contextlib.contextmanager
def deferred_keyboard_interrupt():
    """Defer Ctrl-C during Keras training to the end of the current batch.

    In the main thread, while Python's own SIGINT handler
    (:func:`signal.default_int_handler`) is installed, the first Ctrl-C only
    sets a flag: the yielded callback then stops training at the end of the
    current batch, and KeyboardInterrupt is raised when the block exits. A
    second Ctrl-C gets the previous handler back and interrupts at once. The
    previous handler is restored on exit.

    Any other handler is left alone: ``SIG_IGN`` (a background job) must
    keep ignoring Ctrl-C, ``SIG_DFL`` ends the process without Python, and a
    handler of the caller's own means they chose what Ctrl-C does. Outside
    the main thread no handler can be installed. In those cases the callback
    never stops training. Nested blocks share the outermost block's flag, so
    an inner fit stops, and raises, on the first Ctrl-C.

    Yields
    ------
    keras.callbacks.Callback
        Add it to the ``callbacks`` of ``keras.Model.fit``.

    Raises
    ------
    KeyboardInterrupt
        On exit from the block, if Ctrl-C came while it ran.
    """
    guard, owner = None, False
    if threading.current_thread() is threading.main_thread():
        current = signal.getsignal(signal.SIGINT)
        if isinstance(current, _DeferredSigint):
            guard = current
        elif current is signal.default_int_handler:
            guard, owner = _DeferredSigint(current), True
            signal.signal(signal.SIGINT, guard)
    try:
        yield _stop_callback_class()(guard)
    finally:
        if owner:
            signal.signal(signal.SIGINT, guard.previous)
    if guard is not None and guard.interrupted:
        raise KeyboardInterrupt
