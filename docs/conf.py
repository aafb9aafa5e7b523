"""Sphinx configuration for the skdigits documentation.

Build with ``sphinx-build -W -b html docs docs/_build`` (warnings are errors).
The build imports skdigits (and, for the classifier's page, TensorFlow); it
needs no network access: there is no intersphinx, so references to other
projects' objects render as plain code.
"""

import os
import sys
from importlib.metadata import PackageNotFoundError, version

# Document the working tree's package even when it is not installed.
sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

project = "skdigits"
author = "skdigits developers"
copyright = "skdigits developers"
try:
    release = version("skdigits")
except PackageNotFoundError:  # not installed: fall back to the source tree's number
    release = "0.1.0"
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# autosummary writes one page per public name into api/generated/.
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc docstrings already give every type

# numpydoc: class pages list their own methods through our autosummary
# template, so numpydoc's automatic member tables are switched off (they
# would list scikeras' inherited methods and need stub pages for each).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"skdigits {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False
