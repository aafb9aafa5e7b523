"""
Grid search over network widths and optimizers
==============================================

The digit pipeline is an ordinary scikit-learn estimator: ``GridSearchCV``
tries every pair of ``cnn__filters`` (the width of each convolution) and
``cnn__optimizer`` with stratified 3-fold cross-validation and refits the
best candidate. skdigits turns the results into a table
(``grid_search_report``, printed with ``format_report``) and a figure of the
mean accuracy +/- its standard deviation over the folds
(``plot_grid_search``).

Run it with::

    python examples/pipeline_grid_search.py

It trains on 2,000 of the 5,000 real MNIST digits of
``skdigits.load_sample()`` (stratified), 10 epochs per fit: 4 candidates x 3
folds + 1 refit, so 13 training runs, which take minutes on a CPU. The
figure is saved as ``grid_search.png`` in the folder named by
``SKDIGITS_EXAMPLE_OUTPUT`` (created if needed), else in a new temporary
folder. ``SKDIGITS_FAST=1`` runs a smoke test instead: 300 digits, 2 folds,
1 epoch, tiny networks without augmentation.
"""

import os
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: figures are only written to PNG files

from sklearn.model_selection import GridSearchCV, train_test_split

from skdigits import (
    format_report,
    grid_search_report,
    load_sample,
    make_digit_pipeline,
    plot_grid_search,
)

FAST = os.environ.get("SKDIGITS_FAST") == "1"
if os.environ.get("SKDIGITS_EXAMPLE_OUTPUT"):
    out = Path(os.environ["SKDIGITS_EXAMPLE_OUTPUT"])
    out.mkdir(parents=True, exist_ok=True)
else:
    out = Path(tempfile.mkdtemp(prefix="skdigits-search-"))

# %%
# The data, the pipeline and the grid
# -----------------------------------
# The sample is sorted by digit, so the subset is drawn stratified. The grid
# names each parameter with the pipeline step's name as prefix (``cnn__``);
# parameters outside the grid keep the pipeline's values.
X, y = load_sample()
X, _, y, _ = train_test_split(
    X, y, train_size=300 if FAST else 2000, stratify=y, random_state=0
)

if FAST:
    pipe = make_digit_pipeline(
        kernel_sizes=3,
        dense_units=16,
        augment=False,
        epochs=1,
        batch_size=64,
        random_state=0,
    )
    grid = {"cnn__filters": [(8,), (4, 8)], "cnn__optimizer": ["rmsprop", "adam"]}
    folds = 2
else:
    pipe = make_digit_pipeline(epochs=10, random_state=0)
    grid = {
        "cnn__filters": [(32, 64, 64), (16, 32, 32)],
        "cnn__optimizer": ["rmsprop", "adam"],
    }
    folds = 3

# %%
# The search
# ----------
search = GridSearchCV(pipe, grid, cv=folds, scoring="accuracy")
start = time.perf_counter()
search.fit(X, y)
n_candidates = len(search.cv_results_["params"])
print(
    f"Searched {n_candidates} candidates x {folds} folds on {len(X):,} digits "
    f"in {time.perf_counter() - start:.0f} s"
)

# %%
# The report: one row per candidate, best first.
report = grid_search_report(search)
print(format_report(report))
best = search.best_params_
print(
    f"Best: filters={best['cnn__filters']}, optimizer={best['cnn__optimizer']}, "
    f"mean CV accuracy: {search.best_score_:.4f}"
)

# %%
# The figure: one line per optimizer, the filters along the x axis.
fig = plot_grid_search(search, x="filters", hue="optimizer")
fig.savefig(out / "grid_search.png", dpi=100)
print(f"Plot: {out / 'grid_search.png'}")
