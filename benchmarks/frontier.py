"""The accuracy-time frontier: each recipe's training time against its test accuracy, log-loss and calibration.

Trains ``CNNDigitClassifier(**recipe, random_state=seed)`` on the training
digits for every recipe (``keras-tutorial``: the tutorial hand-written in
Keras, ``keras_tutorial.py``, no skdigits; ``tutorial``: ``TUTORIAL_RECIPE``; ``defaults``:
``CNNDigitClassifier()``, i.e. ``FAST_RECIPE``; ``accurate``:
``ACCURATE_RECIPE``) and seed, alternating the recipes within each seed so
that slow phases of a shared machine hit all of them alike, and scores the
test digits: accuracy, log-loss, ECE (15 equal-width confidence bins, from
``calibration.py``) and the mean top probability. Training time is the wall
time of ``fit`` (graph tracing included). GFLOP/s is the training
arithmetic over that time: 3 x the forward pass's multiply-adds x 2 (the
forward pass, then the gradients of the inputs and of the weights), counted
from the convolution and dense layers only, x images x epochs. The time
ratios against the two tutorials are medians of the per-seed ratios.

With ``--ensemble k [k ...]``, the ``accurate`` networks of seeds 0 .. k-1
(the ones already trained, and more seeds as needed) are also scored as an
ensemble, for each k: their probabilities averaged, which is what
``CNNEnsembleClassifier.predict_proba`` computes for members of those seeds;
its training time is the sum of theirs.

``keras-tutorial`` seeds Keras' global random state, as the tutorial does
(``keras.utils.set_random_seed(seed)``); that no longer reaches the
skdigits fits after it (``tests/test_classifier.py`` checks it). The runs
of 2026-12-01 before 14:26 UTC predate that fix: there, those fits
shuffled as after ``keras.utils.set_random_seed`` of the last such seed.

Nothing is chosen here: the recipes were chosen on held-out digits
(``recipe_search.py --heldout``). Prints a Markdown table, writes
``results/frontier.json`` and plots accuracy against training time, one
point per recipe and ensemble (the medians; bars span the seeds), to
``--plot`` (default ``docs/_static/frontier.png``); ``--replot
results/frontier.json`` redraws it from a saved run.

    python benchmarks/frontier.py [--seeds 0 1 2] [--ensemble 5 10]
                                  [--recipes keras-tutorial tutorial defaults accurate]
"""

import json
import time
from pathlib import Path

import keras_tutorial
import numpy as np
from calibration import scores

from _common import load_scaled, median, parser, write_results

ROOT = Path(__file__).resolve().parents[1]


RECIPES = ("keras-tutorial", "tutorial", "defaults", "accurate")


def recipes():
    """The recipes by name, as keyword arguments of CNNDigitClassifier (``keras-tutorial`` is not one: None)."""
    from skdigits.recipes import ACCURATE_RECIPE, TUTORIAL_RECIPE

    return {"keras-tutorial": None, "tutorial": TUTORIAL_RECIPE, "defaults": {}, "accurate": ACCURATE_RECIPE}


