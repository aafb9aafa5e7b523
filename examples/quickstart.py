"""
Quickstart: cross-validate on scikit-learn's 8x8 digits
=======================================================

The digit pipeline (``DigitImageTransformer`` then ``CNNDigitClassifier``)
is an ordinary scikit-learn estimator, so ``cross_val_score`` takes it as it
is. Here it scores the 1,797 8x8 digits that ship with scikit-learn, with
stratified 3-fold cross-validation. Their pixels run from 0 to 16, hence
``scale=16``; the network uses 3x3 kernels, which suit images this small.

Run it with::

    python examples/quickstart.py

It trains three networks on the CPU and runs offline. ``SKDIGITS_FAST=1``
runs a smoke test instead: 300 digits, 1 epoch.
"""

import os
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score

from skdigits import make_digit_pipeline

FAST = os.environ.get("SKDIGITS_FAST") == "1"

X, y = load_digits(return_X_y=True)
if FAST:
    X, y = X[:300], y[:300]

# %%
# The pipeline: pixels 0..16 scaled to [0, 1] and reshaped to 8x8x1 images,
# then the CNN. ``random_state`` makes the run repeatable. A fit shows Keras'
# progress (``verbose="auto"``), but the fits inside ``cross_val_score`` and
# ``GridSearchCV`` stay quiet; ``verbose=0`` silences it, ``verbose=2`` prints
# one line per epoch everywhere.
pipe = make_digit_pipeline(
    scale=16.0,  # load_digits pixels run from 0 to 16
    filters=(32, 64, 64),
    kernel_sizes=(3, 3, 3),
    optimizer="adam",
    epochs=1 if FAST else 30,
    batch_size=64,
    random_state=0,
)

# %%
# Three folds, stratified: ``CNNDigitClassifier`` is a classifier for
# scikit-learn, so an integer ``cv`` gives ``StratifiedKFold``.
start = time.perf_counter()
scores = cross_val_score(pipe, X, y, cv=3)
elapsed = time.perf_counter() - start
print(
    f"3-fold accuracy on {len(X)} 8x8 digits: {scores.mean():.4f} +/- {scores.std():.4f}"
)
print("per fold:", " ".join(f"{s:.4f}" for s in scores), f"({elapsed:.0f} s)")
