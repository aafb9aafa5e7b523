"""The "?" link of scikit-learn's HTML repr: each skdigits estimator links to its page of the API reference.

scikit-learn builds that link from three class attributes that it reads
(private ones; :mod:`skdigits.utils.compat` lists them), with defaults that
point at scikit-learn's own site. :class:`DocumentationLinkMixin` sets them
once for every public estimator. Standard library only: the estimators'
modules import it, and ``import skdigits`` stays light.
"""

from skdigits import _PUBLIC

__all__ = ["DOCS_URL", "DocumentationLinkMixin"]

#: Where the documentation is to be hosted (it is not online yet). Also
#: ``[project.urls] Documentation`` in pyproject.toml, which has to be a
#: literal; ``tests/test_html_repr.py`` keeps the two equal.
DOCS_URL = "https://skdigits.readthedocs.io/en/stable/"

# docs/api.rst lists every public name under ``.. currentmodule:: skdigits`` with
# ``:toctree: generated/``, and autosummary names each page after the object's full name.
_PAGE = DOCS_URL + "generated/skdigits.{public_name}.html"


def _public_name(cls):
    # The nearest public class in the MRO: a subclass that skdigits does not export
    # would otherwise link to a page that the documentation does not have.
    for klass in cls.__mro__:
        if _PUBLIC.get(klass.__name__) == klass.__module__:
            return klass.__name__
    return cls.__name__


class DocumentationLinkMixin:
    """Mixin: the estimator's HTML repr links to its page of skdigits' API reference.

    Put it before ``BaseEstimator`` (and scikeras' ``KerasClassifier``) in
    the bases. The link, shown as "?" in a notebook, is
    ``DOCS_URL + "generated/skdigits.<Name>.html"``, the page Sphinx
    writes for the public name ``skdigits.<Name>`` whichever module
    defines the class. A subclass defined outside skdigits gets no link,
    as in scikit-learn.
    """

    _doc_link_module = "skdigits"
    _doc_link_template = _PAGE

    def _doc_link_url_param_generator(self):
        return {"public_name": _public_name(type(self))}
