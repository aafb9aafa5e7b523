"""The zip layer of the safe format: archives checked against the budgets before zipfile parses or inflates them.

Used for the model file itself and for the ``.npz`` of each network inside
it. Everything a hostile archive can
do wrong is an :class:`~skdigits.exceptions.UnsafeModelError` or a
:class:`~skdigits.exceptions.BudgetExceededError` with a message that
names the member; the caller adds the file's name.
"""

import contextlib
import io
import struct
import zipfile
import zlib

from skdigits.exceptions import UnsafeModelError
from skdigits.persistence import budgets

__all__ = ["open_archive", "read_member", "write_archive", "zip_errors", "ZIP_ERRORS"]

#: What zipfile and zlib raise on damaged, encrypted or exotic archives.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OverflowError,
              struct.error, UnicodeDecodeError)

_END = b"PK\x05\x06"  # end of central directory record
_END_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_COMPRESSIONS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_ENCRYPTED = 0x1


@contextlib.contextmanager
def zip_errors(where):
    """Turn what zipfile and zlib raise on a hostile archive into an :class:`UnsafeModelError` naming ``where``."""
    try:
        yield
    except ZIP_ERRORS as exc:
        detail = " ".join(str(exc).split())[:200]
        raise UnsafeModelError(f"{where} is damaged or not an archive skdigits wrote ({type(exc).__name__}: "
                               f"{detail}).") from None


def _check_directory(fileobj, size, where):
    """Check the end-of-central-directory record before zipfile reads the directory it points to.

    zipfile builds one object per directory entry, so a small file that
    declares millions of entries (or a zip64 directory) would cost gigabytes
    before any member check ran.
    """
    tail_size = min(size, _END_SIZE + 0xFFFF)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < _END_SIZE:
        raise UnsafeModelError(f"{where} is not a zip archive (no end of central directory): truncated or foreign.")
    _, disk, _, entries_here, entries, directory_size, directory_at, _ = struct.unpack(
        "<4s4H2LH", tail[at:at + _END_SIZE])
    zip64 = at >= 20 and tail[at - 20:at - 16] == _ZIP64_LOCATOR
    if zip64 or disk or entries != entries_here or 0xFFFF in (entries, disk) or directory_size == 0xFFFFFFFF:
        raise UnsafeModelError(f"{where} is a multi-disk or zip64 archive, which skdigits never writes.")
    budgets.check("MAX_MEMBERS", entries, budgets.MAX_MEMBERS, f"members in {where}")
    budgets.check("MAX_CENTRAL_DIRECTORY_BYTES", directory_size, budgets.MAX_CENTRAL_DIRECTORY_BYTES,
                  f"bytes of central directory in {where}")
    if directory_at + directory_size > size - tail_size + at:
        raise UnsafeModelError(f"{where}: its central directory lies beyond its end (truncated?).")
    fileobj.seek(0)


def open_archive(fileobj, where, *, allowed=None):
    """Open the zip in ``fileobj`` (seekable, binary) after checking it; return the ``zipfile.ZipFile``.

    Parameters
    ----------
    fileobj : binary file object
        The archive, opened for reading.
    where : str
        What the archive is, for messages (e.g. ``"the file"``).
    allowed : callable or None, default=None
        ``allowed(names)`` returns the names that must not be there (or
        an empty list); None allows any name.

    Raises
    ------
    UnsafeModelError
        Not a zip; duplicated names; encrypted members; a compression
        other than stored or deflated; unexpected members.
    BudgetExceededError
        Too many members, too large a central directory, or a total
        declared uncompressed size over ``MAX_ARCHIVE_BYTES``.
    """
    size = fileobj.seek(0, io.SEEK_END)
    _check_directory(fileobj, size, where)
    with zip_errors(where):
        archive = zipfile.ZipFile(fileobj)
    try:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        budgets.check("MAX_MEMBERS", len(names), budgets.MAX_MEMBERS, f"members in {where}")
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise UnsafeModelError(f"{where} lists the members {twice[:5]} more than once.")
        for info in infos:
            if info.flag_bits & _ENCRYPTED:
                raise UnsafeModelError(f"the member {info.filename!r} of {where} is encrypted; skdigits never "
                                       "encrypts.")
            if info.compress_type not in _COMPRESSIONS:
                raise UnsafeModelError(f"the member {info.filename!r} of {where} uses compression method "
                                       f"{info.compress_type}; skdigits writes only stored or deflated members.")
        total = sum(info.file_size for info in infos)
        budgets.check("MAX_ARCHIVE_BYTES", total, budgets.MAX_ARCHIVE_BYTES,
                      f"uncompressed bytes (all members of {where} together)")
        unexpected = allowed(names) if allowed is not None else []
        if unexpected:
            raise UnsafeModelError(f"{where} holds unexpected members {sorted(unexpected)[:10]}.")
    except BaseException:
        archive.close()
        raise
    return archive


def read_member(archive, name, where, *, limit, budget="MAX_ARCHIVE_BYTES"):
    """Return the bytes of member ``name``, refusing it if it declares more than ``limit`` bytes.

    Raises
    ------
    UnsafeModelError
        If the member is missing.
    BudgetExceededError
        If its declared size is over ``limit`` (the constant ``budget``).
    """
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise UnsafeModelError(f"{where} lacks the member {name!r}.") from None
    budgets.check(budget, info.file_size, limit, f"bytes in the member {name!r} of {where}")
    with zip_errors(f"the member {name!r} of {where}"):
        return archive.read(info)


def write_archive(path, manifest_bytes, members):
    """Write ``manifest.json`` (deflated) and ``members`` (name -> bytes, stored) to ``path``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest_bytes)
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
