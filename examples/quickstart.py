"""Quickstart: cross-validate the digit pipeline on scikit-learn's bundled digits.

Fits ``DigitImageTransformer`` + ``CNNDigitClassifier`` on the 1,797 8x8 digits
that ship with scikit-learn (pixel values 0..16, hence ``scale=16``) and
prints 3-fold stratified cross-validation accuracy. Runs offline in about a
minute on two CPU cores. Set ``SKDIGITS_FAST=1`` for a few-second smoke run.
"""

import os
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score

from skdigits import make_digit_pipeline


def main():
    fast = os.environ.get("SKDIGITS_FAST") == "1"
    X, y = load_digits(return_X_y=True)
    if fast:
        X, y = X[:300], y[:300]
    pipe = make_digit_pipeline(
        scale=16.0,  # load_digits pixels run from 0 to 16
        filters=(32, 64, 64),
        kernel_sizes=(3, 3, 3),
        epochs=1 if fast else 15,
        batch_size=64,
        random_state=0,
    )
    start = time.perf_counter()
    scores = cross_val_score(pipe, X, y, cv=3)
    elapsed = time.perf_counter() - start
    print(f"3-fold accuracy on {len(X)} 8x8 digits: {scores.mean():.4f} +/- {scores.std():.4f}")
    print("per fold:", " ".join(f"{s:.4f}" for s in scores), f"({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
