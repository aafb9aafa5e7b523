"""Time to accuracy: a recipe's training time and test accuracy, epoch by epoch.

Trains ``CNNDigitClassifier`` with a recipe (``--recipe tutorial``: the
tutorial's Conv 32-64-64, RMSprop, 30 epochs, ``skdigits.TUTORIAL_RECIPE``;
``--recipe fast``: Conv 32-64, Adam on a one-cycle schedule, label
smoothing 0.1, 15 epochs on 8,000 digits, ``skdigits.FAST_RECIPE``, which are the package
defaults; both with Dense 256, Dropout 0.5, batch 128 and rotation 10 deg /
zoom 0.1 / shift 0.1) on the training digits, and scores the 10k test
digits after every epoch. Scoring time is excluded from the training clock.
Prints the accuracy curve against cumulative training time and the final
figures. The test set is only observed here, never used to choose anything
(the fast recipe was chosen by ``recipe_search.py --heldout`` on 2,000
MNIST training digits that are in neither shared/ file).

    python benchmarks/time_to_accuracy.py [--recipe tutorial|fast] [--seed 0]
"""

import time

from _common import AccuracyCurve, load_scaled, parser, table, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--recipe", choices=("tutorial", "fast"), default="tutorial")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    from skdigits import FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier

    X, y = load_scaled(args.train)
    X_test, y_test = load_scaled(args.test)
    curve = AccuracyCurve(X_test, y_test, label="test accuracy")
    recipe = FAST_RECIPE if args.recipe == "fast" else TUTORIAL_RECIPE
    clf = CNNDigitClassifier(**recipe, augment=not args.no_augment, random_state=args.seed, callbacks=[curve])
    start = time.perf_counter()
    clf.fit(X, y)
    wall = time.perf_counter() - start
    final = float(clf.score(X_test, y_test))

    every = max(1, len(curve.seconds) // 10)
    curve_rows = [[epoch, f"{curve.seconds[epoch - 1]:.1f} s", f"{curve.accuracy[epoch - 1]:.4f}"]
                  for epoch in range(1, len(curve.seconds) + 1) if epoch % every == 0 or epoch == len(curve.seconds)]
    write_results("time_to_accuracy", {
        "recipe_name": args.recipe, "seed": args.seed, "augment": not args.no_augment,
        "recipe": {k: list(v) if isinstance(v, tuple) else v for k, v in recipe.items()},
        "n_train": len(X), "n_test": len(X_test),
        "training_seconds": curve.seconds, "test_accuracy": curve.accuracy,
        "final_test_accuracy": final, "wall_seconds_with_scoring": wall,
    }, [table(f"The {args.recipe} recipe, seed {args.seed}, augmentation {'on' if not args.no_augment else 'off'}: "
              f"test accuracy after each epoch of training on {len(X):,} digits",
              ["epoch", "training time so far", "test accuracy"], curve_rows,
              note="Scoring after each epoch is outside the training clock. One seed, one run: the curve is noisy "
                   "from epoch to epoch.")], args.json)


if __name__ == "__main__":
    main()
