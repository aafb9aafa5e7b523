"""Recipe search: which training recipe reaches the reference accuracy soonest, judged on held-out training digits.

Splits the training digits 80/20 (stratified, seed 0), trains each candidate
recipe on the 80 % and scores the 20 % after every epoch (scoring is not
timed). The test set is never loaded: this is where the package defaults
are chosen, so that ``time_to_accuracy.py`` can then measure them on the
test set without having tuned anything on it.

Candidates are ``name={"key": value, ...}`` strings (JSON objects of
CNNDigitClassifier parameters); the built-in list compares the tutorial's recipe with faster ones.

    python benchmarks/recipe_search.py [--candidates NAME ...] [--seeds 0]
"""

import json

import numpy as np
from sklearn.model_selection import train_test_split

from _common import AccuracyCurve, load_scaled, parser, write_results

# The candidates compared on 2026-11-29 (benchmarks/README.md has the figures).
# The reference is the tutorial (the package defaults); CHOSEN, the fastest at
# the best held-out accuracy of the rest, is skdigits.FAST_RECIPE
# (tests/test_recipes.py checks that both still match the package).
CANDIDATES = {
    "reference": dict(filters=(32, 64, 64), optimizer="rmsprop", learning_rate=None, lr_schedule="constant",
                      epochs=30, batch_size=128),
    "adam-onecycle-bn-10": dict(filters=(32, 64, 64), optimizer="adam", learning_rate=3e-3,
                                lr_schedule="one-cycle", batch_norm=True, epochs=10, batch_size=128),
    "adam-onecycle-10": dict(filters=(32, 64, 64), optimizer="adam", learning_rate=3e-3, lr_schedule="one-cycle",
                             epochs=10, batch_size=128),
    "adam-oc-12-d25": dict(filters=(32, 64, 64), optimizer="adam", learning_rate=2e-3, lr_schedule="one-cycle",
                           epochs=12, dropout=0.25),
    "adam-oc-15-3pool": dict(filters=(32, 64, 96), optimizer="adam", learning_rate=3e-3, lr_schedule="one-cycle",
                             epochs=15),
    "adam-oc-15-2conv": dict(filters=(32, 64), optimizer="adam", learning_rate=3e-3, lr_schedule="one-cycle",
                             epochs=15, batch_size=128),
    "adam-oc-25-2conv": dict(filters=(32, 64), optimizer="adam", learning_rate=3e-3, lr_schedule="one-cycle",
                             epochs=25),
}
CHOSEN = "adam-oc-15-2conv"


def run(name, params, seed, X, y, X_val, y_val):
    """Train one candidate; return its per-epoch training seconds and held-out accuracy."""
    from skdigits import CNNDigitClassifier

    curve = AccuracyCurve(X_val, y_val)
    CNNDigitClassifier(**params, random_state=seed, callbacks=[curve]).fit(X, y)
    print(f"{name:28s} seed {seed}: {curve.seconds[-1]:6.1f} s, held-out accuracy {curve.accuracy[-1]:.4f} "
          f"(curve {' '.join(f'{a:.3f}' for a in curve.accuracy)})", flush=True)
    return {"seconds": curve.seconds, "accuracy": curve.accuracy}


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--candidates", nargs="*", default=list(CANDIDATES),
                   help='built-in names, or name={"key": value, ...} (a JSON object of parameters)')
    p.add_argument("--seeds", type=int, nargs="*", default=[0])
    args = p.parse_args()

    candidates = {}
    for spec in args.candidates:
        if "=" in spec:
            name, body = spec.split("=", 1)
            candidates[name] = json.loads(body)
        else:
            candidates[spec] = CANDIDATES[spec]

    X, y = load_scaled(args.train)
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    print(f"{len(X_fit)} training digits, {len(X_val)} held-out digits from {args.train.name}; test set unused")
    results = {name: {"params": params, "runs": {}} for name, params in candidates.items()}
    for seed in args.seeds:
        for name, params in candidates.items():
            results[name]["runs"][seed] = run(name, params, seed, X_fit, y_fit, X_val, y_val)

    print()
    print("| recipe | epochs | training time (median over seeds) | held-out accuracy (median) |")
    print("|---|---|---|---|")
    for name, r in results.items():
        runs = r["runs"].values()
        t = float(np.median([run["seconds"][-1] for run in runs]))
        a = float(np.median([run["accuracy"][-1] for run in runs]))
        r.update(median_seconds=t, median_accuracy=a)
        print(f"| {name} | {len(next(iter(runs))['accuracy'])} | {t:.1f} s | {a:.4f} |")
    path = write_results("recipe_search", {"n_fit": len(X_fit), "n_val": len(X_val),
                                           "seeds": args.seeds, "results": results}, args.json)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
