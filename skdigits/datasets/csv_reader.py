"""Read a digit CSV within budgets: the work and memory stay bounded whatever the file holds.

The file is read in blocks of complete lines. Each block's bytes are
checked (NUL bytes, line ends, line length, blank lines, quotes, the row
budget) before pandas parses it, so a hostile file is refused at the first
bad line, after reading no more than one block past it.
"""

import os
import re
import stat
from typing import NamedTuple

import numpy as np

from skdigits.datasets.csv_cells import parse_block
from skdigits.datasets.csv_format import (
    HEADER_HELP,
    PIXEL_COLUMNS,
    TRAIN_COLUMNS,
    check_header,
    check_magic,
    fail,
    lone_cr,
    parse_header,
)
from skdigits.exceptions import BudgetExceededError

__all__ = ["CsvBudgets", "read_digit_csv"]


class CsvBudgets(NamedTuple):
    """The limits one read works within; defaults and documentation: :mod:`skdigits.datasets.digit_recognizer`."""

    max_bytes: int
    max_rows: int
    max_line_bytes: int


# A block of about 2,500 Kaggle rows; its int64 frame is about 16 MB.
_BLOCK_BYTES = 4 * 2**20
# Most lines parsed at once: a frame of 4,096 x 785 float64 cells is 26 MB, whatever the lines hold.
_PARSE_ROWS = 4096
_LONE_CR = re.compile(rb"\r(?!\n)")
_KINDS = {stat.S_ISCHR: "character device", stat.S_ISBLK: "block device", stat.S_ISFIFO: "FIFO (named pipe)",
          stat.S_ISSOCK: "socket"}


def read_digit_csv(path, budgets):
    """Read and check a Kaggle digit CSV file within the budgets.

    Parameters
    ----------
    path : str
        The file.
    budgets : CsvBudgets
        The limits.

    Returns
    -------
    values : ndarray of shape (n_digits, 785) or (n_digits, 784), dtype uint8
        The rows, label first in a train file.
    is_train : bool
        Whether the file has a ``label`` column.
    """
    with _open_regular(path, budgets) as f:
        start = f.read(8192)
        check_magic(path, start)
        f.seek(0)
        header = f.readline(budgets.max_line_bytes + 1)
        if len(header) > budgets.max_line_bytes:
            raise _too_long(path, budgets, 1, header)
        is_train = check_header(path, parse_header(path, header))
        names = TRAIN_COLUMNS if is_train else PIXEL_COLUMNS
        blocks = [parse_block(path, block, line, names) for line, block in _blocks(path, budgets, f, len(header))]
    if not blocks:
        raise fail(path, "the file has a header but no rows of digits.")
    return np.concatenate(blocks), is_train


def _open_regular(path, budgets):
    """Open ``path`` for binary reading if it is a regular file within the size budget.

    The type is checked before opening, so a FIFO or a device cannot make
    the open hang, and again on the open file, in case the path was swapped.
    """
    if not path or "\0" in path:
        raise fail(repr(path), "the path is empty or holds a NUL character; pass the CSV file's name.")
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(
            f"{path}: no such file. Check the path (Kaggle's files are train.csv and test.csv)."
        ) from None
    _check_regular(path, budgets, info)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise fail(path, "the file was replaced while it was being opened; try again.")
        _check_regular(path, budgets, opened)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_regular(path, budgets, info):
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        example = os.path.join(path, "train.csv")
        raise fail(path, f"this is a folder; pass the CSV file inside it, e.g. {example}.")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS.items() if test(mode)), "special file")
        raise fail(path, f"this is a {kind}, not a regular file; save the CSV to a file and pass that.")
    if info.st_size > budgets.max_bytes:
        raise _over_size(path, budgets)
    if info.st_size == 0:
        raise fail(path, f"the file is empty. {HEADER_HELP}, then one row per digit.")


def _over_size(path, budgets):
    return fail(
        path, f"the file is larger than {budgets.max_bytes:,} bytes, the budget for one CSV "
        "(skdigits.datasets.digit_recognizer.MAX_CSV_BYTES); split it, or raise that budget if you trust it.",
        error=BudgetExceededError,
    )


