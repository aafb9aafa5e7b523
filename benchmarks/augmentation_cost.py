"""Augmentation cost: epoch time with in-graph augmentation / without.

Trains the default CNNDigitClassifier network on a Kaggle-size input
(42,000 28x28 digits, tiled from the training file), alternating runs with
``augment=True`` and ``augment=False`` in one process. The first epoch of
every run (graph tracing) is dropped; the figure is the ratio of the median
epoch times. Goal: <= 1.25.

    python benchmarks/augmentation_cost.py [--rounds 2 --epochs 3 --n-images 42000]
"""

import time

import numpy as np

from _common import EpochTimer, load_npz, median, parser, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-images", type=int, default=42000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()

    from skdigits import CNNDigitClassifier

    X, y = load_npz(args.train)
    reps = int(np.ceil(args.n_images / len(X)))
    X = (np.tile(X, (reps, 1, 1))[: args.n_images] / np.float32(255)).astype(np.float32)[..., None]
    y = np.tile(y, reps)[: args.n_images]

    epochs = {True: [], False: []}
    for round_ in range(args.rounds):
        for augment in (True, False):
            timer = EpochTimer()
            start = time.perf_counter()
            CNNDigitClassifier(augment=augment, epochs=args.epochs, random_state=round_,
                               callbacks=[timer]).fit(X, y)
            epochs[augment] += timer.times[1:]
            print(f"round {round_ + 1} augment={augment!s:5}: epochs {[round(t, 2) for t in timer.times]} "
                  f"(fit {time.perf_counter() - start:.1f} s)", flush=True)

    with_aug, without = median(epochs[True]), median(epochs[False])
    ratio = with_aug / without
    print()
    print(f"| images | epoch with augmentation | epoch without | ratio (goal <= 1.25) |")
    print(f"|---|---|---|---|")
    print(f"| {args.n_images} | {with_aug:.2f} s | {without:.2f} s | {ratio:.3f} |")
    path = write_results("augmentation_cost", {
        "command": "python benchmarks/augmentation_cost.py "
                   f"--n-images {args.n_images} --rounds {args.rounds} --epochs {args.epochs}",
        "n_images": args.n_images,
        "epoch_seconds_with_augmentation": epochs[True],
        "epoch_seconds_without": epochs[False],
        "median_with": with_aug,
        "median_without": without,
        "ratio": ratio,
    }, args.json)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
