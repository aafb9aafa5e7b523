"""The Kaggle "Digit Recognizer" CSV format: its columns, its header, and the errors that name a line.

Standard library only.
"""

import csv
import re

from skdigits.exceptions import DataError

N_PIXELS = 784
PIXEL_COLUMNS = tuple(f"pixel{i}" for i in range(N_PIXELS))
TRAIN_COLUMNS = ("label", *PIXEL_COLUMNS)
HEADER_HELP = "Kaggle's header is 'label,pixel0,...,pixel783' (train.csv) or 'pixel0,...,pixel783' (test.csv)"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def fail(path, message, line=None, column=None, name=None, error=DataError):
    """An error that starts like a compiler's: where (file, line, column), then what and how to fix it."""
    where = "" if line is None else f", line {line}"
    if column is not None:
        where += f", column {column} ({name})"
    return error(f"{path}{where}: {message}")


def non_utf8(path, exc, line):
    """The error for bytes that are not UTF-8 text, from a ``UnicodeDecodeError`` on one line."""
    byte = exc.object[exc.start : exc.start + 1].hex()
    return fail(
        path, f"byte 0x{byte} at character {exc.start + 1} is not UTF-8 text. Is this a CSV file? "
        "If so, save it again as UTF-8.", line=line,
    )


def lone_cr(path, line):
    """The error for a carriage return that ends no line (old Mac OS line ends); csv would choke on it."""
    return fail(
        path, "the line holds a lone carriage return (CR, old Mac OS line ends); "
        "save the file again with LF or CRLF line ends.", line=line,
    )


def check_magic(path, start):
    """Refuse archives and binary files from the first bytes of the file."""
    if start.startswith(b"PK\x03\x04"):
        raise fail(path, "this is a zip archive, not a CSV file; extract it first (e.g. unzip digit-recognizer.zip).")
    if start.startswith(b"\x1f\x8b"):
        raise fail(path, "this is gzip-compressed, not a CSV file; decompress it first (e.g. gunzip).")
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(path, "this is UTF-16 text; save the file again as UTF-8.")
    if b"\0" in start:
        raise fail(path, "this looks like a binary file (it holds NUL bytes), not a CSV text file.")


def parse_header(path, raw):
    """Decode the first line and split it into column names."""
    try:
        header = raw.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise non_utf8(path, exc, 1) from None
    if not header:
        raise fail(path, f"the first line is blank; it must be the header. {HEADER_HELP}.", line=1)
    if "\r" in header:
        raise lone_cr(path, 1)
    try:
        names = [name.strip() for name in next(csv.reader([header]))]
    except csv.Error as exc:
        raise fail(path, f"the header could not be read as CSV ({exc}). {HEADER_HELP}.", line=1) from None
    separator = next((sep for sep in ";\t|" if sep in header), None)
    if len(names) == 1 and separator:
        raise fail(
            path, f"the header is separated by {separator!r}, not commas; save the file as a comma-separated CSV.",
            line=1,
        )
    return names


def check_header(path, names):
    """Validate the column names; return True for a train file (with labels)."""
    if _NUMBER.fullmatch(names[0]):
        raise fail(
            path, f"the first line holds numbers, not column names: the header is missing. "
            f"Add it as the first line; {HEADER_HELP}.", line=1,
        )
    if names[0] in ("", "Unnamed: 0"):
        raise fail(
            path, "column 1 has no name. Was the file saved with DataFrame.to_csv without "
            "index=False? Drop that index column, or save again with index=False.", line=1,
        )
    if "label" in names[1:]:
        column = names.index("label") + 1
        raise fail(path, f"'label' is column {column}; it must be the first column.", line=1)
    is_train = names[0] == "label"
    pixels = names[is_train:]
    seen = {}
    for i, name in enumerate(pixels, start=1 + is_train):
        if name in seen:
            raise fail(
                path, f"columns {seen[name]} and {i} are both named {name!r}; each pixel column must appear once.",
                line=1,
            )
        seen[name] = i
        if not re.fullmatch(r"pixel\d+", name):
            hint = " Did you mean 'label'? It is case-sensitive." if name.lower() == "label" else ""
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise fail(
                path, f"column {i} is named {shown!r}, which is not a pixel column.{hint} {HEADER_HELP}.", line=1
            )
    if len(pixels) != N_PIXELS:
        missing = [c for c in PIXEL_COLUMNS if c not in seen][:3]
        extra = [c for c in pixels if c not in PIXEL_COLUMNS][:3]
        detail = (f"; missing {', '.join(missing)}" if missing else "") + (
            f"; unexpected {', '.join(extra)}" if extra else ""
        )
        raise fail(
            path, f"the header has {len(pixels)} pixel columns, expected {N_PIXELS} "
            f"(one per pixel of a 28x28 image){detail}.", line=1,
        )
    for i, (name, want) in enumerate(zip(pixels, PIXEL_COLUMNS), start=1 + is_train):
        if name != want:
            raise fail(
                path, f"column {i} is {name!r} but should be {want!r}: "
                "pixel columns must run pixel0..pixel783 in order.", line=1,
            )
    return is_train
