"""Save a fitted pipeline with joblib and reuse it in another Python process.

Shows persistence: train the digit pipeline, ``joblib.dump`` it to a file,
then start a separate Python process (``subprocess``) that only loads the
file with ``joblib.load`` and predicts. The new process's
``predict_proba`` is compared with the original's bit for bit
(``numpy.array_equal``, not a tolerance); the script exits with status 1 if
they differ. The network-building code lives in skdigits, so the file loads
in any script that can import skdigits, not only in the one that trained it.

Security: joblib and pickle files run code when they are loaded. Only load
model files you made yourself or got from someone you trust. To share a
model, ``skdigits.save_model`` / ``skdigits.load_model`` use a format that
runs no code when loaded.

    python examples/persist_and_reuse.py

Trains on 4,000 of the 5,000 real MNIST digits of ``skdigits.load_sample()``
for 10 epochs and predicts the other 1,000. The model and the arrays
exchanged go to the folder named by ``SKDIGITS_EXAMPLE_OUTPUT`` (created if
needed), else to a new temporary folder. ``SKDIGITS_FAST=1`` runs a smoke
test instead: 500 digits (400 to train), 1 epoch, a tiny network without
augmentation.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np

FAST = os.environ.get("SKDIGITS_FAST") == "1"


def output_dir():
    """The folder for the files written: $SKDIGITS_EXAMPLE_OUTPUT or a new temp folder."""
    path = os.environ.get("SKDIGITS_EXAMPLE_OUTPUT")
    if path:
        os.makedirs(path, exist_ok=True)
        return Path(path)
    return Path(tempfile.mkdtemp(prefix="skdigits-persist-"))


def train_and_save(folder):
    """Fit the pipeline, save it and some new digits; return the paths and the probabilities."""
    from sklearn.model_selection import train_test_split

    from skdigits import load_sample, make_digit_pipeline

    X, y = load_sample()  # sorted by digit: split it stratified
    X, y = X.to_numpy(), y.to_numpy()  # plain arrays, as the second process will read them
    if FAST:
        X, _, y, _ = train_test_split(X, y, train_size=500, stratify=y, random_state=0)
        params = dict(filters=(8,), kernel_sizes=3, dense_units=16, augment=False, epochs=1, batch_size=64)
    else:
        params = dict(epochs=10)
    X_train, X_new, y_train, y_new = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    pipe = make_digit_pipeline(random_state=0, **params).fit(X_train, y_train)
    print(f"Trained on {len(X_train):,} digits; accuracy on {len(X_new):,} new digits: "
          f"{pipe.score(X_new, y_new):.4f}")

    model_path = folder / "digits.joblib"
    joblib.dump(pipe, model_path)
    print(f"Saved the pipeline to {model_path} ({model_path.stat().st_size / 1e6:.1f} MB)")
    new_path = folder / "new_digits.npy"
    np.save(new_path, X_new)
    return model_path, new_path, pipe.predict_proba(X_new)


def load_and_predict(model_path, new_path, proba_path):
    """Run in the second process: load the model, predict, save the probabilities."""
    model = joblib.load(model_path)  # runs code from the file: trusted files only
    np.save(proba_path, model.predict_proba(np.load(new_path)))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--load":  # the second process
        load_and_predict(*sys.argv[2:])
        return 0

    folder = output_dir()
    model_path, new_path, proba = train_and_save(folder)

    proba_path = folder / "proba_from_new_process.npy"
    subprocess.run([sys.executable, __file__, "--load", str(model_path), str(new_path), str(proba_path)],
                   check=True)
    reloaded = np.load(proba_path)
    same = reloaded.shape == proba.shape and np.array_equal(reloaded, proba)
    print(f"predict_proba in a new process is identical bit for bit: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
