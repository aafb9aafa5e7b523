"""Turn a block of CSV lines into uint8 digits, checking every cell.

:mod:`skdigits.datasets.csv_reader` checks the bytes first, so a block reaching
here holds complete lines within budget, with no NUL byte, no quote and no
blank line. pandas' C parser then does the parsing. Its type inference
reads ``TRUE``/``False`` as booleans (so 1/0), so a block with any byte
that cannot be part of a number is parsed as text instead and its first
bad cell reported.
"""

import csv
import io
import re

import numpy as np
import pandas as pd

from skdigits.datasets.csv_format import fail, non_utf8

# The bytes of numbers pandas reads as int or float ("255", "17.0", "1e2", " 5"):
# no letter of TRUE, NA or inf.
_NUMBER_BYTES = b"0123456789,.+-eE \t\r\n"
_NOT_NUMBER = re.compile(rb"[^0-9,.+\-eE \t\r\n]")
# The spaces a cell may carry around its number: str.strip() would also take "\x1c" and "\u2003".
_CELL_SPACE = " \t\r\n"


def parse_block(path, block, first_line, names):
    """Parse ``block`` (complete lines starting at line ``first_line``) into a uint8 array.

    Parameters
    ----------
    path : str
        The file, for the messages.
    block : bytes
        Complete lines, checked by :mod:`skdigits.datasets.csv_reader`.
    first_line : int
        The 1-based line number of the block's first line.
    names : sequence of str
        The column names (``label`` first in a train file).

    Returns
    -------
    ndarray of shape (n_lines, len(names)), dtype uint8

    Raises
    ------
    skdigits.exceptions.DataError
        Naming the line (and the column) of the first value that is
        missing, not a number (a boolean included), not a finite whole
        number, or out of range.
    """
    _check_first_line_width(path, block, first_line, len(names))
    if block.translate(None, _NUMBER_BYTES):
        # The line with that byte holds a bad cell. Check the lines before it
        # first (an earlier error comes first), then parse that line alone as
        # text: never a whole block of strings.
        at = _NOT_NUMBER.search(block).start()
        start = block.rfind(b"\n", 0, at) + 1
        if start:
            parse_block(path, block[:start], first_line, names)
        end = block.find(b"\n", at) + 1
        raise _text_error(path, block[start:end], first_line + block.count(b"\n", 0, start), names)
    chunk = _read(path, block, first_line, len(names), dtype=None)
    if all(dtype == np.int64 for dtype in chunk.dtypes):
        values = chunk.to_numpy()
    else:
        bad = _first_bad_cell(chunk)
        if bad is not None:
            raise _describe_bad_cell(path, chunk, *bad, first_line + bad[0], names)
        # Through float64: uint64 or Python-int columns could overflow a direct int64 cast.
        values = np.column_stack([_floats(col) for _, col in chunk.items()])
    _check_range(path, values, first_line, names)
    return values.astype(np.uint8)


def _check_first_line_width(path, block, first_line, n):
    # pandas raises for a long line, except on the first line of its input:
    # there it warns and silently drops the extra values.
    end = block.find(b"\n")
    fields = block.count(b",", 0, len(block) if end < 0 else end) + 1
    if fields > n:
        raise fail(path, f"the line has {fields} values but the header has {n} columns.", line=first_line)


def _read(path, block, first_line, n, dtype):
    try:
        return pd.read_csv(
            io.BytesIO(block), header=None, names=range(n), index_col=False, skip_blank_lines=False,
            engine="c", encoding="utf-8", quoting=csv.QUOTE_NONE, dtype=dtype,
        )
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found is None:
            raise fail(path, f"could not be parsed as CSV ({str(exc).strip()}).", line=first_line) from None
        expected, line, saw = map(int, found.groups())
        raise fail(
            path, f"the line has {saw} values but the header has {expected} columns.", line=first_line + line - 1
        ) from None


def _text_error(path, raw, line, names):
    """The error for one line holding a byte that cannot be part of a number."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return non_utf8(path, exc, line)
    chunk = _read(path, raw, line, len(names), dtype=str)
    bad = _first_bad_cell(chunk)
    if bad is not None:
        return _describe_bad_cell(path, chunk, *bad, line, names)
    # pandas took every cell for a number; still refuse what we did not expect.
    char = raw[_NOT_NUMBER.search(raw).start() :].decode("utf-8")[0]
    return fail(
        path, f"the character {char!r} is not part of a number; cells must be plain numbers like 0 or 255.",
        line=line,
    )


def _first_bad_cell(chunk):
    """Row and column of the first cell, row-major, that is not a finite whole number."""
    best = None
    for j, (_, col) in enumerate(chunk.items()):
        if col.dtype.kind in "iu":
            continue
        if col.dtype.kind == "b":  # booleans are not digits
            bad = np.ones(len(col), dtype=bool)
        else:
            numbers = _floats(col)
            with np.errstate(invalid="ignore"):
                bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
        if bad.any() and (best is None or int(bad.argmax()) < best[0]):
            best = int(bad.argmax()), j
    return best


def _describe_bad_cell(path, chunk, i, j, line, names):
    n = chunk.shape[1]
    raw = chunk.iat[i, j]
    what = "labels must be digits 0-9" if names[j] == "label" else "pixels must be whole numbers 0-255"
    if _missing(raw):
        if all(_missing(rest) for rest in chunk.iloc[i, j:]):
            if j == 0:
                return fail(path, "the line holds no values (only spaces or commas); delete it.", line=line)
            return fail(
                path, f"the line has only {j} of {n} values; the rest are missing. Was the file cut off? "
                "Complete or delete this line.", line=line,
            )
        return fail(path, f"the value is missing (empty or NA); {what}.", line, j + 1, names[j])
    number = _float_or_nan(raw)
    if isinstance(raw, (bool, np.bool_)) or pd.isna(number):
        return fail(path, f"{str(raw)!r} is not a number; {what}.", line, j + 1, names[j])
    if not np.isfinite(number):
        return fail(path, f"{str(raw)!r} is not a finite number; {what}.", line, j + 1, names[j])
    return fail(path, f"{raw} is not a whole number; {what}.", line, j + 1, names[j])


_PLAIN_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE)


def _float_or_nan(raw):
    """A cell as a float (1e999 is inf, a 30-digit int 1e30), or NaN if it is not a number."""
    if isinstance(raw, (bool, np.bool_)):
        return np.nan
    if isinstance(raw, str):  # Python's float() also takes "1_0" and non-ASCII digits; a CSV number is plainer
        text = raw.strip(_CELL_SPACE)
        return float(text) if _PLAIN_NUMBER.fullmatch(text) else np.nan
    try:
        return float(raw)
    except (TypeError, ValueError):
        return np.nan


def _floats(col):
    """A column as float64, the same on every pandas (before 3, pandas keeps 1e999 and huge ints as text)."""
    if col.dtype.kind in "iuf":
        return col.to_numpy(dtype=np.float64)
    return np.array([_float_or_nan(raw) for raw in col], dtype=np.float64)


def _missing(raw):
    return pd.isna(raw) or (isinstance(raw, str) and not raw.strip(_CELL_SPACE))


def _check_range(path, values, first_line, names):
    highs = np.full(len(names), 255, dtype=values.dtype)
    if names[0] == "label":
        highs[0] = 9
    bad = (values < 0) | (values > highs)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        what = "labels must be digits 0-9" if names[j] == "label" else "pixel values must lie in 0..255"
        raise fail(path, f"value {values[i, j]:g} is out of range; {what}.", first_line + i, j + 1, names[j])