def forward_flops(model):
    """Floating-point operations of one image's forward pass: 2 per multiply-add of the Conv2D and Dense layers."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            _, height, width, channels = layer.output.shape
            total += height * width * channels * int(np.prod(layer.kernel_size)) * layer.input.shape[-1]
        elif kind == "Dense":
            total += layer.input.shape[-1] * layer.units
    return 2 * total


def train_and_score(params, seed, X, y, X_test, y_test):
    """Fit one network (``params`` None: the hand-written Keras tutorial); return its fit seconds, test
    probabilities and measured figures."""
    from skdigits import CNNDigitClassifier

    start = time.perf_counter()
    if params is None:
        model, epochs = keras_tutorial.fit(X, y, seed), keras_tutorial.EPOCHS
        seconds = time.perf_counter() - start
        proba, classes = model.predict(X_test, batch_size=1024, verbose=0), y_test
    else:
        clf = CNNDigitClassifier(**params, random_state=seed).fit(X, y)
        seconds = time.perf_counter() - start
        model, epochs = clf.model_, clf.epochs
        proba, classes = clf.predict_proba(X_test), np.searchsorted(clf.classes_, y_test)
    flops = 3 * forward_flops(model) * len(X) * epochs
    return proba, {"seed": seed, "seconds": seconds, "gflops_per_second": flops / seconds / 1e9,
                   "forward_mflop_per_image": forward_flops(model) / 1e6, **scores(proba, classes)}


def summarise(name, runs, tutorial_seconds, keras_seconds=None):
    """One table row: medians over the seeds, and the median per-seed time ratios against the tutorial
    (through skdigits, and hand-written in Keras)."""
    row = {"recipe": name, "n_runs": len(runs)}
    for key in ("seconds", "accuracy", "log_loss", "ece", "mean_top_probability", "gflops_per_second"):
        row[key] = median([r[key] for r in runs])
    row["accuracy_range"] = [min(r["accuracy"] for r in runs), max(r["accuracy"] for r in runs)]
    row["seconds_range"] = [min(r["seconds"] for r in runs), max(r["seconds"] for r in runs)]
    for key, base in (("time_ratio_to_tutorial", tutorial_seconds), ("time_ratio_to_keras_tutorial", keras_seconds)):
        if base and any(r["seed"] in base for r in runs):
            row[key] = median([r["seconds"] / base[r["seed"]] for r in runs if r["seed"] in base])
    return row


def markdown(rows):
    """The table, in Markdown."""
    lines = ["| recipe | runs | training time (median) | x hand-written Keras tutorial | x tutorial recipe "
             "| test accuracy (median) | log-loss | ECE (15 bins) | mean top probability | GFLOP/s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        keras_ratio, ratio, speed = (r.get("time_ratio_to_keras_tutorial"), r.get("time_ratio_to_tutorial"),
                                     r["gflops_per_second"])
        lines.append(
            f"| {r['recipe']} | {r['n_runs']} | {r['seconds']:.1f} s "
            f"| {'' if keras_ratio is None else f'{keras_ratio:.3f}'} | {'' if ratio is None else f'{ratio:.3f}'} "
            f"| {r['accuracy']:.4f} | {r['log_loss']:.4f} | {r['ece']:.4f} | {r['mean_top_probability']:.3f} "
            f"| {'' if speed is None else f'{speed:.0f}'} |")
    return "\n".join(lines)


def plot(rows, path, title):
    """Accuracy against training time, one point per row, bars spanning the seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, r in enumerate(rows):
        seconds, accuracy = r["seconds"], r["accuracy"]
        ax.errorbar(seconds, accuracy, fmt="o",
                    xerr=[[seconds - r["seconds_range"][0]], [r["seconds_range"][1] - seconds]],
                    yerr=[[accuracy - r["accuracy_range"][0]], [r["accuracy_range"][1] - accuracy]], capsize=3)
        # Neighbours (the two tutorials, the two ensembles) get labels on opposite sides, both below
        # their points: above, the hand-written tutorial's label ran into the defaults' time bar.
        ax.annotate(r["recipe"], (seconds, accuracy), textcoords="offset points",
                    xytext=(6, -12) if i % 2 else (-6, -12), ha="left" if i % 2 else "right", fontsize=9)
    ax.set_xscale("log")
    times = [r["seconds"] for r in rows]
    ax.set_xlim(min(times) / 1.6, max(times) * 1.6)
    ax.set_xlabel("training time on 8,000 digits (s, log scale)")
    ax.set_ylabel("accuracy on the 10,000 MNIST test digits")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    p.add_argument("--ensemble", type=int, nargs="*", default=[],
                   help="also score k accurate networks averaged (seeds 0..k-1), for each k given")
    p.add_argument("--plot", type=Path, default=ROOT / "docs" / "_static" / "frontier.png")
    p.add_argument("--replot", type=Path, default=None, help="redraw the plot from this results JSON, training nothing")
    args = p.parse_args()
    if args.replot:
        results = json.loads(args.replot.read_text())
        plot(results["rows"], args.plot, f"{results['n_train']:,} training digits, seeds "
             f"{', '.join(map(str, sorted({r['seed'] for runs in results['runs'].values() for r in runs})))}; "
             f"{results['started']}")
        print(f"plot: {args.plot}")
        return

    X, y = load_scaled(args.train)
    X_test, y_test = load_scaled(args.test)
    params = recipes()
    runs = {name: [] for name in args.recipes}
    accurate_proba = {}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for seed in args.seeds:
        for name in args.recipes:
            proba, run = train_and_score(params[name], seed, X, y, X_test, y_test)
            runs[name].append(run)
            if name == "accurate":
                accurate_proba[seed] = proba
            print(f"{name:9s} seed {seed}: {run['seconds']:6.1f} s, accuracy {run['accuracy']:.4f}, "
                  f"log-loss {run['log_loss']:.4f}, ECE {run['ece']:.4f}, {run['gflops_per_second']:.0f} GFLOP/s",
                  flush=True)
    tutorial_seconds = {r["seed"]: r["seconds"] for r in runs.get("tutorial", [])}
    keras_seconds = {r["seed"]: r["seconds"] for r in runs.get("keras-tutorial", [])}
    rows = [summarise(name, group, tutorial_seconds, keras_seconds) for name, group in runs.items()]

    ensembles = []
    members = {r["seed"]: r for r in runs.get("accurate", [])}
    for k in sorted(set(args.ensemble)):
        for seed in range(k):
            if seed not in accurate_proba:
                accurate_proba[seed], members[seed] = train_and_score(params["accurate"], seed, X, y, X_test, y_test)
                print(f"accurate seed {seed} (ensemble member): {members[seed]['seconds']:6.1f} s, "
                      f"accuracy {members[seed]['accuracy']:.4f}", flush=True)
        proba = np.mean([accurate_proba[seed] for seed in range(k)], axis=0)
        seconds = sum(members[seed]["seconds"] for seed in range(k))
        ensembles.append({"seed": 0, "seconds": seconds, "gflops_per_second": None, **scores(proba, y_test),
                          "members": [members[seed] for seed in range(k)]})
        row = summarise(f"{k} x accurate", [ensembles[-1]], {})
        row["gflops_per_second"] = median([members[seed]["gflops_per_second"] for seed in range(k)])
        for key, base in (("time_ratio_to_tutorial", tutorial_seconds),
                          ("time_ratio_to_keras_tutorial", keras_seconds)):
            if base:
                row[key] = seconds / median(list(base.values()))
        rows.append(row)

    table = markdown(rows)
    print()
    print(table)
    title = f"{len(X):,} training digits, seeds {', '.join(map(str, args.seeds))}; {started}"
    plot(rows, args.plot, title)
    seeds, names = " ".join(map(str, args.seeds)), " ".join(args.recipes)
    command = f"python benchmarks/frontier.py --seeds {seeds} --recipes {names}"
    if args.ensemble:
        command += " --ensemble " + " ".join(map(str, args.ensemble))
    path = write_results("frontier", {
        "command": command,
        "started": started, "n_train": len(X), "n_test": len(X_test), "rows": rows, "runs": runs,
        "ensembles": ensembles, "table": table, "plot": str(args.plot),
    }, args.json)
    print(f"results: {path}\nplot: {args.plot}")


if __name__ == "__main__":
    main()
