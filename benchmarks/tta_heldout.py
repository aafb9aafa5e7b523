"""Test-time augmentation: does averaging the probabilities of shifted, rotated or zoomed copies help?

Splits the training digits 80/20 as ``recipe_search.py`` does (stratified,
seed 0), or takes its --heldout digits (and rows), trains a recipe on the
training part and scores the held-out part: the original
images alone, and the mean of the probabilities over sets of views (1-pixel
shifts in four directions, rotations of +/-8 degrees, zooms of 0.9 and 1.1,
all of them). The test set is never loaded: this decides whether a
test-time augmentation option is worth adding. Reports accuracy and
log-loss (the mean negative log-probability of the true class, which moves
before accuracy does).

    python benchmarks/tta_heldout.py [--recipe fast --seeds 0 1]
    python benchmarks/tta_heldout.py --recipe accurate --precision bfloat16 \\
        --train ../shared/data/mnist_train_50k.npz --train-rows 0:42000 \\
        --heldout ../shared/data/mnist_train_50k.npz --heldout-rows 42000:50000
"""

import time

import numpy as np
from scipy import ndimage

from _common import accuracy_and_log_loss, add_heldout_options, load_heldout_split, median, parser, table, write_results


def shifted(X, dy, dx):
    """Shift (n, h, w, 1) images by whole pixels, filling with background."""
    return np.roll(np.pad(X, ((0, 0), (1, 1), (1, 1), (0, 0))), (dy, dx), axis=(1, 2))[:, 1:-1, 1:-1]


def affine(X, degrees=0.0, zoom=1.0):
    """Rotate and zoom (n, h, w, 1) images about their centre (bilinear)."""
    theta = np.deg2rad(degrees)
    matrix = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) / zoom
    centre = (np.array(X.shape[1:3]) - 1) / 2
    offset = centre - matrix @ centre
    out = np.empty_like(X)
    for i, image in enumerate(X[..., 0]):
        out[i, ..., 0] = ndimage.affine_transform(image, matrix, offset=offset, order=1)
    return out


VIEWS = {
    "original": lambda X: X,
    "up": lambda X: shifted(X, -1, 0), "down": lambda X: shifted(X, 1, 0),
    "left": lambda X: shifted(X, 0, -1), "right": lambda X: shifted(X, 0, 1),
    "rotate +8": lambda X: affine(X, degrees=8), "rotate -8": lambda X: affine(X, degrees=-8),
    "zoom 1.1": lambda X: affine(X, zoom=1.1), "zoom 0.9": lambda X: affine(X, zoom=0.9),
}
SETS = {
    "original only": ["original"],
    "+ 4 shifts": ["original", "up", "down", "left", "right"],
    "+ 2 rotations": ["original", "rotate +8", "rotate -8"],
    "+ 2 zooms": ["original", "zoom 1.1", "zoom 0.9"],
    "all 9 views": list(VIEWS),
}


RECIPES = ("fast", "tutorial", "accurate")


def main():
    p = parser(__doc__.splitlines()[0])
    add_heldout_options(p)
    p.add_argument("--recipe", choices=RECIPES, default="fast")
    p.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default=None,
                   help="override the recipe's precision (default: the recipe's own)")
    p.add_argument("--seeds", type=int, nargs="*", default=[0])
    args = p.parse_args()

    import skdigits
    from skdigits import CNNDigitClassifier

    X_fit, y_fit, X_val, y_val = load_heldout_split(p, args)[:4]
    views = {name: make(X_val) for name, make in VIEWS.items()}
    recipe = dict(getattr(skdigits, f"{args.recipe.upper()}_RECIPE"))
    if args.precision:
        recipe["precision"] = args.precision
    runs = {}
    for seed in args.seeds:
        started = time.perf_counter()
        clf = CNNDigitClassifier(**recipe, random_state=seed).fit(X_fit, y_fit)
        seconds = time.perf_counter() - started
        proba = {name: clf.predict_proba(images) for name, images in views.items()}
        truth = np.searchsorted(clf.classes_, y_val)
        runs[seed] = {"fit_seconds": seconds}
        for name, members in SETS.items():
            runs[seed][name] = dict(zip(("accuracy", "log_loss"),
                                        accuracy_and_log_loss(np.mean([proba[v] for v in members], axis=0), truth)))
        print(f"seed {seed} (fit {seconds:.0f} s): "
              + ", ".join(f"{n} {runs[seed][n]['accuracy']:.4f}" for n in SETS), flush=True)

    summary = {}
    for name in SETS:
        summary[name] = {"accuracy": median([runs[s][name]["accuracy"] for s in args.seeds]),
                         "log_loss": median([runs[s][name]["log_loss"] for s in args.seeds])}
    write_results("tta_heldout", {
        "recipe": args.recipe, "precision": recipe["precision"], "seeds": args.seeds,
        "n_fit": len(X_fit), "n_val": len(X_val), "runs": runs, "summary": summary}, [table(
        f"Test-time augmentation, the {args.recipe} recipe ({recipe['precision']}) trained on {len(X_fit):,} "
        f"training digits, scored on {len(X_val):,} held-out digits; medians over seeds "
        f"{', '.join(map(str, args.seeds))}; test set unused",
        ["views averaged", "held-out accuracy", "log-loss"],
        [[name, f"{r['accuracy']:.4f}", f"{r['log_loss']:.4f}"] for name, r in summary.items()])], args.json)


if __name__ == "__main__":
    main()
