"""Helpers that several test modules share: fast network settings, the shared data folder, child processes.

Test modules import these (``from helpers import FAST``); fixtures live in
``conftest.py``. No test module imports another.
"""

import signal
from pathlib import Path

#: Real MNIST digits beside the repository (../shared/data); tests that need them skip without it.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: A network small enough to train in well under a second on 8x8 digits.
FAST = dict(filters=(8,), kernel_sizes=3, dense_units=16, epochs=2, batch_size=32, random_state=0)


def interruptible():
    """``preexec_fn`` for a child process that a test sends SIGINT: let Python raise KeyboardInterrupt in it.

    A shell starts background jobs (``pytest ... &``, nohup) with SIGINT
    ignored, children inherit that, and Python installs no Ctrl-C handler
    where SIGINT is ignored: the signal would then be lost and the test fail
    for a reason that is not the code's.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
