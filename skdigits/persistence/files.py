"""Opening a model file that may be hostile: a regular file within budget, never a FIFO or a device.

The path is checked with ``os.stat`` before it is opened, and opened with
``O_NONBLOCK`` and checked again through the open descriptor, so a FIFO, a
device or a socket (or a file swapped for one in between) is refused
instead of blocking the process forever.
"""

import contextlib
import os
import stat

from skdigits.exceptions import UnsafeModelError
from skdigits.persistence import budgets

__all__ = ["open_model_file", "is_joblib", "describe_start", "ZIP_MAGIC"]

ZIP_MAGIC = b"PK\x03\x04"
# How a joblib file can start: a pickle (protocol 2+) or one of joblib's compressors.
_PICKLE_MAGIC = b"\x80"
_COMPRESSED_MAGICS = (b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00", b"\x04\x22\x4d\x18")
_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _refuse_special(path, mode):
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{path} is a directory; pass the model file inside it.")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _SPECIAL if test(mode)), "not a regular file")
        raise UnsafeModelError(f"{path} is {kind}, not a regular file; a model file is a regular file "
                               "(saved by skdigits.save_model or save_joblib). Nothing was read from it.")


@contextlib.contextmanager
def open_model_file(path, *, budget=True):
    """Open ``path`` for reading after checking it; yield ``(binary file, its first 512 bytes)``.

    ``budget=False`` skips ``MAX_FILE_BYTES`` (for joblib files, which are
    trusted or not loaded at all).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If it is a folder.
    UnsafeModelError
        If it is a FIFO, a device or a socket, or is empty.
    BudgetExceededError
        If it is larger than ``MAX_FILE_BYTES``.
    """
    if "\0" in os.fsdecode(path):  # os.stat's own "embedded null byte" names neither the file nor the fix
        raise UnsafeModelError(f"{os.fsdecode(path)!r}: a path cannot contain a NUL character (\\0); the name was "
                               "cut or built wrongly. Pass the model file's real path.")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such model file. Train one first, e.g. with 'skdigits train'.") from None
    except OSError as exc:  # a symbolic link loop, a name too long: say which file
        if isinstance(exc, PermissionError):
            raise
        raise UnsafeModelError(f"{path}: cannot read it ({exc.strerror or exc}); pass an ordinary model "
                               "file.") from None
    _refuse_special(path, mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        _refuse_special(path, info.st_mode)  # swapped for a FIFO between stat and open
        if info.st_size == 0:
            raise UnsafeModelError(f"{path}: the model file is empty (was saving it interrupted?); "
                                   "train the model again.")
        if budget:
            budgets.check("MAX_FILE_BYTES", info.st_size, budgets.MAX_FILE_BYTES, f"bytes in the model file {path}")
        start = file.read(512)
        file.seek(0)
        yield file, start


def is_joblib(start):
    """Whether a file's first bytes are those of a pickle or a joblib-compressed file."""
    return start.startswith(_PICKLE_MAGIC) or start.startswith(_COMPRESSED_MAGICS)


def describe_start(start):
    """What a file that starts with ``start`` looks like, for messages."""
    if start.startswith(ZIP_MAGIC):
        return "a zip archive (a Keras .keras file, or a skdigits safe-format model?)"
    if start.lstrip().lower().startswith((b"label", b"pixel", b"imageid")):
        return "a CSV data file"
    if b"\0" not in start:
        return "a text file"
    return "some other binary file"
