"""Cross-validate the digit pipeline and print a per-fold accuracy report.

Shows ``cross_validation_report``: it runs scikit-learn's
``cross_validate`` (stratified folds, since ``CNNDigitClassifier`` is a real
classifier) and returns a DataFrame with one row per fold, then the mean and
the standard deviation; ``format_report`` prints it as aligned text and as a
Markdown table, which is also written to ``cv_report.md``.

    python examples/cross_validation_report.py

Uses all 5,000 real MNIST digits of ``skdigits.load_sample()``, 5 folds of
the tutorial's network at 10 epochs each (minutes on a CPU, not seconds).
The report file goes to the folder named by ``SKDIGITS_EXAMPLE_OUTPUT``
(created if needed), else to a new temporary folder. ``SKDIGITS_FAST=1``
runs a smoke test instead: 300 digits, 3 folds, 1 epoch, a tiny network
without augmentation.
"""

import os
import tempfile
from pathlib import Path

from sklearn.model_selection import train_test_split

from skdigits import cross_validation_report, format_report, load_sample, make_digit_pipeline

FAST = os.environ.get("SKDIGITS_FAST") == "1"


def output_dir():
    """The folder for the files written: $SKDIGITS_EXAMPLE_OUTPUT or a new temp folder."""
    path = os.environ.get("SKDIGITS_EXAMPLE_OUTPUT")
    if path:
        os.makedirs(path, exist_ok=True)
        return Path(path)
    return Path(tempfile.mkdtemp(prefix="skdigits-cv-"))


def main():
    X, y = load_sample()
    if FAST:  # the sample is sorted by digit: take a stratified subset
        X, _, y, _ = train_test_split(X, y, train_size=300, stratify=y, random_state=0)
        pipe = make_digit_pipeline(filters=(8,), kernel_sizes=3, dense_units=16, augment=False,
                                   epochs=1, batch_size=64, random_state=0)
        folds = 3
    else:
        pipe = make_digit_pipeline(epochs=10, random_state=0)
        folds = 5

    report = cross_validation_report(pipe, X, y, cv=folds, return_train_score=True)
    print(format_report(report))
    mean, std = report.loc["mean", "accuracy"], report.loc["std", "accuracy"]
    print(f"Accuracy: {mean:.4f} +/- {std:.4f} over {folds} folds of {len(X):,} digits")

    path = output_dir() / "cv_report.md"
    path.write_text(f"# Cross-validation\n\n{format_report(report, 'markdown')}\n", encoding="utf-8")
    print(f"Markdown report: {path}")


if __name__ == "__main__":
    main()
