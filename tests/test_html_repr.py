"""In a notebook, every skdigits estimator's diagram links ("?") to its page of the API reference."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.pipeline import make_pipeline

import skdigits
from skdigits.utils.doc_links import DOCS_URL

ROOT = Path(__file__).resolve().parents[1]

# Written out in full, not built the way the package builds them, so that a wrong template fails here.
PAGES = {
    "DigitImageTransformer": "https://skdigits.readthedocs.io/en/stable/generated/skdigits.DigitImageTransformer.html",
    "DigitNormalizer": "https://skdigits.readthedocs.io/en/stable/generated/skdigits.DigitNormalizer.html",
    "CNNDigitClassifier": "https://skdigits.readthedocs.io/en/stable/generated/skdigits.CNNDigitClassifier.html",
    "CNNEnsembleClassifier": "https://skdigits.readthedocs.io/en/stable/generated/skdigits.CNNEnsembleClassifier.html",
    "DigitPredictor": "https://skdigits.readthedocs.io/en/stable/generated/skdigits.DigitPredictor.html",
    "DigitEnsemblePredictor":
        "https://skdigits.readthedocs.io/en/stable/generated/skdigits.DigitEnsemblePredictor.html",
}


def _estimator(name):
    if name == "DigitPredictor":  # made by load_predictor; its repr needs only its parameters
        return skdigits.DigitPredictor(network=None, classes=[0, 1])
    if name == "DigitEnsemblePredictor":
        return skdigits.DigitEnsemblePredictor(members=[_estimator("DigitPredictor")])
    return getattr(skdigits, name)()


def _links(html):
    # The "?" link itself, without scikit-learn's per-parameter "#:~:text=" links to the same page.
    return set(re.findall(r'class="sk-estimator-doc-link[^"]*"[^>]*href="([^"#]+)"', html))


def test_every_public_estimator_is_listed_here():
    public = {name for name in skdigits.__all__ if name != "__version__"
              and inspect.isclass(cls := getattr(skdigits, name)) and issubclass(cls, BaseEstimator)}
    assert public == set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_the_link_is_the_page_of_the_public_name(name):
    assert _estimator(name)._get_doc_link() == PAGES[name]


@pytest.mark.parametrize("name", PAGES)
def test_the_html_repr_shows_the_link(name):
    with config_context(display="diagram"):
        html = _estimator(name)._repr_html_()
    assert _links(html) == {PAGES[name]}


def test_a_pipeline_links_each_step_to_its_page():
    pipelines = [skdigits.make_digit_pipeline(),
                 make_pipeline(skdigits.DigitNormalizer(), skdigits.DigitImageTransformer(),
                               skdigits.CNNEnsembleClassifier(skdigits.CNNDigitClassifier()))]
    with config_context(display="diagram"):
        htmls = [pipe._repr_html_() for pipe in pipelines]
    pipeline_page = "https://scikit-learn.org/"  # scikit-learn's own link for Pipeline, untouched
    assert _links(htmls[0]) - {link for link in _links(htmls[0]) if link.startswith(pipeline_page)} == {
        PAGES["DigitImageTransformer"], PAGES["CNNDigitClassifier"]}
    assert {link for link in _links(htmls[1]) if not link.startswith(pipeline_page)} == {
        PAGES[name] for name in ("DigitNormalizer", "DigitImageTransformer", "CNNEnsembleClassifier",
                                 "CNNDigitClassifier")}
    assert any(link.startswith(pipeline_page) for link in _links(htmls[1]))


def test_a_subclass_links_to_its_public_parent_and_a_users_class_to_nothing():
    private = type("_Tuned", (skdigits.CNNDigitClassifier,), {"__module__": "skdigits.classifier"})
    assert private()._get_doc_link() == PAGES["CNNDigitClassifier"]

    class Mine(skdigits.DigitImageTransformer):  # defined in this test module, not in skdigits
        pass

    assert Mine()._get_doc_link() == ""


def _generated_pages():
    """The pages that ``docs/api.rst`` makes Sphinx write, without running Sphinx.

    Each entry of an autosummary with ``:toctree: generated/`` becomes
    ``generated/<currentmodule>.<entry>.html``: autosummary names a page by
    its object's full name unless conf.py maps the names elsewhere.
    """
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    assert "autosummary_filename_map" not in conf and "html_file_suffix" not in conf, (
        "conf.py renames the generated pages: update skdigits/utils/doc_links.py and this test")
    pages, module, toctree = set(), None, None
    for line in (ROOT / "docs" / "api.rst").read_text(encoding="utf-8").splitlines():
        if found := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = found[1]
        elif line.startswith(".. autosummary::"):
            toctree = None
        elif found := re.match(r"\s+:toctree: (\S+?)/?$", line):
            toctree = found[1]
        elif toctree and (found := re.match(r"   (\w[\w.]*)$", line)):
            pages.add(f"{toctree}/{module}.{found[1]}.html")
        elif line and not line.startswith(" "):
            toctree = None
    return pages


def test_each_link_is_a_page_that_the_docs_build_writes():
    pages = _generated_pages()
    assert "generated/skdigits.make_digit_pipeline.html" in pages  # the parsing reads docs/api.rst
    for name in PAGES:
        link = _estimator(name)._get_doc_link()
        assert link.startswith(DOCS_URL)
        assert link.removeprefix(DOCS_URL) in pages, f"{name} links to {link}, a page docs/api.rst does not make"


def test_the_documentation_address_is_pyprojects():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Documentation"] == DOCS_URL == "https://skdigits.readthedocs.io/en/stable/"


def test_the_link_settings_import_nothing_heavy():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, skdigits.utils.doc_links\n"
         "print(sorted({'tensorflow', 'keras', 'scikeras', 'sklearn', 'numpy', 'pandas'} & set(sys.modules)))"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
