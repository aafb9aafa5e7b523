"""The Sphinx site builds with no warnings (``-W``), as CI requires."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="install the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    # A fresh copy: autosummary writes pages into the source folder, and stale ones would hide warnings.
    source = shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("_build", "generated"))
    shutil.copytree(DOCS.parent / "examples", tmp_path / "examples")  # the examples page includes them
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(source), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    index = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "skdigits" in index
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    for name in ("CNNDigitClassifier", "DigitImageTransformer", "save_model", "load_model"):
        assert name in api
