"""The Sphinx site builds with no warnings (``-W``), as CI requires, and validates the public docstrings."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import skdigits
from skdigits.utils.doc_links import DOCS_URL

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _needs_docs_extra():
    pytest.importorskip("sphinx", reason="install the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    pytest.importorskip("sphinx_gallery")


def _sphinx(source, out, builder="html"):
    # plot_gallery=0: the gallery's pages are built without running the examples, which train networks
    # for minutes; tests/test_examples.py runs each of them (in fast mode).
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-D", "plot_gallery=0", "-b", builder,
         str(source), str(out)],
        capture_output=True, text=True, timeout=600,
    )


def test_docs_build_without_warnings(tmp_path):
    _needs_docs_extra()
    # A fresh copy: autosummary writes pages into the source folder, and stale ones would hide warnings.
    source = shutil.copytree(DOCS, tmp_path / "docs", ignore=shutil.ignore_patterns("_build", "generated"))
    shutil.copytree(DOCS.parent / "examples", tmp_path / "examples")  # the gallery is made from them
    shutil.copytree(DOCS.parent / "benchmarks", tmp_path / "benchmarks")  # the benchmarks page is made from them
    done = _sphinx(source, tmp_path / "html")
    assert done.returncode == 0, done.stderr[-5000:]
    html = tmp_path / "html"
    assert "skdigits" in (html / "index.html").read_text(encoding="utf-8")
    # Every public name has an entry (and so had its docstring validated).
    pages = [html / "api.html", *(html / "generated").glob("*.html")]
    documented = {m for page in pages for m in re.findall(r'id="(skdigits\.[\w.]+)"', page.read_text(encoding="utf-8"))}
    missing = [n for n in skdigits.__all__ if n != "__version__" and not any(d.endswith("." + n) for d in documented)]
    assert not missing, f"public names with no entry in docs/api.rst: {missing}"
    # Each estimator's "?" link in a notebook names a page this build wrote.
    public = [getattr(skdigits, name) for name in skdigits.__all__]
    estimators = [cls for cls in public if isinstance(cls, type) and hasattr(cls, "_get_doc_link")]
    assert len(estimators) >= 6
    for cls in estimators:
        page = object.__new__(cls)._get_doc_link().removeprefix(DOCS_URL)  # the link depends on the class only
        assert (html / page).is_file(), f"{cls.__name__} links to {page}, which the build did not write"
    # The gallery has a page for every example, with its code.
    for script in sorted((DOCS.parent / "examples").glob("*.py")):
        page = html / "auto_examples" / f"{script.stem}.html"
        assert page.is_file(), f"no gallery page for examples/{script.name}"
        assert "highlight-Python" in page.read_text(encoding="utf-8"), f"{page.name} shows no code"


PROBE = '''
"""A stand-in skdigits module with one good and one bad public docstring."""


def area(width, height):
    """Return the area of a rectangle.

    Parameters
    ----------
    width : float
        The width.

    Returns
    -------
    float
        The area.
    """
    return width * height


def _helper():
    """private, and not in the numpydoc format"""


class Probe:
    """An estimator-like class."""

    def fit(self, X):
        """Fit nothing.

        Parameters
        ----------
        X : array-like
            Ignored.

        Returns
        -------
        self : Probe
            This instance.
        """
        return self
'''


def test_the_docs_build_validates_public_docstrings(tmp_path):
    """docs/conf.py's numpydoc settings, on a fake skdigits package: a missing parameter fails the -W build."""
    _needs_docs_extra()
    # conf.py puts the folder above it first on sys.path, so this fake package shadows the real one.
    (tmp_path / "skdigits").mkdir()
    (tmp_path / "skdigits" / "__init__.py").write_text('"""Fake skdigits."""\n')
    (tmp_path / "skdigits" / "probe.py").write_text(PROBE)
    source = tmp_path / "docs"
    source.mkdir()
    shutil.copy(DOCS / "conf.py", source / "conf.py")
    for folder in ("_ext", "_static", "_templates"):  # what conf.py names
        shutil.copytree(DOCS / folder, source / folder)
    shutil.copytree(DOCS.parent / "benchmarks", tmp_path / "benchmarks")  # the benchmarks page's results
    (tmp_path / "examples").mkdir()  # an empty gallery
    (tmp_path / "examples" / "README.rst").write_text("Examples\n========\n")
    (source / "index.rst").write_text(textwrap.dedent("""\
        Probe
        =====

        .. autofunction:: skdigits.probe.area

        .. autofunction:: skdigits.probe._helper

        .. autoclass:: skdigits.probe.Probe
           :members: fit
        """))
    done = _sphinx(source, tmp_path / "out", builder="dummy")
    assert done.returncode != 0
    assert "docstring for 'skdigits.probe.area'" in done.stderr
    assert "PR01: Parameters {'height'} not documented" in done.stderr
    assert "skdigits.probe._helper" not in done.stderr  # private names are not validated
    assert "RT02" not in done.stderr  # "self : Probe" is the scikit-learn convention for fit
    assert done.stderr.count("Validation warnings") == 1, done.stderr
