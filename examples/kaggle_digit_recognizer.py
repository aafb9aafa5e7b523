"""
The Kaggle Digit Recognizer, end to end
=======================================

The whole competition job on Kaggle-format CSV files: read ``train.csv`` and
``test.csv`` with ``load_digit_recognizer``, fit the Keras tutorial's CNN
(``skdigits.TUTORIAL_RECIPE``, with in-graph augmentation and a 10%
validation split) as a scikit-learn pipeline, draw the learning curves,
predict the test digits and write ``submission.csv`` with
``write_submission``.

Run it with::

    python examples/kaggle_digit_recognizer.py --train train.csv --test test.csv

With no paths, it first writes a ``train.csv`` (4,000 labelled digits) and a
``test.csv`` (1,000 unlabelled digits) from the 5,000 real MNIST digits of
``skdigits.load_sample()``, and, since it knows the answers for that test
file, also prints the test accuracy.

Files go to the folder named by ``SKDIGITS_EXAMPLE_OUTPUT`` (created if
needed), else to a new temporary folder. It trains the tutorial's 30 epochs,
which take minutes on a CPU (``--epochs`` for fewer). ``SKDIGITS_FAST=1``
runs a smoke test instead: 500 digits, 1 epoch, a tiny network.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: figures are only written to PNG files

from sklearn.model_selection import train_test_split

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

parser = argparse.ArgumentParser(
    description="The Kaggle Digit Recognizer, end to end, on Kaggle-format CSV files."
)
parser.add_argument(
    "--train", type=Path, help="Kaggle's train.csv (default: written from the sample)"
)
parser.add_argument(
    "--test", type=Path, help="Kaggle's test.csv (default: written from the sample)"
)
parser.add_argument(
    "--epochs", type=int, default=1 if FAST else 30, help="default: 30, the tutorial's"
)
args = parser.parse_args()
if (args.train is None) != (args.test is None):
    parser.error("pass both --train and --test, or neither")

if os.environ.get("SKDIGITS_EXAMPLE_OUTPUT"):
    out = Path(os.environ["SKDIGITS_EXAMPLE_OUTPUT"])
    out.mkdir(parents=True, exist_ok=True)
else:
    out = Path(tempfile.mkdtemp(prefix="skdigits-kaggle-"))

# %%
# Kaggle's files, or stand-ins from the embedded sample
# -----------------------------------------------------
# The sample is sorted by digit: split it stratified, never by position. The
# test file has no label column, as on Kaggle.
test_labels = None
if args.train is None:
    X, y = load_sample()
    if FAST:
        X, _, y, _ = train_test_split(X, y, train_size=500, stratify=y, random_state=0)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    args.train, args.test = out / "train.csv", out / "test.csv"
    write_digit_recognizer(X_tr, args.train, y=y_tr)
    write_digit_recognizer(X_te, args.test)
    test_labels = y_te.to_numpy()
    print(f"Wrote {args.train} and {args.test} from the embedded MNIST sample")

# %%
# 1. Load the CSV files
# ---------------------
# Pixels 0..255 in columns ``pixel0`` .. ``pixel783``; every cell is checked.
X_train, y_train = load_digit_recognizer(args.train)
X_test = load_digit_recognizer(args.test)
print(f"Loaded {len(X_train):,} training and {len(X_test):,} test digits")

# %%
# 2. Fit the tutorial's CNN
# -------------------------
# The pipeline scales the pixels by 1/255, reshapes them to 28x28x1 and
# trains the tutorial's CNN with random rotations, zooms and shifts; 10% of
# ``train.csv`` is held out for the validation curves. The labels need no
# one-hot encoding.
tutorial = {
    name: value for name, value in TUTORIAL_RECIPE.items() if name != "epochs"
}  # epochs: --epochs
network = (
    dict(filters=(8,), kernel_sizes=3, dense_units=16, batch_size=64)
    if FAST
    else tutorial
)
pipe = make_digit_pipeline(
    epochs=args.epochs,
    validation_split=0.1,
    random_state=0,
    verbose=0 if FAST else 2,
    **network,
)
start = time.perf_counter()
pipe.fit(X_train, y_train)
print(f"Trained {args.epochs} epoch(s) in {time.perf_counter() - start:.0f} s")
history = pipe.named_steps["cnn"].history_
print(f"Validation accuracy after the last epoch: {history['val_accuracy'][-1]:.4f}")

# %%
# 3. The learning curves
# ----------------------
# Loss and accuracy per epoch, on the training and the validation digits.
fig = plot_learning_curves(pipe)
fig.savefig(out / "learning_curves.png", dpi=100)

# %%
# 4. Predict and write the submission
# -----------------------------------
# ``submission.csv`` has Kaggle's columns ``ImageId`` (from 1) and ``Label``.
predicted = pipe.predict(X_test)
submission = write_submission(predicted, out / "submission.csv")
print(f"Submission: {submission} ({len(predicted):,} rows)")
if test_labels is not None:
    accuracy = (predicted == test_labels).mean()
    print(f"Test accuracy: {accuracy:.4f} on {len(test_labels):,} held-out digits")
