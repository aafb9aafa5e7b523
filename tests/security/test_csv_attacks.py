"""Hostile CSV files: bounded work and memory, a skdigits error naming the file and line, never a hang.

Each file is built as an attacker would: blank-line and NUL-byte bombs, wide
headers, endless lines, booleans for digits, special files for paths. The
budgets are tested at their defaults where that is cheap, and lowered
(monkeypatch) where building a file over the default would be slow.
"""

import os
import socket
import threading
import tracemalloc
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skdigits.datasets import csv_cells, csv_reader
from skdigits.datasets import digit_recognizer as datasets
from skdigits.datasets.digit_recognizer import PIXEL_COLUMNS, load_digit_recognizer
from skdigits.exceptions import BudgetExceededError, DataError, DataTypeError, SkdigitsError

HEADER = "label," + ",".join(PIXEL_COLUMNS) + "\n"
ROW = "3," + ",".join(["0"] * 784) + "\n"


def cell_row(label="3", first_pixel="0"):
    return f"{label},{first_pixel}," + ",".join(["0"] * 783) + "\n"


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "train.csv"

    def write(content):
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


# read_digit_csv first reads this much to tell the file's type (UTF-16, gzip...), then reads the file from its start.
SNIFF_BYTES = 8192
# The most work the reader may do per step, pinned here so that raising its constants fails these tests: a block
# of 4 MiB read before a refusal, and 4,096 lines per pandas frame (26 MB of float64 at 785 cells a line).
BLOCK_BYTES = 4 * 2**20
PARSE_ROWS = 4096


class _CountingFile:
    """The reader's open file, counting each read() and every byte it hands back (readline() included)."""

    def __init__(self, f, done):
        self._f, self._done = f, done

    def read(self, size=-1):
        data = self._f.read(size)
        self._done["reads"] += 1
        self._done["bytes_read"] += len(data)
        return data

    def readline(self, size=-1):
        data = self._f.readline(size)
        self._done["bytes_read"] += len(data)
        return data

    def seek(self, *args):
        return self._f.seek(*args)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


@pytest.fixture
def work(monkeypatch):
    """Count the work of a load, not its seconds (a busy machine is slow, not wrong).

    ``opened``: files opened; ``reads``: read() calls, the first 8 KB sniff and then one per block;
    ``bytes_read``: bytes the reader got from the file; ``bytes_checked``: bytes whose lines were checked one
    by one (NUL, quotes, line ends, lengths, blank lines); ``headers``: headers split into columns;
    ``blocks_parsed``, ``lines_parsed``, ``most_lines_parsed``: the blocks and lines handed to the cell parser,
    so to pandas, and the most in one block; ``cells``: the cells of the frames pandas built.
    """
    done = Counter()

    def spy(module, name, before=None, after=None):
        original = getattr(module, name)

        def counted(*args, **kwargs):
            if before:
                before(*args)  # what it was handed, even if it raises
            result = original(*args, **kwargs)
            if after:
                after(result)
            return result
        monkeypatch.setattr(module, name, counted)

    def opened(f):
        done["opened"] += 1
        return _CountingFile(f, done)

    def parsed(path, block, first_line, names):
        lines = block.count(b"\n")
        done["blocks_parsed"] += 1
        done["lines_parsed"] += lines
        done["most_lines_parsed"] = max(done["most_lines_parsed"], lines)

    original_open = csv_reader._open_regular
    monkeypatch.setattr(csv_reader, "_open_regular", lambda *args: opened(original_open(*args)))
    spy(csv_reader, "_check_bytes", before=lambda path, budgets, block, line: done.update(bytes_checked=len(block)))
    spy(csv_reader, "parse_header", before=lambda *args: done.update(headers=1))
    spy(csv_reader, "parse_block", before=parsed)
    spy(csv_cells, "_read", after=lambda chunk: done.update(cells=chunk.size))
    return done


