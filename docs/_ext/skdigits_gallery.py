"""sphinx-gallery scraper for the figures skdigits returns.

skdigits' plotting functions build :class:`matplotlib.figure.Figure` objects
without ``pyplot``, so sphinx-gallery's matplotlib scraper, which asks
``pyplot`` for its figures, never sees them. After each code block,
:func:`skdigits_figures` shows every figure that the example holds in a
variable and has not shown yet.
"""

_shown = {}  # example file -> ids of the figures already shown


def skdigits_figures(block, block_vars, gallery_conf):
    """Save the example's new figures and return the reST that shows them."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    shown = _shown.setdefault(block_vars["src_file"], set())
    paths = []
    for value in list(block_vars["example_globals"].values()):
        if isinstance(value, Figure) and id(value) not in shown:
            shown.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=100)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"]) if paths else ""
