"""Figures are measured, not typed: the README and the docs show what the results files hold, and nothing else.

* The README's block between ``<!-- figures:begin -->`` and ``<!-- figures:end -->`` is what
  ``benchmarks/report.py`` renders from ``benchmarks/results/*.json`` (rewrite it with
  ``python benchmarks/report.py --readme README.md``).
* No measured-looking figure is typed by hand in the README (outside that block), the docs pages
  (the benchmarks page is generated) or skdigits' docstrings: see ``PATTERNS``.
* The generator renders tables from results files, and "not measured yet" without one.

No TensorFlow: the generator and the results writer need the standard library and NumPy only.
"""

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def _load(name):
    """``benchmarks/<name>.py`` as a module (benchmarks/ is no package; its scripts import ``_common``)."""
    spec = importlib.util.spec_from_file_location(f"_figures_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


report = _load("report")


# ---------------------------------------------------------------- the README's block and the results files
def test_the_readmes_figures_are_what_the_results_files_say():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = report.readme_block_in(text)
    assert block is not None, (
        f"README.md has no figures block: it needs a line {report.BEGIN} and, after it, a line {report.END}; "
        "python benchmarks/report.py --readme README.md fills it in")
    expected = report.readme_block()
    assert block == expected, (
        "README.md's figures block differs from what benchmarks/results/*.json say; rewrite it with\n"
        "    python benchmarks/report.py --readme README.md\n"
        f"expected:\n{expected}\nfound:\n{block}")


def test_every_committed_results_file_is_a_complete_record_of_a_known_benchmark():
    for path in sorted((BENCHMARKS / "results").glob("*.json")):
        name = path.stem
        assert name in report.BY_NAME, f"{path}: no benchmark {name!r} in report.BENCHMARKS"
        record = report.load(name)  # raises on a missing field or another schema
        assert record["tables"], f"{path}: no table to show"
        for key in ("argv", "cwd", "shown"):
            assert record["command"].get(key), f"{path}: the command lacks {key}"
        for key in ("cpu", "cores", "cpu_flags"):
            assert key in record["machine"], f"{path}: the machine lacks {key}"
        for key in ("python", "tensorflow", "keras", "scikit-learn", "numpy", "scikeras", "skdigits"):
            assert record["versions"].get(key), f"{path}: no {key} version"


def test_every_benchmark_script_is_on_the_page_under_the_name_it_writes():
    written = {}
    for script in BENCHMARKS.glob("*.py"):
        for call in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "write_results"
                    and call.args and isinstance(call.args[0], ast.Constant)):
                written[call.args[0].value] = script.stem
    assert written, "no benchmark calls write_results"
    assert set(written) == set(report.BY_NAME), (
        f"scripts that write results but are not in report.BENCHMARKS: {sorted(set(written) - set(report.BY_NAME))}; "
        f"entries without such a script: {sorted(set(report.BY_NAME) - set(written))}")
    for name, stem in written.items():
        assert stem == name, f"benchmarks/{stem}.py writes results/{name}.json: name the file after the script"
        assert report.BY_NAME[name].command.startswith(f"python benchmarks/{name}.py"), name
        assert report.BY_NAME[name].summary, f"benchmarks/{name}.py has no docstring to say what it measures"


# ---------------------------------------------------------------- the generator, on fixture results files
def _write(folder, name, figures, tables):
    common = _load("_common")
    return common.write_results(name, figures, tables, path=folder / f"{name}.json")


def _frontier(folder):
    rows = [{"recipe": recipe, "n_runs": 3, "seconds": seconds, "accuracy": accuracy, "log_loss": 0.03, "ece": 0.004,
             "mean_top_probability": 0.98, "gflops_per_second": 200.0, "accuracy_range": [accuracy - 1e-3, accuracy],
             "seconds_range": [seconds - 1, seconds + 1], **ratios}
            for recipe, seconds, accuracy, ratios in (
                ("keras-tutorial", 70.0, 0.9914, {"time_ratio_to_keras_tutorial": 1.0}),
                ("defaults", 20.0, 0.9915, {"time_ratio_to_keras_tutorial": 0.295, "time_ratio_to_tutorial": 0.28}),
                ("accurate", 170.0, 0.9939, {"time_ratio_to_keras_tutorial": 2.4}),
                ("5 x accurate", 860.0, 0.9947, {}))]
    frontier = _load("frontier")
    return _write(folder, "frontier", {"seeds": [0, 1, 2], "n_train": 8000, "n_test": 10000, "rows": rows},
                  [frontier.frontier_table(rows, 8000, 10000, [0, 1, 2])])


