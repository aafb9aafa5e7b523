"""The Kaggle "Digit Recognizer" tutorial, end to end, on Kaggle-format CSV files.

Shows the whole competition job with skdigits: read ``train.csv`` and
``test.csv`` with ``load_digit_recognizer``, fit the tutorial's CNN (with
in-graph augmentation and a 10% validation split) as a scikit-learn
pipeline (``skdigits.TUTORIAL_RECIPE``: the tutorial's settings, not the
package's faster defaults), save the learning curves as a PNG, predict the test digits and
write ``submission.csv`` with ``write_submission``.

    python examples/kaggle_digit_recognizer.py --train train.csv --test test.csv

With no paths, it first writes a ``train.csv`` (4,000 labelled digits) and a
``test.csv`` (1,000 unlabelled digits) from the 5,000 real MNIST digits of
``skdigits.load_sample()`` into the output folder, and, since it knows the
answers for that test file, also prints the test accuracy.

Files go to the folder named by ``SKDIGITS_EXAMPLE_OUTPUT`` (created if
needed), else to a new temporary folder; the script prints where. It trains
the tutorial's 30 epochs (minutes on a CPU, not seconds; use
``--epochs`` for fewer). ``SKDIGITS_FAST=1`` runs a smoke test
instead: 500 digits, 1 epoch, a tiny network.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: figures are only written to PNG files

from skdigits import (
    TUTORIAL_RECIPE,
    load_digit_recognizer,
    load_sample,
    make_digit_pipeline,
    plot_learning_curves,
    write_digit_recognizer,
    write_submission,
)

FAST = os.environ.get("SKDIGITS_FAST") == "1"


def output_dir():
    """The folder for the files written: $SKDIGITS_EXAMPLE_OUTPUT or a new temp folder."""
    path = os.environ.get("SKDIGITS_EXAMPLE_OUTPUT")
    if path:
        os.makedirs(path, exist_ok=True)
        return Path(path)
    return Path(tempfile.mkdtemp(prefix="skdigits-kaggle-"))


def write_sample_csvs(folder):
    """Write Kaggle-format train.csv and test.csv from the embedded sample; return the test labels."""
    from sklearn.model_selection import train_test_split

    X, y = load_sample()  # sorted by digit: split it stratified, never by position
    if FAST:
        X, _, y, _ = train_test_split(X, y, train_size=500, stratify=y, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    write_digit_recognizer(X_train, folder / "train.csv", y=y_train)
    write_digit_recognizer(X_test, folder / "test.csv")  # no label column, as on Kaggle
    return y_test.to_numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, help="Kaggle's train.csv (default: written from the sample)")
    parser.add_argument("--test", type=Path, help="Kaggle's test.csv (default: written from the sample)")
    parser.add_argument("--epochs", type=int, default=1 if FAST else 30, help="default: 30, the tutorial's")
    args = parser.parse_args()
    if (args.train is None) != (args.test is None):
        parser.error("pass both --train and --test, or neither")

    out = output_dir()
    test_labels = None
    if args.train is None:
        test_labels = write_sample_csvs(out)
        args.train, args.test = out / "train.csv", out / "test.csv"
        print(f"Wrote {args.train} and {args.test} from the embedded MNIST sample")

    # 1. Load the CSV files: pixels 0..255 in columns pixel0..pixel783.
    X_train, y_train = load_digit_recognizer(args.train)
    X_test = load_digit_recognizer(args.test)
    print(f"Loaded {len(X_train):,} training and {len(X_test):,} test digits")

    # 2-4. Scale /255, reshape to 28x28x1 and train the tutorial's CNN with
    # rotation/zoom/shift augmentation; 10% of train.csv is held out for the
    # validation curves. Labels need no one-hot encoding.
    tutorial = {name: value for name, value in TUTORIAL_RECIPE.items() if name != "epochs"}  # epochs: --epochs
    network = dict(filters=(8,), kernel_sizes=3, dense_units=16, batch_size=64) if FAST else tutorial
    pipe = make_digit_pipeline(epochs=args.epochs, validation_split=0.1, random_state=0,
                               verbose=0 if FAST else 2, **network)
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    print(f"Trained {args.epochs} epoch(s) in {time.perf_counter() - start:.0f} s")
    history = pipe.named_steps["cnn"].history_
    print(f"Validation accuracy after the last epoch: {history['val_accuracy'][-1]:.4f}")

    # 5. Learning curves, saved as a PNG.
    curves = out / "learning_curves.png"
    plot_learning_curves(pipe).savefig(curves, dpi=100)
    print(f"Learning curves: {curves}")

    # 6-7. Predict test.csv and write the submission (ImageId from 1).
    predicted = pipe.predict(X_test)
    submission = write_submission(predicted, out / "submission.csv")
    print(f"Submission: {submission} ({len(predicted):,} rows)")
    if test_labels is not None:
        accuracy = (predicted == test_labels).mean()
        print(f"Test accuracy: {accuracy:.4f} on {len(test_labels):,} held-out digits")


if __name__ == "__main__":
    main()
