"""Augmentation cost: epoch time with in-graph augmentation / without.

Trains a recipe's CNNDigitClassifier network (``--recipe fast``, the package
defaults, or ``--recipe tutorial``) on a Kaggle-size input
(42,000 28x28 digits, tiled from the training file) twice in one process,
once with ``augment=True`` and once with ``augment=False``, alternating
single epochs between the two (``partial_fit``) so that slow phases of a
shared machine hit both alike. The first epoch of each (graph tracing) is
dropped. The figures are the median epoch times, their ratio, and the median
of the per-pair ratios. Goal: <= 1.25.

    python benchmarks/augmentation_cost.py [--recipe fast --pairs 6 --n-images 42000]
"""

import numpy as np

from _common import EpochTimer, load_npz, median, parser, table, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-images", type=int, default=42000)
    p.add_argument("--pairs", type=int, default=6, help="timed epoch pairs, after one warm-up pair")
    p.add_argument("--recipe", choices=("fast", "tutorial"), default="fast")
    args = p.parse_args()

    from skdigits import FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier

    recipe = FAST_RECIPE if args.recipe == "fast" else TUTORIAL_RECIPE

    X, y = load_npz(args.train)
    reps = int(np.ceil(args.n_images / len(X)))
    X = (np.tile(X, (reps, 1, 1))[: args.n_images] / np.float32(255)).astype(np.float32)[..., None]
    y = np.tile(y, reps)[: args.n_images]

    timers = {True: EpochTimer(), False: EpochTimer()}
    models = {augment: CNNDigitClassifier(**recipe, augment=augment, random_state=0,
                                                  callbacks=[timers[augment]])
              for augment in (True, False)}
    epochs = {True: [], False: []}
    for pair in range(args.pairs + 1):
        for augment in (True, False):
            models[augment].partial_fit(X, y)
            if pair:  # the first epoch traces the graph
                epochs[augment].append(timers[augment].times[-1])
        if pair:
            print(f"pair {pair}: with {epochs[True][-1]:.2f} s, without {epochs[False][-1]:.2f} s", flush=True)

    with_aug, without = median(epochs[True]), median(epochs[False])
    ratio = with_aug / without
    pair_ratio = median([a / b for a, b in zip(epochs[True], epochs[False])])
    write_results("augmentation_cost", {
        "recipe": args.recipe,
        "n_images": args.n_images,
        "epoch_seconds_with_augmentation": epochs[True],
        "epoch_seconds_without": epochs[False],
        "median_with": with_aug,
        "median_without": without,
        "ratio_of_medians": ratio,
        "median_pair_ratio": pair_ratio,
    }, [table(f"Epoch time with and without augmentation, the {args.recipe} recipe's network, "
              f"{args.n_images:,} images, {args.pairs} alternating epoch pairs",
              ["epoch with augmentation (median)", "epoch without (median)", "ratio of medians",
               "median of the per-pair ratios"],
              [[f"{with_aug:.2f} s", f"{without:.2f} s", f"{ratio:.3f}", f"{pair_ratio:.3f}"]])], args.json)


if __name__ == "__main__":
    main()
