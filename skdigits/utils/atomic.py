"""Write files all-or-nothing: a temp file beside the target, then ``os.replace``.

A crash, an exception, Ctrl-C or SIGTERM while writing leaves the target
exactly as it was (absent, or its previous content) and removes the temp
file. Only a regular file (or a new one) is replaced: a FIFO, ``/dev/null``
or the terminal is written in place, anything else special is refused (see
:mod:`skdigits.utils.output_paths`).
"""

import contextlib
import os
import secrets
import stat

from skdigits.exceptions import InvalidParameterError, OutputPathError
from skdigits.utils.output_paths import STREAM, check_writable, open_stream, plan_output
from skdigits.utils.signals import sigterm_at_safe_points

__all__ = ["atomic_write", "atomic_save", "check_writable", "temp_path_beside"]


_TEMP_PREFIX_BYTES = len(".tmp-12345678-")


def _name_max(folder):
    """The longest file name, in bytes, that ``folder``'s file system takes (255 where it cannot say)."""
    try:
        return os.pathconf(folder or ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # AttributeError: no pathconf on Windows
        return 255


def _name_tail(name, room):
    """The end of ``name`` that fits in ``room`` bytes: a target whose name is near the limit still gets a temp
    file, its extension kept."""
    encoded = os.fsencode(name)
    return name if len(encoded) <= room else os.fsdecode(encoded[len(encoded) - max(room, 1):])


def temp_path_beside(target):
    """A new random name for a temp file or folder beside ``target``, ending with ``target``'s name.

    Parameters
    ----------
    target : str
        The path to be written.

    Returns
    -------
    str
        ``.tmp-<8 hex digits>-<name>`` in ``target``'s folder; only the end of
        the name when the whole would pass the file system's limit on names.
    """
    folder, name = os.path.split(target)
    tail = _name_tail(name, _name_max(folder) - _TEMP_PREFIX_BYTES)
    return os.path.join(folder, f".tmp-{secrets.token_hex(4)}-{tail}")


def _create_temp(target):
    """Create an empty temp file beside ``target`` and return its path.

    Not ``tempfile.mkstemp``: it creates mode 0600, which ``os.replace`` would
    carry onto the target. ``os.open(..., 0o666)`` lets the umask decide, as a
    plain ``open(path, "w")`` does. The name ends with the target's name (its
    end only, when the whole would pass the file system's name limit), so
    writers that pick a format from the extension (``savefig``,
    ``joblib.dump``, ``to_csv`` with compression) see the right one.
    """
    folder = os.path.dirname(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for _ in range(100):
        temp = temp_path_beside(target)
        try:
            fd = os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputPathError(f"cannot write in the folder {folder!r} ({exc.strerror}).") from None
        os.close(fd)
        return temp
    raise FileExistsError(f"could not create a temporary file in {folder!r}")


def _discard(temp):
    with contextlib.suppress(OSError):
        os.remove(temp)


def _commit(temp, target):
    # The target may have been swapped for a special file since it was checked.
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.lstat(target).st_mode):
            raise OutputPathError(f"cannot write {target!r}: it became a special file while it was written.")
    if os.path.exists(target):
        # Keep an existing file's permissions, as overwriting it in place would.
        with contextlib.suppress(OSError):
            os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
    os.replace(temp, target)
    # Make the rename itself durable; best effort, and impossible on Windows.
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            fd = os.open(os.path.dirname(target), os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def _replacing(target):
    """Yield a new temp path beside ``target`` and a SIGTERM guard; move the temp onto ``target`` on success.

    On any exception, SIGTERM's Terminated included, the temp file is removed.
    SIGTERM is held back while the temp file is created and renamed; the
    caller lets it through with ``guard.raising()`` around the long write.
    """
    with sigterm_at_safe_points() as guard:
        temp = _create_temp(target)
        try:
            yield temp, guard
            guard.check()
            _commit(temp, target)
        except BaseException:
            _discard(temp)
            raise


@contextlib.contextmanager
def atomic_write(path, mode="w", **open_kwargs):
    """Open a temp file for writing that replaces ``path`` only on success.

    The temp file lives in the same folder as ``path`` (so the final rename is
    atomic). When the ``with`` block ends normally the file is flushed,
    fsynced and moved onto ``path`` with :func:`os.replace`. If the block
    raises anything, including ``KeyboardInterrupt``, the temp file is
    removed, the exception propagates, and ``path`` is left untouched.

    SIGTERM while the block runs (in the main thread, over the default
    handler) raises :class:`skdigits.exceptions.Terminated` there, so the
    temp file is removed too; one that comes while the temp file is created,
    removed or renamed is held back until that step is done.

    Only a regular file (or a new one) is replaced. A FIFO, ``/dev/null``,
    ``/dev/tty`` and this process's own standard streams (``/dev/stdout``,
    even redirected to a file) are written in place, with no temp file, so a
    failure there can leave part of the output; a FIFO must have a reader.
    Other devices, sockets, folders and paths in ``/proc`` or ``/sys`` are
    refused before anything is written.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. A symlink is written through.
    mode : {"w", "wt", "wb"}, default="w"
        Text or binary writing.
    **open_kwargs
        Passed to :func:`open`, e.g. ``encoding="utf-8", newline=""``.

    Yields
    ------
    file object
        The open temp file; write the complete new content to it.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If ``mode`` is not a plain write mode.
    skdigits.exceptions.OutputPathError
        If ``path`` is refused (see above), its folder does not exist or is
        not writable, or a FIFO has no reader.
    skdigits.exceptions.Terminated
        If SIGTERM came while writing; nothing was replaced.

    Examples
    --------
    >>> import os, tempfile
    >>> from skdigits.utils.atomic import atomic_write
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(target, encoding="utf-8") as f:
    ...     _ = f.write("complete or nothing\\n")
    >>> open(target, encoding="utf-8").read()
    'complete or nothing\\n'
    """
    if mode not in ("w", "wt", "wb"):
        raise InvalidParameterError(f"mode={mode!r} is not supported; use 'w', 'wt' or 'wb'.")
    how, target = plan_output(path)
    if how == STREAM:
        fd = open_stream(target)
        try:
            file = open(fd, mode, **open_kwargs)  # noqa: SIM115 (closed by the with below)
        except BaseException:
            os.close(fd)
            raise
        with file:
            yield file
        return
    with _replacing(target) as (temp, guard), guard.raising(), open(temp, mode, **open_kwargs) as file:
        yield file
        file.flush()
        os.fsync(file.fileno())


def atomic_save(path, write_fn):
    """Call ``write_fn(temp_path)`` and move the result onto ``path`` on success.

    For writers that take a file name rather than a file object, such as
    ``fig.savefig`` or ``joblib.dump``. The temp path is in the same folder as
    ``path`` and ends with its full file name (``.tmp-1a2b3c4d-model.joblib``),
    so format-by-extension writers behave as for ``path`` itself. If
    ``write_fn`` raises anything, including ``KeyboardInterrupt`` or the
    :class:`skdigits.exceptions.Terminated` that SIGTERM raises, the temp
    file is removed, the exception propagates, and ``path`` is left
    untouched. Special files are handled as in :func:`atomic_write`: for a
    FIFO, ``/dev/null`` or a standard stream, ``write_fn`` is called with
    ``path`` itself.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. A symlink is written through.
    write_fn : callable
        Called once with the temp path (a str); must write the complete file
        there. Its return value is ignored.

    Returns
    -------
    path : str or os.PathLike
        The ``path`` argument, unchanged.

    Raises
    ------
    FileNotFoundError
        If ``write_fn`` wrote to some other name than the one it was given.
    skdigits.exceptions.OutputPathError
        As for :func:`atomic_write`.
    skdigits.exceptions.Terminated
        If SIGTERM came while writing; nothing was replaced.

    Examples
    --------
    >>> import os, tempfile
    >>> from skdigits.utils.atomic import atomic_save
    >>> target = os.path.join(tempfile.mkdtemp(), "array.npy")
    >>> import numpy as np
    >>> _ = atomic_save(target, lambda tmp: np.save(tmp, np.arange(3)))
    >>> np.load(target)
    array([0, 1, 2])
    """
    how, target = plan_output(path)
    if how == STREAM:
        fd = open_stream(target)  # held open so a FIFO keeps its reader while write_fn reopens it
        try:
            write_fn(target)
        finally:
            os.close(fd)
        return path
    with _replacing(target) as (temp, guard):
        # Remove the placeholder so a writer that saved under another name (say,
        # with an extension appended) is caught below, not committed as empty.
        os.remove(temp)
        with guard.raising():
            write_fn(temp)
            if not os.path.isfile(temp):
                raise FileNotFoundError(
                    f"{write_fn!r} did not write the file it was given ({temp!r}); "
                    "does it append its own extension?"
                )
            # "rb+" because Windows only fsyncs a handle opened for writing.
            with open(temp, "rb+") as file:
                os.fsync(file.fileno())
    return path
