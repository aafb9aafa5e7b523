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
from the convolution and dense layers only, x images x epochs, whatever the
arithmetic: each row records the precision its networks trained in (the
defaults' ``precision="auto"`` is bfloat16 on a CPU with AVX512_BF16) and
their epochs. The time ratios against the two tutorials are medians of the
per-seed ratios.

With ``--ensemble k [k ...]``, the ``accurate`` networks of seeds 0 .. k-1
(the ones already trained, and more seeds as needed) are also scored as an
ensemble, for each k: their probabilities averaged, which is what
``CNNEnsembleClassifier.predict_proba`` computes for members of those seeds;
its training time is the sum of theirs.

``keras-tutorial`` seeds Keras' global random state, as the tutorial does
(``keras.utils.set_random_seed(seed)``); that does not reach the skdigits
fits after it (``tests/test_classifier.py`` checks it).

Nothing is chosen here: the recipes were chosen on held-out digits
(``recipe_search.py --heldout``). Prints a Markdown table and writes
``results/frontier.json``. The docs build plots accuracy against training
time from that file (``report.py``; ``python benchmarks/report.py
--frontier-plot frontier.png`` draws it by hand).

    python benchmarks/frontier.py [--seeds 0 1 2] [--ensemble 5 10]
                                  [--recipes keras-tutorial tutorial defaults accurate]
"""

import time

import keras_tutorial
import numpy as np
from calibration import scores

from _common import load_scaled, median, parser, table, write_results

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
    from skdigits._training.precision import resolve_precision

    start = time.perf_counter()
    if params is None:
        model, epochs, precision = keras_tutorial.fit(X, y, seed), keras_tutorial.EPOCHS, "float32"
        seconds = time.perf_counter() - start
        proba, classes = model.predict(X_test, batch_size=1024, verbose=0), y_test
    else:
        clf = CNNDigitClassifier(**params, random_state=seed).fit(X, y)
        seconds = time.perf_counter() - start
        model, epochs, precision = clf.model_, len(clf.history_["loss"]), resolve_precision(clf.precision)
        proba, classes = clf.predict_proba(X_test), np.searchsorted(clf.classes_, y_test)
    flops = 3 * forward_flops(model) * len(X) * epochs
    return proba, {"seed": seed, "seconds": seconds, "gflops_per_second": flops / seconds / 1e9,
                   "epochs": epochs, "precision": precision,
                   "forward_mflop_per_image": forward_flops(model) / 1e6, **scores(proba, classes)}


def summarise(name, runs, tutorial_seconds, keras_seconds=None):
    """One table row: medians over the seeds, and the median per-seed time ratios against the tutorial
    (through skdigits, and hand-written in Keras)."""
    row = {"recipe": name, "n_runs": len(runs), "precision": runs[0].get("precision"),
           "epochs": runs[0].get("epochs")}
    for key in ("seconds", "accuracy", "log_loss", "ece", "mean_top_probability", "gflops_per_second"):
        row[key] = median([r[key] for r in runs])
    row["accuracy_range"] = [min(r["accuracy"] for r in runs), max(r["accuracy"] for r in runs)]
    row["seconds_range"] = [min(r["seconds"] for r in runs), max(r["seconds"] for r in runs)]
    for key, base in (("time_ratio_to_tutorial", tutorial_seconds), ("time_ratio_to_keras_tutorial", keras_seconds)):
        if base and any(r["seed"] in base for r in runs):
            row[key] = median([r["seconds"] / base[r["seed"]] for r in runs if r["seed"] in base])
    return row


def frontier_table(rows, n_train, n_test, seeds):
    """The table the docs show: one row per recipe and ensemble."""
    def ratio(value):
        return "" if value is None else f"{value:.3f}"

    return table(
        f"Training on {n_train:,} digits, scored on the {n_test:,} MNIST test digits; medians over seeds "
        f"{', '.join(map(str, seeds))}",
        ["recipe", "runs", "training time", "x the hand-written Keras tutorial", "x TUTORIAL_RECIPE",
         "test accuracy", "log-loss", "ECE (15 bins)", "GFLOP/s"],
        [[r["recipe"], r["n_runs"], f"{r['seconds']:.1f} s", ratio(r.get("time_ratio_to_keras_tutorial")),
          ratio(r.get("time_ratio_to_tutorial")), f"{r['accuracy']:.4f}", f"{r['log_loss']:.4f}", f"{r['ece']:.4f}",
          "" if r["gflops_per_second"] is None else f"{r['gflops_per_second']:.0f}"] for r in rows],
        note="keras-tutorial: the tutorial written by hand in Keras 3, without skdigits (keras_tutorial.py); "
             "tutorial: TUTORIAL_RECIPE; defaults: FAST_RECIPE, with its temperature scaling; accurate: "
             "ACCURATE_RECIPE; k x accurate: the ACCURATE_RECIPE networks of seeds 0 to k-1 averaged, its time the "
             "sum of theirs. Time ratios are medians of the per-seed ratios. GFLOP/s counts 2 per multiply-add "
             "of the convolution and dense layers, x 3 in training.")


def add_arguments(p):
    """The options of a frontier run, on the benchmarks' common parser ``p``."""
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--recipes", nargs="+", choices=RECIPES, default=list(RECIPES))
    p.add_argument("--ensemble", type=int, nargs="*", default=[],
                   help="also score k accurate networks averaged (seeds 0..k-1), for each k given")
    return p


def measure(args, X, y, X_test, y_test):
    """Train and score every recipe and seed of ``args`` on ``(X, y)``; return the figures and the table."""
    params = recipes()
    runs = {name: [] for name in args.recipes}
    accurate_proba = {}
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

    figures = {"seeds": args.seeds, "n_train": len(X), "n_test": len(X_test), "rows": rows, "runs": runs,
               "ensembles": ensembles}
    return figures, [frontier_table(rows, len(X), len(X_test), args.seeds)]


def main():
    args = add_arguments(parser(__doc__.splitlines()[0])).parse_args()
    X, y = load_scaled(args.train)
    X_test, y_test = load_scaled(args.test)
    write_results("frontier", *measure(args, X, y, X_test, y_test), args.json)


if __name__ == "__main__":
    main()
