"""Time to accuracy: the reference recipe's training time and test accuracy, epoch by epoch.

Trains ``CNNDigitClassifier`` with the given settings (default: the package
defaults, which are the tutorial's recipe: Conv 32-64-64, Dense 256,
Dropout 0.5, RMSprop, batch 128, 30 epochs, rotation 10 deg / zoom 0.1 /
shift 0.1) on the training digits, and scores the 10k test digits after
every epoch. Scoring time is excluded from the training clock. Prints the
accuracy curve against cumulative training time, and the final figures:
the baseline a faster recipe must match in at most a third of the time.
The test set is only observed here, never used to choose anything.

    python benchmarks/time_to_accuracy.py [--epochs 30 --batch-size 128 --optimizer rmsprop --seed 0]
"""

import time

import numpy as np

from _common import load_scaled, parser, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", default="rmsprop")
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    from skdigits import CNNDigitClassifier
    from skdigits._backend import keras

    X, y = load_scaled(args.train)
    X_test, y_test = load_scaled(args.test)

    class Curve(keras.callbacks.Callback):
        """Cumulative training seconds and test accuracy after each epoch (scoring not timed)."""

        def on_train_begin(self, logs=None):
            self.seconds, self.accuracy, self._trained = [], [], 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self._trained += time.perf_counter() - self._start
            proba = self.model.predict(X_test, batch_size=1024, verbose=0)
            self.seconds.append(self._trained)
            self.accuracy.append(float(np.mean(proba.argmax(axis=1) == y_test)))
            print(f"epoch {epoch + 1:2d}: {self._trained:7.1f} s trained, test accuracy {self.accuracy[-1]:.4f}",
                  flush=True)

    curve = Curve()
    clf = CNNDigitClassifier(epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                             learning_rate=args.learning_rate, augment=not args.no_augment,
                             random_state=args.seed, callbacks=[curve])
    start = time.perf_counter()
    clf.fit(X, y)
    wall = time.perf_counter() - start
    final = float(clf.score(X_test, y_test))

    print()
    print("| settings | epochs | training time | wall time incl. per-epoch scoring | test accuracy |")
    print("|---|---|---|---|---|")
    settings = f"{args.optimizer}, batch {args.batch_size}, augment {not args.no_augment}, seed {args.seed}"
    print(f"| {settings} | {args.epochs} | {curve.seconds[-1]:.1f} s | {wall:.1f} s | {final:.4f} |")
    path = write_results("time_to_accuracy", {
        "command": "python benchmarks/time_to_accuracy.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
            if k in ("epochs", "batch_size", "optimizer", "learning_rate", "seed") and v is not None)
        + (" --no-augment" if args.no_augment else ""),
        "n_train": len(X), "n_test": len(X_test),
        "training_seconds": curve.seconds, "test_accuracy": curve.accuracy,
        "final_test_accuracy": final, "wall_seconds_with_scoring": wall,
    }, args.json)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
