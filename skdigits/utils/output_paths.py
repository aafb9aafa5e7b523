"""Decide how an output path may be written: replaced atomically, streamed in place, or refused.

A temp file renamed onto the target replaces whatever the target was, so
that is done only for a regular file (or a new one). What is not a regular
file is written in place or refused, per type:

- a FIFO, ``/dev/null``, ``/dev/tty`` and this process's own terminal or
  standard streams (``/dev/stdout``, ``/dev/stderr``, ``/proc/self/fd/N``,
  even when they are redirected to a file): streamed in place, no temp file;
- any other device (``/dev/mem``, a disk), a socket, a folder: refused;
- anything else in ``/proc`` or ``/sys`` (kernel settings, other processes'
  open files and pipes): refused.
"""

import contextlib
import errno
import os
import secrets
import stat
import sys

from skdigits.exceptions import DataTypeError, OutputPathError

__all__ = ["REPLACE", "STREAM", "plan_output", "check_writable", "open_stream", "own_descriptor"]

REPLACE, STREAM = "replace", "stream"
_KERNEL_FILE_SYSTEMS = ("/proc", "/sys")
_KINDS = {stat.S_ISCHR: "character device", stat.S_ISBLK: "block device", stat.S_ISSOCK: "socket"}


def _refuse(path, why):
    return OutputPathError(f"cannot write {os.fspath(path)!r}: {why}")


def _kernel_file_system(real):
    return next((root for root in _KERNEL_FILE_SYSTEMS if real == root or real.startswith(root + "/")), None)


def _descriptor_alias(path):
    """``"own"`` if ``path`` reaches one of this process's file descriptors (``/dev/stdout``, ``/dev/fd/1``,
    ``/proc/self/fd/1``), ``"foreign"`` if it goes through another process's ``/proc`` entry, else None."""
    own = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", f"/proc/{os.getpid()}/fd/")
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symlink hops
        if current.startswith(own):
            return "own"
        if current.startswith("/proc/"):
            return "foreign"
        if not os.path.islink(current):
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return None


def own_descriptor(path):
    """The number of this process's file descriptor that ``path`` names (1 for ``/dev/stdout``), or None."""
    own = ("/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/", f"/proc/{os.getpid()}/fd/")
    current = os.path.abspath(os.fsdecode(path))
    for _ in range(40):
        prefix = next((p for p in own if current.startswith(p)), None)
        if prefix is not None:
            number = current[len(prefix):]
            return int(number) if number.isdigit() else None
        if not os.path.islink(current):
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return None


def _streamable_devices():
    """Device numbers that are safe to write into: /dev/null, /dev/tty and our own standard streams."""
    devices = set()
    for name in ("/dev/null", "/dev/tty"):
        with contextlib.suppress(OSError):
            devices.add(os.stat(name).st_rdev)
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            info = os.fstat(fd)
            if stat.S_ISCHR(info.st_mode):
                devices.add(info.st_rdev)
    return devices


def _as_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise DataTypeError(f"the output path must be a file name (str or os.PathLike); got {type(path).__name__}.")
    path = os.fsdecode(path)
    if not path or "\0" in path:
        raise _refuse(path, "the path is empty or holds a NUL character; pass a file name.")
    return path


