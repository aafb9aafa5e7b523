"""Helpers that several test modules share: fast network settings, the shared data folder, child processes.

Test modules import these (``from helpers import FAST``); fixtures live in
``conftest.py``. No test module imports another.
"""

import signal
from pathlib import Path

#: Real MNIST digits beside the repository (../shared/data); tests that need them skip without it.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: A network small enough to train in well under a second on 8x8 digits.
#: Options of the command line's commands that train: a network that trains on a few hundred digits in a second.
TINY_CLI = ["--epochs", "1", "--filters", "8", "--dense-units", "16", "--batch-size", "64", "--quiet"]
FAST = dict(filters=(8,), kernel_sizes=3, dense_units=16, epochs=2, batch_size=32, random_state=0)


def interruptible():
    """``preexec_fn`` for a child process that a test sends SIGINT: let Python raise KeyboardInterrupt in it.

    A shell starts background jobs (``pytest ... &``, nohup) with SIGINT
    ignored, children inherit that, and Python installs no Ctrl-C handler
    where SIGINT is ignored: the signal would then be lost and the test fail
    for a reason that is not the code's.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# ---------------------------------------------------------------- the command line
def exit_code(argv):
    """Run ``main(argv)`` in-process; return its exit status, whether returned or raised."""
    from skdigits import cli

    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


def assert_one_line_error(err, *words):
    """stderr holds exactly one 'skdigits: error: ...' line mentioning ``words``, and no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skdigits: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], err


# ---------------------------------------------------------------- hostile model files
#: The smallest classifier worth saving: the hostile-model-file tests craft their files from it.
TINY = dict(filters=(4,), kernel_sizes=3, dense_units=8, epochs=1, batch_size=32, random_state=0)


def small_digits():
    """200 of scikit-learn's 8x8 digits as float32 images in [0, 1], and their labels."""
    import numpy as np
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:200] / 16).astype(np.float32).reshape(-1, 8, 8, 1), y[:200]


def zip_members(path):
    """``{name: bytes}`` of every member of the zip archive ``path``."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, members):
    """Write ``{name: bytes}`` as the zip archive ``path``; return ``path``."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def with_manifest(src, dst, edit):
    """Copy a model file, letting ``edit(manifest)`` change its parsed manifest."""
    import json

    members = zip_members(src)
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    return write_zip(dst, members)


def with_inner(src, dst, member, edit):
    """Copy a model file, letting ``edit(parts)`` change the {name: bytes} of its inner zip ``member``."""
    import io
    import zipfile

    members = zip_members(src)
    with zipfile.ZipFile(io.BytesIO(members[member])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist()}
    edit(parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for name, data in parts.items():
            inner.writestr(name, data)
    members[member] = buffer.getvalue()
    return write_zip(dst, members)


def refused(path, error=None, match=None):
    """Both loaders refuse ``path`` with ``error`` (UnsafeModelError) naming it; return the last message."""
    import pytest

    from skdigits import load_model, load_predictor
    from skdigits.exceptions import SkdigitsError, UnsafeModelError

    for load in (load_model, load_predictor):
        with pytest.raises(error or UnsafeModelError, match=match) as info:
            load(path)
        assert str(path) in str(info.value)
        assert isinstance(info.value, SkdigitsError) and isinstance(info.value, ValueError)
    return str(info.value)
