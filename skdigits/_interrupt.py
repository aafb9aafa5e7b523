"""Ctrl-C (SIGINT) and SIGTERM: stop Keras training at the end of a batch, and saves at a safe point.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main
thread next checks for signals, and TensorFlow's C++ runtime checks too. An
exception raised there can abort the whole process ("free(): invalid
pointer", SIGABRT) instead of unwinding. Inside
:func:`deferred_keyboard_interrupt`, Ctrl-C and SIGTERM only set a flag; a
Keras callback stops training at the end of the current batch, and the
exception is raised afterwards, in Python.

SIGTERM (what ``kill``, ``timeout``, systemd and container runtimes send)
kills a Python process at once by default, without running ``finally``
blocks, so a save in progress would leave its temp file behind. Here it
raises :class:`Terminated` instead: a ``SystemExit`` with status 143
(128 + SIGTERM), so an uncaught one ends the process with the status a
shell expects after SIGTERM, and ``except Exception`` does not swallow it.

TensorFlow is imported lazily, so importing this module stays cheap.
"""

import contextlib
import functools
import signal
import threading

from skdigits.exceptions import Terminated

__all__ = ["Terminated", "deferred_keyboard_interrupt", "terminate_on_sigterm", "sigterm_at_safe_points"]


def _raise_terminated(signum, frame):
    raise Terminated


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def terminate_on_sigterm():
    """Make SIGTERM raise :class:`Terminated` in the main thread while the block runs.

    For a command's ``main``: ``finally`` blocks and atomic writers then
    clean up, and the process exits with status 143. Only Python's default
    SIGTERM handler (``SIG_DFL``) is replaced; ``SIG_IGN`` or a handler of
    the caller's own stays in charge. Outside the main thread this does
    nothing. The previous handler is restored on exit.

    Yields
    ------
    None

    Raises
    ------
    Terminated
        Where the main thread is when SIGTERM comes (deferred to the end of
        a batch inside :func:`deferred_keyboard_interrupt`, and to a safe
        point inside :func:`sigterm_at_safe_points`).
    """
    previous = None
    if _in_main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _SafePoints:
    """A SIGTERM handler that raises Terminated only inside :meth:`raising`, and records it elsewhere."""

    def __init__(self):
        self.received = self.raised = self.open = False

    def __call__(self, signum, frame):
        self.received = True
        if self.open:
            self.check()

    def check(self):
        """Raise Terminated now if SIGTERM came and it was not raised yet."""
        if self.received and not self.raised:
            self.raised = True
            raise Terminated

    @contextlib.contextmanager
    def raising(self):
        """While the block runs, SIGTERM raises at once (so the caller's cleanup runs)."""
        self.open = True
        try:
            self.check()
            yield
        finally:
            self.open = False


@contextlib.contextmanager
def sigterm_at_safe_points():
    """Hold SIGTERM back except where the block allows it; for writers that must clean up.

    Yields a guard: SIGTERM raises :class:`Terminated` at once only inside
    ``with guard.raising():`` (the long write), and at ``guard.check()``;
    elsewhere (creating or removing a temp file, the final rename) it is
    recorded, and raised when the block exits. So a temp file is either
    never created or always removed. Installed only in the main thread and
    over the default handler or :func:`terminate_on_sigterm`'s; inside
    :func:`deferred_keyboard_interrupt`, SIGTERM stays deferred to the end
    of the batch, and any other handler stays in charge. The previous
    handler is restored on exit.

    Yields
    ------
    guard
        Has ``raising()``, a context manager, and ``check()``.

    Raises
    ------
    Terminated
        Inside ``guard.raising()`` or at ``guard.check()`` when SIGTERM came,
        else on exit from the block; it replaces an exception raised after
        SIGTERM came, which becomes its ``__cause__``.
    """
    guard, previous = _SafePoints(), None
    if _in_main_thread() and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, _raise_terminated):
        previous = signal.signal(signal.SIGTERM, guard)
    try:
        yield guard
    except BaseException as exc:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if guard.received and not guard.raised:
            raise Terminated from exc  # the process was asked to stop: that wins over the error
        raise
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
    guard.check()


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
_DEFAULTS = {signal.SIGINT: (signal.default_int_handler,), signal.SIGTERM: (signal.SIG_DFL, _raise_terminated)}


@functools.cache
def _stop_callback_class():
    from skdigits._backend import keras

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
    if _in_main_thread():
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