def _too_long(path, budgets, line, raw):
    # A line without an end is most often a hole of NUL bytes or CR-only line ends: say so.
    if b"\0" in raw:
        return _nul(path, line)
    if _LONE_CR.search(raw):
        return lone_cr(path, line)
    return fail(
        path, f"the line is longer than {budgets.max_line_bytes:,} bytes, the budget "
        "(skdigits.datasets.digit_recognizer.MAX_LINE_BYTES); a row of 785 values takes at most about 3,200. "
        "Is this a digit CSV?", line=line, error=BudgetExceededError,
    )


def _nul(path, line):
    return fail(
        path, "the line holds a NUL byte (0x00): the file is binary or damaged (a hole of zero bytes), "
        "not CSV text.", line=line,
    )


def _blocks(path, budgets, f, offset):
    """Yield ``(first_line, block)``: the body's complete lines after the header, checked, blank lines cut."""
    carry, line, total, rows, blank_line = b"", 2, offset, 0, None
    while True:
        data = f.read(_BLOCK_BYTES)
        total += len(data)
        if total > budgets.max_bytes:  # the file grew after it was opened
            raise _over_size(path, budgets)
        buf = carry + data
        if not data:
            block, carry = (buf if buf.endswith(b"\n") or not buf else buf + b"\n"), b""
        else:
            cut = buf.rfind(b"\n") + 1
            block, carry = buf[:cut], buf[cut:]
            if len(carry) > budgets.max_line_bytes:
                raise _too_long(path, budgets, line + block.count(b"\n"), carry)
        if blank_line is not None:
            # Only blank lines may follow a blank line: a cheap check, however many there are.
            if block.translate(None, b"\r\n"):
                raise fail(path, "the line is blank; delete it.", line=blank_line)
        elif block:
            starts, blank = _check_bytes(path, budgets, block, line)
            if blank.any():
                first = int(blank.argmax())
                if not blank[first:].all():
                    raise fail(path, "the line is blank; delete it.", line=line + first)
                # Blank lines at the very end are harmless; anywhere else they hide a problem.
                blank_line = line + first
                block = block[: starts[first]]
            n = len(blank) if blank_line is None else first
            rows += n
            if rows > budgets.max_rows:
                raise fail(
                    path, f"the file has more than {budgets.max_rows:,} rows of digits, the budget "
                    "(skdigits.datasets.digit_recognizer.MAX_CSV_ROWS); split it, or raise that budget if you "
                    "trust it.",
                    line=line + n - (rows - budgets.max_rows), error=BudgetExceededError,
                )
            # pandas gets at most _PARSE_ROWS lines at a time: short lines are
            # padded to 785 cells, so lines, not bytes, size its frame.
            for k in range(0, n, _PARSE_ROWS):
                end = starts[k + _PARSE_ROWS] if k + _PARSE_ROWS < n else len(block)
                yield line + k, block[starts[k] : end]
            line += len(blank)
        if not data:
            return


def _check_bytes(path, budgets, block, first_line):
    """Check a block of complete lines; return the start of each line and which lines are blank."""
    def line_of(at):
        return first_line + block.count(b"\n", 0, at)

    nul = block.find(b"\0")
    if nul >= 0:
        raise _nul(path, line_of(nul))
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        raise lone_cr(path, line_of(_LONE_CR.search(block).start()))
    quote = block.find(b'"')
    if quote >= 0:
        raise fail(path, "the line holds a quote (\"); the rows must hold plain numbers like 0,255.",
                   line=line_of(quote))
    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == ord("\n"))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    longest = int(lengths.argmax())
    if lengths[longest] > budgets.max_line_bytes:
        raise _too_long(path, budgets, first_line + longest, b"")
    before_end = np.frombuffer(block, np.uint8)[np.maximum(ends - 1, 0)]
    blank = (lengths == 0) | ((lengths == 1) & (before_end == ord("\r")))
    return starts, blank
