"""SIGTERM as an exception, and writes that hold it back until a safe point.

SIGTERM (what ``kill``, ``timeout``, systemd and container runtimes send)
kills a Python process at once by default, without running ``finally``
blocks, so a save in progress would leave its temp file behind. Here it
raises :class:`Terminated` instead: a ``SystemExit`` with status 143
(128 + SIGTERM), so an uncaught one ends the process with the status a
shell expects after SIGTERM, and ``except Exception`` does not swallow it.
Training defers both signals to the end of a batch:
:mod:`skdigits._training.interrupt`.
"""

import contextlib
import signal
import threading

from skdigits.exceptions import Terminated

__all__ = ["Terminated", "raise_terminated", "in_main_thread", "terminate_on_sigterm", "sigterm_at_safe_points"]


def raise_terminated(signum, frame):
    raise Terminated


def in_main_thread():
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
        a batch inside :func:`skdigits._training.interrupt.deferred_keyboard_interrupt`, and to a safe
        point inside :func:`sigterm_at_safe_points`).
    """
    previous = None
    if in_main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
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
    :func:`skdigits._training.interrupt.deferred_keyboard_interrupt`, SIGTERM stays deferred to the end
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
    if in_main_thread() and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, raise_terminated):
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
