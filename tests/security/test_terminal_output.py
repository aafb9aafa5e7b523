"""Must-have 5 of issue 23: file names and messages reach a terminal with their control characters escaped.

``skdigits predict --images`` printed file names raw: a name holding a
newline forged a row of the table, and escape sequences reached the
terminal. The model is replaced by a stub, so no network is built.
"""

import json
import os

import numpy as np
import pytest
from PIL import Image

from skdigits.cli.commands import predict as predict_command
from skdigits.exceptions import DataError
from skdigits.images.files import load_digit_images
from skdigits.utils.terminal import printable

FORGED = "7.png\n9.png                 9       1.0000\n"
NAMES = [FORGED + ".png", "title\x1b]0;pwned\x07.png", "clear\x1b[2J.png", "rtl\u202egnp.exe.png", "bell\x07.png"]


class _Stub:
    """A fitted model as predict_image_files needs one: two classes, the second a hostile label."""

    classes_ = np.array(["1", "\x1b[31mred"])

    def predict_proba(self, X):
        return np.tile([0.25, 0.75], (len(X), 1))


@pytest.fixture
def folder(tmp_path):
    image = np.full((40, 40), 220, np.uint8)
    image[8:32, 18:23] = 20
    for name in NAMES:
        Image.fromarray(image).save(tmp_path / name, format="PNG")
    if os.uname().sysname == "Linux":  # a name that is not UTF-8: a lone surrogate stdout cannot encode
        with open(os.path.join(os.fsencode(tmp_path), b"latin\xe9.png"), "wb") as f:
            Image.fromarray(image).save(f, format="PNG")
    return tmp_path


def _run(monkeypatch, capsys, argv):
    from skdigits.cli import main

    monkeypatch.setattr(predict_command, "load_model_for_prediction", lambda args, session: ("stub", _Stub()))
    status = main(argv)
    return status, *capsys.readouterr()


def test_the_table_escapes_file_names_and_labels(monkeypatch, capsys, folder):
    status, out, err = _run(monkeypatch, capsys, ["predict", "--images", str(folder), "-q"])
    assert status == 0
    lines = out.splitlines()
    n_files = len(list(folder.iterdir()))
    assert len(lines) == 1 + n_files, out  # a header and one line per file: no forged row
    assert not any(ch in out for ch in "\x1b\x07\u202e\r"), repr(out)
    assert "\\n9.png" in out and "\\x1b]0;pwned\\x07" in out and "\\u202e" in out and "\\x1b[31mred" in out
    out.encode("utf-8")  # no lone surrogate left


def test_json_and_csv_keep_the_exact_names(monkeypatch, capsys, folder, tmp_path_factory):
    csv_path = tmp_path_factory.mktemp("out") / "table.csv"
    status, out, _ = _run(monkeypatch, capsys, ["predict", "--images", str(folder), "-q", "--json",
                                                "--output", str(csv_path)])
    assert status == 0 and "\x1b" not in out
    names = {os.path.basename(row["file"]) for row in json.loads(out)}
    assert set(NAMES) <= names
    import csv

    with open(csv_path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        assert set(NAMES) <= {os.path.basename(row["file"]) for row in csv.DictReader(f)}


def test_an_error_about_a_hostile_name_is_one_escaped_line(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "evil\n\x1b[2Jname.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(DataError) as info:
        load_digit_images(bad)
    assert "\x1b" not in str(info.value) and "\n" not in str(info.value)
    assert "evil\\n\\x1b[2Jname.png: not a readable image" in str(info.value)
    status, out, err = _run(monkeypatch, capsys, ["predict", "--images", str(bad)])
    assert status == 2 and "\x1b" not in err
    assert [line for line in err.splitlines() if line.startswith("skdigits: error:")] == [
        line for line in err.splitlines() if "evil" in line]


def test_printable_leaves_ordinary_text_alone():
    assert printable("chiffre 7 – été.png") == "chiffre 7 – été.png"
    assert printable("a\tb\nc", keep="\n") == "a\\tb\nc"
    assert printable("\x00\x7f\x85\u2028\udcff") == "\\x00\\x7f\\x85\\u2028\\udcff"