def test_a_results_file_renders_as_a_table_with_its_run(tmp_path, capsys):
    common = _load("_common")
    _write(tmp_path, "csv_load", {"median_seconds": 1.234},
           [common.table("Loading a file", ["file", "load time"], [["77 MB", "1.23 s"]], note="One process.")])
    record = json.loads((tmp_path / "csv_load.json").read_text())
    assert record["schema"] == report.SCHEMA and record["figures"] == {"median_seconds": 1.234}
    assert record["started"] <= record["finished"] and record["versions"]["numpy"]

    page = report.rst_page(tmp_path)
    section = page[page.index(".. _benchmark-csv-load:"):page.index(".. _benchmark-peak-memory:")]
    assert ".. list-table:: Loading a file" in section
    assert "   * - 77 MB\n     - 1.23 s" in section
    assert "One process." in section
    assert f":Command: ``{record['command']['shown']}``" in section
    assert ":Machine: " in section and ":Versions: Python " in section and ":Run: " in section
    assert report.NOT_MEASURED not in section


def test_a_benchmark_without_results_is_not_measured_yet_with_its_command(tmp_path):
    page = report.rst_page(tmp_path)  # an empty folder
    assert page.count(f"**{report.NOT_MEASURED.capitalize()}.**") == len(report.BENCHMARKS)
    assert "   python benchmarks/frontier.py --seeds 0 1 2 --ensemble 5" in page
    assert ".. list-table::" not in page

    block = report.readme_block(tmp_path)
    assert block.startswith(report.BEGIN) and block.endswith(report.END)
    assert f"{report.NOT_MEASURED} (`python benchmarks/frontier.py" in block
    assert f"{report.NOT_MEASURED} (`python benchmarks/sample_run.py" in block
    assert not re.search(r"\d\.\d{3}", block), "no figure without a results file"


