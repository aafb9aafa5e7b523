"""Rename onto a name that must stay free: the kernel refuses an existing target, so no check can go stale.

``os.rename`` moves a folder onto an *empty* folder, silently replacing it,
and a check with ``os.path.lexists`` just before leaves a window in which
one can appear. Linux's ``renameat2(RENAME_NOREPLACE)`` and macOS's
``renamex_np(RENAME_EXCL)`` make the check and the rename one step. Where
neither exists (Windows, glibc before 2.28, Linux before 3.15), or the call
fails for any other reason than an existing target (a file system without
the flag, a sandbox that forbids the call), the check-then-rename is what
remains: a real failure then comes back from ``os.rename`` itself.
"""

import ctypes
import errno
import functools
import os
import sys

__all__ = ["rename_no_replace", "kernel_refuses_replacing"]

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1  # linux/fs.h
_RENAME_EXCL = 0x4  # macOS sys/stdio.h


@functools.lru_cache(maxsize=1)
def _kernel_rename():
    """A function ``(source, target) -> errno or 0`` that renames without replacing, or None."""
    if not (sys.platform.startswith("linux") or sys.platform == "darwin"):
        return None  # Windows: no process-wide C library to look in, and its rename never replaces anyway
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        call = libc.renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]

        def rename(source, target):
            return 0 if call(_AT_FDCWD, source, _AT_FDCWD, target, _RENAME_NOREPLACE) == 0 else ctypes.get_errno()
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        call = libc.renamex_np
        call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]

        def rename(source, target):
            return 0 if call(source, target, _RENAME_EXCL) == 0 else ctypes.get_errno()
    else:
        return None
    return rename


def kernel_refuses_replacing():
    """Whether this platform's C library offers a rename that refuses an existing target.

    Returns
    -------
    bool
        True on Linux with glibc 2.28 or newer (``renameat2``) and on macOS
        (``renamex_np``); a file system may still lack the flag, and then
        :func:`rename_no_replace` falls back to checking first.
    """
    return _kernel_rename() is not None


def rename_no_replace(source, target):
    """Rename ``source`` to ``target``, refusing if anything exists at ``target``.

    Parameters
    ----------
    source : str
        The file or folder to move.
    target : str
        Its new path, on the same file system; nothing may exist there: no
        file, folder (empty or not) or symlink, dangling or not.

    Raises
    ------
    FileExistsError
        If something exists at ``target``; ``source`` is left where it was.
    ValueError
        If a path holds a null byte.
    OSError
        If the rename fails otherwise.
    """
    source_bytes, target_bytes = os.fsencode(source), os.fsencode(target)
    if b"\0" in source_bytes or b"\0" in target_bytes:  # C would read only up to it: another path
        raise ValueError(f"embedded null byte in {source!r} or {target!r}")
    rename = _kernel_rename()
    if rename is not None:
        code = rename(source_bytes, target_bytes)
        if code == 0:
            return
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), source, None, target)
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), source, None, target)
    os.rename(source, target)
