"""
Save a fitted pipeline and reuse it in another process
======================================================

Train the digit pipeline, save it with ``joblib.dump``, then start a
separate Python process that only loads the file with ``joblib.load`` and
predicts. The new process's ``predict_proba`` is compared with the
original's bit for bit (``numpy.array_equal``, not a tolerance); the script
exits with status 1 if they differ. The network-building code lives in
skdigits, so the file loads in any program that can import skdigits, not
only in the one that trained it.

**Security**: joblib and pickle files run code when they are loaded. Only
load model files you made yourself or got from someone you trust. To share a
model, ``skdigits.save_model`` and ``skdigits.load_model`` use a format that
runs no code when loaded.

Run it with::

    python examples/persist_and_reuse.py

It trains on 4,000 of the 5,000 real MNIST digits of
``skdigits.load_sample()`` for 10 epochs and predicts the other 1,000. The
model and the arrays exchanged go to the folder named by
``SKDIGITS_EXAMPLE_OUTPUT`` (created if needed), else to a new temporary
folder. ``SKDIGITS_FAST=1`` runs a smoke test instead: 500 digits (400 to
train), 1 epoch, a tiny network without augmentation.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
from sklearn.model_selection import train_test_split

from skdigits import load_sample, make_digit_pipeline

FAST = os.environ.get("SKDIGITS_FAST") == "1"
if os.environ.get("SKDIGITS_EXAMPLE_OUTPUT"):
    out = Path(os.environ["SKDIGITS_EXAMPLE_OUTPUT"])
    out.mkdir(parents=True, exist_ok=True)
else:
    out = Path(tempfile.mkdtemp(prefix="skdigits-persist-"))

# %%
# Train
# -----
# Plain arrays, as the second process will read them; the sample is sorted
# by digit, so it is split stratified.
X, y = load_sample()
X, y = X.to_numpy(), y.to_numpy()
if FAST:
    X, _, y, _ = train_test_split(X, y, train_size=500, stratify=y, random_state=0)
    params = dict(
        filters=(8,),
        kernel_sizes=3,
        dense_units=16,
        augment=False,
        epochs=1,
        batch_size=64,
    )
else:
    params = dict(epochs=10)
X_train, X_new, y_train, y_new = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=0
)
pipe = make_digit_pipeline(random_state=0, **params).fit(X_train, y_train)
print(
    f"Trained on {len(X_train):,} digits; accuracy on {len(X_new):,} new digits: "
    f"{pipe.score(X_new, y_new):.4f}"
)

# %%
# Save
# ----
model_path = out / "digits.joblib"
joblib.dump(pipe, model_path)
print(f"Saved the pipeline to {model_path} ({model_path.stat().st_size / 1e6:.1f} MB)")
new_path = out / "new_digits.npy"
np.save(new_path, X_new)
proba = pipe.predict_proba(X_new)

# %%
# Load and predict in a new process
# ---------------------------------
# The second process imports nothing from this script: it loads the file
# and predicts the saved digits.
SECOND_PROCESS = """
import sys
import joblib
import numpy as np

model_path, new_path, proba_path = sys.argv[1:]
model = joblib.load(model_path)  # runs code from the file: trusted files only
np.save(proba_path, model.predict_proba(np.load(new_path)))
"""
proba_path = out / "proba_from_new_process.npy"
subprocess.run(
    [
        sys.executable,
        "-c",
        SECOND_PROCESS,
        str(model_path),
        str(new_path),
        str(proba_path),
    ],
    check=True,
)
reloaded = np.load(proba_path)
same = reloaded.shape == proba.shape and np.array_equal(reloaded, proba)
print(f"predict_proba in a new process is identical bit for bit: {same}")
if not same:
    sys.exit(1)