def plan_output(path):
    """Return how to write ``path``: ``(REPLACE, real_target)`` or ``(STREAM, path)``.

    Symlinks are followed, as ``open(path, "w")`` would, and the rules
    apply to what they reach.

    Raises
    ------
    OutputPathError
        If ``path`` is a folder, a device other than those above, a socket,
        in a folder that does not exist, or in ``/proc`` or ``/sys``.
    DataTypeError
        If ``path`` is not a str or ``os.PathLike``.
    """
    path = _as_path(path)
    if path.endswith(os.sep) and not os.path.isdir(path):
        raise _refuse(path, "it ends with a folder separator; pass a file name.")
    alias = _descriptor_alias(path)
    if alias == "foreign":  # another process's open files and pipes are not ours to write
        raise _refuse(path, "it is in /proc, a kernel file system, not a place for files.")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise _refuse(path, "a part of the path is a file, not a folder.") from None
    except OSError as exc:  # a symlink loop, a folder we may not enter
        raise _refuse(path, f"{exc.strerror}.") from None
    mode = None if info is None else info.st_mode
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise _refuse(path, f"it is a folder; pass a file name inside it, e.g. {os.path.join(path, 'out.csv')}.")
        if stat.S_ISFIFO(mode) or (stat.S_ISCHR(mode) and info.st_rdev in _streamable_devices()):
            return STREAM, path
        kind = next((name for test, name in _KINDS.items() if test(mode)), "special file")
        raise _refuse(
            path, f"it is a {kind}. skdigits writes regular files, FIFOs, /dev/null and the terminal, "
            "and never replaces a special file; pass a file name.",
        )
    if mode is not None and alias == "own":
        return STREAM, path  # e.g. /dev/stdout redirected to a file: write where the shell pointed it
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if _kernel_file_system(target):
        raise _refuse(path, f"it is in {_kernel_file_system(target)}, a kernel file system, not a place for files.")
    if not os.path.isdir(folder):
        raise _refuse(path, f"the folder {folder!r} does not exist; create it first.")
    return REPLACE, target


def open_stream(path):
    """Open a FIFO or device for writing in place; return the file descriptor.

    A FIFO without a reader would block the open forever, so it is opened
    without blocking and refused when nobody reads it.

    Parameters
    ----------
    path : str
        A path :func:`plan_output` planned as ``STREAM``.

    Returns
    -------
    int
        A blocking file descriptor open for writing; the caller closes it.

    Raises
    ------
    skdigits.exceptions.OutputPathError
        If a FIFO has no reader, or the open fails (say, ``/dev/tty``
        without a terminal).
    """
    descriptor = own_descriptor(path)
    if descriptor is not None:
        # /dev/stdout and the like: write through the descriptor itself, at its offset, as a shell's ">" set
        # it up. Opening the path again would start at offset 0 and overwrite what the stream already holds.
        stream = {1: sys.stdout, 2: sys.stderr}.get(descriptor)
        if stream is not None:
            stream.flush()  # what Python printed before comes first
        try:
            return os.dup(descriptor)
        except OSError as exc:
            raise _refuse(path, f"{exc.strerror}.") from None
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    mode = os.stat(path).st_mode
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO and stat.S_ISFIFO(mode):
            raise _refuse(path, "it is a FIFO (named pipe) that nobody reads; start the reader first.") from None
        raise _refuse(path, f"{exc.strerror}.") from None
    os.set_blocking(fd, True)
    return fd


def _probe(path, folder):
    """Create and remove a file in ``folder``: the only sure test that it is writable (root ignores modes)."""
    probe = os.path.join(folder, f".tmp-{secrets.token_hex(4)}-write-test")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise _refuse(path, f"the folder {folder!r} is not writable ({exc.strerror}).") from None
    os.remove(probe)


def check_writable(path, folder=False):
    """Check, before any long work, that ``path`` can be written as the atomic writers would.

    Creates nothing that stays: a file is created and removed in the
    target's folder to test it (the only sure test: root ignores file
    modes, and a read-only mount says so only to a write). A FIFO need not
    have a reader yet.

    Parameters
    ----------
    path : str or os.PathLike
        The file a command will write later (a model, a submission, a
        figure), or with ``folder=True`` an output folder.
    folder : bool, default=False
        Whether ``path`` is a folder to write files in. It need not exist:
        then the closest folder that does is tested, where it would be
        created.

    Raises
    ------
    skdigits.exceptions.OutputPathError
        If the path would be refused when written (see :func:`plan_output`),
        a folder is a file or in ``/proc`` or ``/sys``, or the folder is not
        writable.
    """
    if not folder:
        how, target = plan_output(path)
        if how == REPLACE:
            _probe(path, os.path.dirname(target))
        return
    path = _as_path(path)
    real = os.path.realpath(path)
    if _kernel_file_system(real):
        raise _refuse(path, f"it is in {_kernel_file_system(real)}, a kernel file system, not a place for files.")
    existing = real
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = "it is a file" if existing == real else f"{existing!r} is a file"
        raise _refuse(path, f"{what}, not a folder; pass a folder for the outputs.")
    _probe(path, existing)
