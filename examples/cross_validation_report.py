"""
A per-fold cross-validation report
==================================

``cross_validation_report`` runs scikit-learn's ``cross_validate``
(stratified folds, since ``CNNDigitClassifier`` is a classifier) and returns
a DataFrame with one row per fold, then the mean and the standard deviation.
``format_report`` prints it as aligned text, or as a Markdown table, which
this example also writes to ``cv_report.md``.

Run it with::

    python examples/cross_validation_report.py

It uses all 5,000 real MNIST digits of ``skdigits.load_sample()``: 5 folds
of the default network at 10 epochs each, which takes minutes on a CPU. The
report goes to the folder named by ``SKDIGITS_EXAMPLE_OUTPUT`` (created if
needed), else to a new temporary folder. ``SKDIGITS_FAST=1`` runs a smoke
test instead: 300 digits, 3 folds, 1 epoch, a tiny network without
augmentation.
"""

import os
import tempfile
from pathlib import Path

from sklearn.model_selection import train_test_split

from skdigits import (
    cross_validation_report,
    format_report,
    load_sample,
    make_digit_pipeline,
)

FAST = os.environ.get("SKDIGITS_FAST") == "1"
if os.environ.get("SKDIGITS_EXAMPLE_OUTPUT"):
    out = Path(os.environ["SKDIGITS_EXAMPLE_OUTPUT"])
    out.mkdir(parents=True, exist_ok=True)
else:
    out = Path(tempfile.mkdtemp(prefix="skdigits-cv-"))

# %%
# The data and the pipeline
# -------------------------
X, y = load_sample()
if FAST:  # the sample is sorted by digit: take a stratified subset
    X, _, y, _ = train_test_split(X, y, train_size=300, stratify=y, random_state=0)
    pipe = make_digit_pipeline(
        filters=(8,),
        kernel_sizes=3,
        dense_units=16,
        augment=False,
        epochs=1,
        batch_size=64,
        random_state=0,
    )
    folds = 3
else:
    pipe = make_digit_pipeline(epochs=10, random_state=0)
    folds = 5

# %%
# The report
# ----------
# One row per fold, then ``mean`` and ``std``; with
# ``return_train_score=True`` it also has the training accuracy.
report = cross_validation_report(pipe, X, y, cv=folds, return_train_score=True)
print(format_report(report))
mean, std = report.loc["mean", "accuracy"], report.loc["std", "accuracy"]
print(f"Accuracy: {mean:.4f} +/- {std:.4f} over {folds} folds of {len(X):,} digits")

# %%
# The same table in Markdown, for a README or a pull request.
path = out / "cv_report.md"
path.write_text(
    f"# Cross-validation\n\n{format_report(report, 'markdown')}\n", encoding="utf-8"
)
print(f"Markdown report: {path}")
