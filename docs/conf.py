"""Sphinx configuration for the skdigits documentation.

Build with ``sphinx-build -W -b html docs docs/_build`` (warnings are errors).
That build runs the examples for the gallery (minutes; sphinx-gallery keeps
the results in ``docs/auto_examples/`` and runs an example again only when it
changes). ``-D plot_gallery=0`` builds the gallery pages without running the
examples, in seconds; ``tests/test_docs.py`` builds that way.
The build imports skdigits (and, for the classifier's page, TensorFlow); it
needs no network access: there is no intersphinx, so references to other
projects' objects render as plain code.
"""

import os
import re
import sys
from importlib.metadata import PackageNotFoundError, version

# Document the working tree's package even when it is not installed
# (relative to this file, not to wherever sphinx-build was started).
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
# docs/_ext: the gallery's figure scraper (importable, so Sphinx can pickle the configuration).
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "_ext")))
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
    "sphinx_gallery.gen_gallery",
    "skdigits_figures",  # docs/_ext: the benchmarks page, generated from benchmarks/results/*.json
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

# numpydoc validation: every check but three on each public docstring the site
# shows; a failure is a Sphinx warning, so the -W build fails on it.
# Left out, as the project does not ask for them on every name: ES01 (extended
# summary), SA01 (See Also) and EX01 (Examples).
numpydoc_validation_checks = {"all", "ES01", "SA01", "EX01"}
# scikit-learn's convention "self : CNNDigitClassifier" names the return value;
# RT02 would flag every fit method for it.
numpydoc_validation_overrides = {"RT02": [r"\n\s*self : \w+"]}
# Public names that fail today, each with the checks it fails: the owners fix
# the docstring, then delete the entry (an entry excludes only that name).
_PENDING_DOCSTRING_FIXES = {
    # Sphinx reads a variable's docstring without its closing newline, so GL02 cannot pass for these.
    "skdigits.recipes.TUTORIAL_RECIPE": "GL02 (a variable's docstring)",
    "skdigits.recipes.FAST_RECIPE": "GL02 (a variable's docstring)",
    "skdigits.recipes.ACCURATE_RECIPE": "GL02 (a variable's docstring)",
}
numpydoc_validation_exclude = {
    r"^(?!skdigits\.)",  # other projects' objects (scikeras', Keras') are theirs to document
    r"\._",  # private names and dunder methods (a class's parameters are on its own docstring)
    *(rf"^{re.escape(name)}$" for name in _PENDING_DOCSTRING_FIXES),
}



sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Run every example when the gallery is built, except the one that needs a Dask cluster.
    "filename_pattern": r"/(?!distributed_)[^/]+\.py$",
    "image_scrapers": ("matplotlib", "skdigits_gallery.skdigits_figures"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "write_computation_times": False,
    "min_reported_time": 10**9,  # no "Total running time" line: a timing of one machine at one moment
}

html_theme = "pydata_sphinx_theme"
html_title = f"skdigits {release}"
html_static_path = ["_static"]
html_css_files = ["skdigits.css"]
# Every page, top-level ones included, shows the site's navigation in the left
# sidebar (the theme's default shows it only beside pages that have children).
html_sidebars = {"**": ["sidebar-site-nav"]}
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "show_nav_level": 2,
    "navigation_depth": 3,
}
html_show_sourcelink = False
