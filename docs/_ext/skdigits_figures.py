"""Sphinx extension: the benchmarks page, generated from the results files when the docs build.

``.. skdigits-benchmarks::`` renders every benchmark of ``benchmarks/report.py``:
its tables with the command, machine, versions and date of the run, or, for
a benchmark without a results file, the command that would measure it. The
accuracy-time plots are drawn from ``frontier.json`` and ``kaggle_frontier.json`` into
``docs/_generated/`` (git-ignored). A page using the directive is rebuilt
when a results file changes. No TensorFlow is imported.

In ``conf.py``::

    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "_ext")))
    extensions = [..., "skdigits_figures"]

The benchmarks folder is ``../benchmarks`` beside the docs' source folder;
the ``skdigits_benchmarks_dir`` setting names another. Without it, the build
fails: a page of benchmarks without their figures must not pass for one.
"""

import importlib.util
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _benchmarks(env):
    """The benchmarks folder: the ``skdigits_benchmarks_dir`` setting, else ``../benchmarks`` beside the docs."""
    folder = Path(env.config.skdigits_benchmarks_dir or Path(env.srcdir).parent / "benchmarks")
    if not (folder / "report.py").is_file():
        raise ExtensionError(f"skdigits_figures: no report.py in {folder}; the benchmarks page is generated from "
                             "it (set skdigits_benchmarks_dir in conf.py if the folder is elsewhere)")
    return folder.resolve()


def _report(folder):
    """``benchmarks/report.py`` as a module, loaded by path (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location("skdigits_benchmarks_report", folder / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BenchmarksDirective(SphinxDirective):
    """``.. skdigits-benchmarks::``: one section per benchmark, from ``benchmarks/results/``."""

    has_content = False

    def run(self):
        folder = _benchmarks(self.env)
        report = _report(folder)
        results = report.RESULTS
        for benchmark in report.BENCHMARKS:  # rebuild this page when a results file appears or changes
            self.env.note_dependency(str(results / f"{benchmark.name}.json"))
        self.env.note_dependency(str(folder / "report.py"))
        images = {}
        for name in report.PLOTTED:
            record = report.load(name, results)
            if record is not None:
                srcdir = Path(self.env.srcdir)
                path = report.plot_frontier(record, srcdir / "_generated" / f"{name}.png")
                images[name] = "/" + path.relative_to(srcdir).as_posix()
        text = report.rst_page(results, images)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(text.splitlines(), source="benchmarks/results"), container)
        return container.children


def setup(app):
    app.add_config_value("skdigits_benchmarks_dir", None, "env")
    app.add_directive("skdigits-benchmarks", BenchmarksDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