def test_the_readme_block_quotes_the_frontier_and_is_rewritten_in_place(tmp_path):
    _frontier(tmp_path)
    block = report.readme_block(tmp_path)
    assert "**20 s**, 0.29x the time of the tutorial hand-written in Keras (70 s)" in block
    assert "**0.9915** against its 0.9914" in block and "5 of them averaged: **0.9947**" in block

    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{report.BEGIN}\nold 0.9999\n{report.END}\nafter\n")
    assert report.main(["--results", str(tmp_path), "--check-readme", str(readme)]) == 1
    assert report.main(["--results", str(tmp_path), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# x\n\nbefore\n") and text.endswith("\nafter\n") and "0.9999" not in text
    assert report.readme_block_in(text) == block
    assert report.main(["--results", str(tmp_path), "--check-readme", str(readme)]) == 0


def test_a_results_file_of_another_layout_is_refused(tmp_path):
    (tmp_path / "csv_load.json").write_text(json.dumps({"benchmark": "csv_load", "machine": {}, "rows": []}))
    with pytest.raises(report.ResultsError, match="lacks schema, command"):
        report.rst_page(tmp_path)


def test_the_page_builds_without_warnings_with_the_plot(tmp_path):
    sphinx = pytest.importorskip("sphinx.application")
    pytest.importorskip("matplotlib")
    benchmarks = tmp_path / "benchmarks"
    benchmarks.mkdir()
    (benchmarks / "report.py").write_text((BENCHMARKS / "report.py").read_text())
    for b in report.BENCHMARKS:  # the page reads each script's docstring
        (benchmarks / f"{b.name}.py").write_text((BENCHMARKS / f"{b.name}.py").read_text())
    _frontier(benchmarks / "results")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\nextensions = ['skdigits_figures']\n")
    (docs / "index.rst").write_text((ROOT / "docs" / "benchmarks.rst").read_text())
    app = sphinx.Sphinx(str(docs), str(docs), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                        status=None, warningiserror=True, freshenv=True)
    app.build()
    html = (tmp_path / "html" / "index.html").read_text()
    assert "0.9947" in html and "Not measured yet" in html
    assert (docs / "_generated" / "frontier.png").stat().st_size > 1000
    assert "frontier.png" in html


# ---------------------------------------------------------------- no figures typed by hand
# Each pattern: a figure that only a measurement could give, typed into prose. Parameter values
# (dropout 0.5, learning_rate=1e-3, rotation 10 degrees) match none of them. A measured figure
# belongs in a results file; the prose links to the benchmarks page instead.
PATTERNS = {
    "an accuracy to 4 places": r"(?<![=\w.])0\.9[0-9]\d{2,}\b",
    "an accuracy in per cent to a decimal": r"\b9\d\.\d+ ?%",
    "a measured speed": r"\bGFLOP/s\b",
    "a time ratio to another recipe": r"\b\d+(\.\d+)?\s?x\s+(the\s+)?(time|tutorial|hand-written|keras|baseline|faster|"
                                      r"slower)|\(\d+\.\d+x\b",
    "a measured duration": r"\b(takes?|took|taking|trains?|trained|training|in about|about|around|wall|median|"
                           r"(?<!per )second)\s+(time\s+)?(of\s+)?~?\d[\d,]*(\.\d+)?\s?(s|seconds?|min|minutes?|ms)\b"
                           r"|\b\d[\d,]*(\.\d+)? ?s (wall|of training|to train)\b"
                           r"|\babout (a|an|one|two|three|\d+) (minute|hour)s?\b",
    "a measured memory peak": r"\b(peak|RSS|resident)\b[^.\n]{0,40}\b\d[\d,]*(\.\d+)?\s?(MiB|MB|GiB|GB)\b",
    "a measured log-loss or calibration error": r"\b(log-loss|ECE)\b[^.\n]{0,25}\b0\.0\d{3}\b",
}
# (path relative to the repository, text on the line) -> why it is not a typed measurement.
ALLOWED = {
    ("skdigits/reports.py", '"mean_score": [0.98765]'): "a doctest's made-up input",
    ("skdigits/reports.py", "|     0.9877 |"): "that doctest's output, the input rounded",
}
GENERATED_PAGES = {"docs/benchmarks.rst"}  # its figures come from the directive, not from its text


def _prose():
    """(path, line number, line) of the README (outside its generated block), the docs pages and skdigits'
    docstrings and other string constants."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = report.readme_block_in(readme)
    if block:
        readme = readme.replace(block, "\n" * block.count("\n"))  # keep the line numbers
    for number, line in enumerate(readme.splitlines(), 1):
        yield "README.md", number, line
    for page in sorted((ROOT / "docs").rglob("*.rst")):
        relative = page.relative_to(ROOT).as_posix()
        if relative in GENERATED_PAGES or "/_build/" in relative or "/generated/" in relative:
            continue
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            yield relative, number, line
    for module in sorted((ROOT / "skdigits").rglob("*.py")):
        relative = module.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for offset, line in enumerate(node.value.splitlines()):
                    yield relative, node.lineno + offset, line


def test_no_measured_figure_is_typed_by_hand():
    compiled = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in PATTERNS.items()}
    found = []
    for path, number, line in _prose():
        for name, pattern in compiled.items():
            match = pattern.search(line)
            if match and not any(path == p and text in line for p, text in ALLOWED):
                found.append(f"{path}:{number}: {name}: {match.group(0)!r} in {line.strip()[:160]!r}")
    assert not found, (
        f"{len(found)} measured-looking figures typed by hand. A measured figure lives in its benchmark's results "
        "file (benchmarks/results/); link to the benchmarks page instead (:doc:`benchmarks` in the docs). "
        "A false positive goes into ALLOWED in tests/test_figures.py with its reason.\n" + "\n".join(found))


@pytest.mark.parametrize("text", [
    "dropout : float, default=0.5", "learning_rate=1e-3", "rotation of 10 degrees", "beta_2=0.9999",
    "timeout : float, default=5.0 (seconds)", "each 28x28 image", "batch_size=128, epochs=30",
    "at most 2 s per file (the limit)", "a 10 MB budget",
])
def test_the_figure_patterns_pass_parameters_and_limits(text):
    assert not [name for name, p in PATTERNS.items() if re.search(p, text, re.IGNORECASE)], text


@pytest.mark.parametrize("text", [
    "median test accuracy 0.9915", "in 0.30 of the time (0.295x)", "252 GFLOP/s", "takes about a minute",
    "it took 68 s", "15 s wall", "peak RSS 1,424 MiB", "log-loss 0.0240", "98.43 %", "3.1x the tutorial",
])
def test_the_figure_patterns_catch_measurements(text):
    assert [name for name, p in PATTERNS.items() if re.search(p, text, re.IGNORECASE)], text