def read_in_one_pass(path, header=HEADER):
    """The read() calls of one pass over the file: the sniff, one per block of the body, the empty read at its end."""
    body = os.path.getsize(path) - len(header)
    return 1 + -(-body // csv_reader._BLOCK_BYTES) + 1


def header_and_one_block(header=HEADER):
    """The most bytes a reader may get that stops in the first block: the sniff, the header, one block."""
    return SNIFF_BYTES + len(header) + BLOCK_BYTES


# ---------------------------------------------------------------- bombs: bounded work


def test_two_million_blank_lines_are_read_once_and_never_parsed(csv_file, work):
    # 76 s before: quadratic work on the blank lines. Now each byte is read and checked once, and only the
    # 3 rows reach pandas.
    path = csv_file(HEADER + ROW * 3 + "\n" * 2_000_000)
    assert len(load_digit_recognizer(path)[0]) == 3
    size = path.stat().st_size
    assert work["bytes_read"] == SNIFF_BYTES + size and work["reads"] == read_in_one_pass(path), work
    assert work["bytes_checked"] == size - len(HEADER), work
    assert (work["blocks_parsed"], work["lines_parsed"], work["cells"]) == (1, 3, 3 * 785), work

    work.clear()
    path = csv_file(HEADER + ROW * 3 + "\r\n" * 2_000_000 + ROW)
    with pytest.raises(DataError, match=r"train\.csv, line 5: the line is blank; delete it\."):
        load_digit_recognizer(path)
    assert work["bytes_read"] == SNIFF_BYTES + path.stat().st_size and work["reads"] == 2, work
    assert work["bytes_checked"] == path.stat().st_size - len(HEADER), work
    assert work["lines_parsed"] == 0, work  # refused before any row reached pandas


def test_blank_lines_over_many_blocks_are_skipped_without_checking_each_line(csv_file, work, monkeypatch):
    # Only blank lines may follow a blank line: after the first block, each block is one cheap test.
    block = 64 * 2**10
    monkeypatch.setattr(csv_reader, "_BLOCK_BYTES", block)
    path = csv_file(HEADER + ROW * 3 + "\n" * 2_000_000)
    assert len(load_digit_recognizer(path)[0]) == 3
    assert work["reads"] == read_in_one_pass(path) > 30, work  # each of the 30-odd blocks read once
    assert work["bytes_read"] == SNIFF_BYTES + path.stat().st_size, work
    assert work["bytes_checked"] <= block, work  # line by line: the first block only
    assert work["lines_parsed"] == 3, work
    work.clear()
    with pytest.raises(DataError, match=r"line 5: the line is blank; delete it\."):
        load_digit_recognizer(csv_file(HEADER + ROW * 3 + "\n" * 2_000_000 + ROW))
    assert work["bytes_checked"] <= block and work["lines_parsed"] == 3, work


def test_millions_of_short_lines_hit_the_row_budget_before_parsing(csv_file, work):
    path = csv_file(HEADER + "   \n" * 2_000_000)  # 8 MB: two blocks
    with pytest.raises(BudgetExceededError) as error:
        load_digit_recognizer(path)
    assert f"line {datasets.MAX_CSV_ROWS + 2}: the file has more than 100,000 rows" in str(error.value)
    assert "MAX_CSV_ROWS" in str(error.value)
    assert work["lines_parsed"] == 0 and work["cells"] == 0, work  # counted, never parsed
    assert work["reads"] == 2 and work["bytes_read"] <= header_and_one_block(), work  # the second block unread


def test_row_budget_names_the_first_row_over_it(csv_file, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_CSV_ROWS", 4)
    assert len(load_digit_recognizer(csv_file(HEADER + ROW * 4))[0]) == 4
    with pytest.raises(BudgetExceededError, match=r"train\.csv, line 6: the file has more than 4 rows"):
        load_digit_recognizer(csv_file(HEADER + ROW * 5))


def test_sparse_two_gigabyte_hole_is_refused_before_reading(csv_file, work):
    path = csv_file(HEADER + ROW * 4)
    with open(path, "r+b") as f:
        f.truncate(2 * 2**30)
    with pytest.raises(BudgetExceededError) as error:
        load_digit_recognizer(path)
    assert "larger than 536,870,912 bytes" in str(error.value) and "MAX_CSV_BYTES" in str(error.value)
    assert (work["opened"], work["reads"], work["bytes_read"]) == (0, 0, 0), work  # its size alone refuses it


def test_nul_hole_within_the_budget_is_refused_at_its_line_in_a_few_megabytes(csv_file, monkeypatch, work):
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 4 * 2**30)  # the reader itself must stream
    path = csv_file(HEADER + ROW * 4)
    with open(path, "r+b") as f:
        f.truncate(2 * 2**30)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"line 6: the line holds a NUL byte"):
            load_digit_recognizer(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert work["reads"] == 2 and work["bytes_read"] <= header_and_one_block(), work  # 4 MB of the 2 GB
    assert work["lines_parsed"] <= 4, work  # at most the rows before the hole
    assert peak < 64 * 2**20, peak  # 4 GB before


def test_short_lines_do_not_inflate_into_a_huge_frame(csv_file, work):
    # 60,000 one-value lines (120 KB, within every budget) would be a 377 MB frame of 785 float64 cells each.
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"line 2: the line has only 1 of 785 values"):
            load_digit_recognizer(csv_file(HEADER + "1\n" * 60_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert work["most_lines_parsed"] <= PARSE_ROWS, work  # pandas gets the 60,000 lines in batches
    assert work["blocks_parsed"] == 1 and work["cells"] <= PARSE_ROWS * 785, work  # and the first one fails
    assert peak < 100 * 2**20, peak


def test_nul_bytes_inside_a_row(csv_file):
    with pytest.raises(DataError, match=r"line 3: the line holds a NUL byte"):
        load_digit_recognizer(csv_file(HEADER + ROW + "3,\0" + ROW[3:]))


def test_header_of_a_million_columns_is_refused_after_reading_one_line_budget(csv_file, work):
    wide = "label," + ",".join(f"pixel{i}" for i in range(10**6)) + "\n"  # 7.9 MB
    with pytest.raises(BudgetExceededError, match=r"line 1: the line is longer than 65,536 bytes"):
        load_digit_recognizer(csv_file(wide + ROW))
    assert work["bytes_read"] <= SNIFF_BYTES + datasets.MAX_LINE_BYTES + 1, work
    assert (work["headers"], work["lines_parsed"]) == (0, 0), work  # never split into a million names


def test_header_of_too_many_pixel_columns_within_the_line_budget(csv_file):
    wide = "label," + ",".join(f"pixel{i}" for i in range(2000)) + "\n"
    with pytest.raises(DataError, match=r"line 1: the header has 2000 pixel columns, expected 784"):
        load_digit_recognizer(csv_file(wide + ROW))


def test_endless_line_is_refused_at_its_line(csv_file, work):
    with pytest.raises(BudgetExceededError, match=r"line 3: the line is longer than 65,536 bytes"):
        load_digit_recognizer(csv_file(HEADER + ROW + "3," + " " * 50_000_000))
    assert work["reads"] == 2 and work["bytes_read"] <= header_and_one_block(), work  # 4 MB of the 50 MB
    assert work["bytes_checked"] == 0 and work["lines_parsed"] <= 1, work  # the line was never scanned or parsed
    with pytest.raises(BudgetExceededError, match=r"line 2: the line is longer"):
        load_digit_recognizer(csv_file(HEADER + "3," + "0" * 70_000 + "\n"))


# ---------------------------------------------------------------- line ends, quotes, encodings


def test_cr_only_line_ends_get_a_clear_error(csv_file):
    with pytest.raises(DataError, match=r"line 1: the line holds a lone carriage return.*LF or CRLF"):
        load_digit_recognizer(csv_file((HEADER + ROW * 3).replace("\n", "\r")))
    with pytest.raises(DataError, match=r"line 3: the line holds a lone carriage return"):
        load_digit_recognizer(csv_file(HEADER + ROW + ROW.replace(",0,", ",0\r,", 1)))
    with pytest.raises(DataError, match=r"line 1: the line holds a lone carriage return"):
        load_digit_recognizer(csv_file(HEADER.replace("label,", "label\r,") + ROW))


def test_quotes_are_refused(csv_file):
    quoted = ROW.replace("3,", '"3\n4",', 1)  # a quoted newline would shift every line number
    with pytest.raises(DataError, match=r"line 2: the line holds a quote"):
        load_digit_recognizer(csv_file(HEADER + quoted))


def test_quoted_header_is_read(csv_file):
    header = ",".join(f'"{name}"' for name in ["label", *PIXEL_COLUMNS]) + "\n"  # R's write.csv
    X, y = load_digit_recognizer(csv_file(header + ROW))
    assert y.tolist() == [3] and X.shape == (1, 784)


# ---------------------------------------------------------------- cells that are not digits


@pytest.mark.parametrize("label, pixel, match", [
    ("TRUE", "0", r"line 3, column 1 \(label\): 'TRUE' is not a number; labels must be digits 0-9"),
    ("False", "0", r"line 3, column 1 \(label\): 'False' is not a number"),
    ("3", "True", r"line 3, column 2 \(pixel0\): 'True' is not a number; pixels must be whole numbers"),
    ("3", "false", r"line 3, column 2 \(pixel0\): 'false' is not a number"),
    ("3", "inf", r"line 3, column 2 \(pixel0\): 'inf' is not a finite number"),
    ("3", "-Infinity", r"line 3, column 2 \(pixel0\): '-Infinity' is not a finite number"),
    ("3", "1e999", r"line 3, column 2 \(pixel0\): '(inf|1e999)' is not a finite number"),
    ("nan", "0", r"line 3, column 1 \(label\): the value is missing"),
    ("3", "0x10", r"line 3, column 2 \(pixel0\): '0x10' is not a number"),
    ("3", "1_0", r"line 3, column 2 \(pixel0\): '1_0' is not a number"),
    ("3", "\u0661", r"line 3, column 2 \(pixel0\): '\u0661' is not a number"),  # an Arabic-Indic 1
    ("3", "  ", r"line 3, column 2 \(pixel0\): the value is missing"),
    # Characters str.strip() takes for spaces but a CSV number may not carry (the fuzz test below found \x1c).
    ("\x1c3", "0", r"line 3, column 1 \(label\): '\\x1c3' is not a number"),
    ("3", "0\x1f", r"line 3, column 2 \(pixel0\): '0\\x1f' is not a number"),
    ("\x1d", "0", r"line 3, column 1 \(label\): '\\x1d' is not a number"),
    ("3", "\u20031", r"line 3, column 2 \(pixel0\): '\\u20031' is not a number"),  # an em space
    ("3", "2.5e0", r"line 3, column 2 \(pixel0\): 2.5 is not a whole number"),
    ("-0", "256", r"line 3, column 2 \(pixel0\): value 256 is out of range"),
])
def test_cells_that_are_not_digits_are_named(csv_file, label, pixel, match):
    with pytest.raises(DataError, match=match):
        load_digit_recognizer(csv_file(HEADER + ROW + cell_row(label, pixel)))


def test_a_file_of_only_booleans(csv_file):
    with pytest.raises(DataError, match=r"line 2, column 1 \(label\): 'FALSE' is not a number"):
        load_digit_recognizer(csv_file(HEADER + ",".join(["FALSE"] * 785) + "\n"))


def test_whole_floats_and_exponents_are_still_digits(csv_file):
    X, y = load_digit_recognizer(csv_file(HEADER + "3.0,1e2," + ",".join([" 0"] * 783) + "\n"))
    assert y.tolist() == [3] and X.iat[0, 0] == 100


def test_earlier_errors_come_first_in_a_block_with_text(csv_file):
    with pytest.raises(DataError, match=r"line 3, column 2 \(pixel0\): value 300 is out of range"):
        load_digit_recognizer(csv_file(HEADER + ROW + cell_row("3", "300") + cell_row("TRUE")))


def test_a_line_of_only_spaces_or_commas(csv_file):
    for line in ("   \n", "," * 784 + "\n"):
        with pytest.raises(DataError, match=r"line 3: the line holds no values \(only spaces or commas\)"):
            load_digit_recognizer(csv_file(HEADER + ROW + line + ROW))


def test_extra_values_on_the_first_line_of_a_block(csv_file, monkeypatch):
    # pandas drops extra values on the first line it sees; every block starts one.
    monkeypatch.setattr("skdigits.datasets.csv_reader._BLOCK_BYTES", len(ROW) + 10)
    with pytest.raises(DataError, match=r"line 4: the line has 786 values but the header has 785"):
        load_digit_recognizer(csv_file(HEADER + ROW * 2 + ROW.replace("\n", ",0\n")))


# ---------------------------------------------------------------- paths that are not files


def load_in_thread(path, timeout=10):
    """Load in a thread, so a reader that blocks on a FIFO fails the test instead of hanging it."""
    outcome = {}

    def run():
        try:
            outcome["value"] = load_digit_recognizer(path)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # release the blocked open
        pytest.fail(f"loading {path} hung")
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifo_and_a_symlink_to_it_are_refused_without_hanging(tmp_path):
    fifo = tmp_path / "train.csv"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    for path in (fifo, link):
        error = load_in_thread(path).get("error")
        assert isinstance(error, DataError), error
        assert "this is a FIFO (named pipe), not a regular file" in str(error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="a Unix /dev")
def test_devices_and_sockets_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"/dev/zero: this is a character device, not a regular file"):
        load_digit_recognizer("/dev/zero")  # endless: reading it would never finish
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        with pytest.raises(DataError, match=r"this is a socket, not a regular file"):
            load_digit_recognizer(tmp_path / "sock")
    finally:
        sock.close()


def test_a_folder_and_a_file_used_as_a_folder(tmp_path):
    with pytest.raises(DataError, match=r"this is a folder; pass the CSV file inside it, e.g. .*train\.csv"):
        load_digit_recognizer(tmp_path)
    (tmp_path / "train.csv").write_text(HEADER + ROW)
    with pytest.raises(FileNotFoundError, match=r"no such file"):
        load_digit_recognizer(tmp_path / "train.csv" / "inner.csv")


# ---------------------------------------------------------------- fuzz: only skdigits errors


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(st.one_of(
        st.binary(max_size=40),
        st.sampled_from([b"\n", b"\r", b"\r\n", b",", b"\0", b'"', b"TRUE", b"nan", b"-1", b"255", b"1e3", b"\xff"]),
        st.just(ROW.encode()),
    ), max_size=30),
    train=st.booleans(),
)
def test_any_bytes_after_a_valid_header_load_or_raise_a_skdigits_error(csv_file, body, train):
    header = HEADER if train else HEADER.split(",", 1)[1]
    path = csv_file(header.encode() + b"".join(body))
    try:
        loaded = load_digit_recognizer(path)
    except SkdigitsError as exc:
        assert str(path) in str(exc)
        return
    X = loaded[0] if train else loaded
    assert X.shape[1] == 784 and X.dtypes.eq(np.uint8).all()


@pytest.mark.parametrize("path", [None, 3, ["train.csv"]])
def test_a_path_that_is_not_a_file_name(path):
    with pytest.raises(DataTypeError, match=r"path must be a file name \(str or os.PathLike\)"):
        load_digit_recognizer(path)
    with pytest.raises(DataTypeError, match=r"output path must be a file name"):
        datasets.write_submission([1], path)


def test_utf16_is_named(csv_file):
    with pytest.raises(DataError, match=r"this is UTF-16 text; save the file again as UTF-8"):
        load_digit_recognizer(csv_file((HEADER + ROW).encode("utf-16")))


@pytest.mark.parametrize("path", ["", "train\0.csv"])
def test_an_empty_path_or_one_with_a_nul(path):
    with pytest.raises(DataError, match=r"the path is empty or holds a NUL character"):
        load_digit_recognizer(path)
