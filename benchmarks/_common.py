"""Shared helpers for the benchmark scripts: data, machine description, output."""

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def parser(description):
    """An argument parser with the options every benchmark takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--train", type=Path, default=SHARED / "mnist_train_8k.npz", help="npz with X, y")
    p.add_argument("--test", type=Path, default=SHARED / "mnist_test_10k.npz", help="npz with X, y")
    p.add_argument("--json", type=Path, default=None, help="where to write the results (default: results/<name>.json)")
    return p


def load_npz(path):
    """Return (X, y): uint8 images (n, 28, 28) and int labels."""
    with np.load(path) as data:
        return data["X"], data["y"].astype(np.int64)


def load_scaled(path, n=None):
    """Return (X, y): the first ``n`` images as float32 (n, 28, 28, 1) in [0, 1], and int labels."""
    X, y = load_npz(path)
    X, y = X[:n], y[:n]
    return (X / np.float32(255)).astype(np.float32)[..., None], y


def machine():
    """What ran the benchmark: CPU, cores and library versions."""
    import sklearn

    from skdigits._training.backend import keras, tf  # quiet: no TensorFlow start-up log in the output

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }


class EpochTimer:
    """A Keras callback that records the wall time of every epoch."""

    def __new__(cls):
        from skdigits._training.backend import keras

        class _Timer(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.times = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self._start)

        return _Timer()


def median(values):
    """The median of a list of numbers."""
    return statistics.median(values)


def write_results(name, results, path=None):
    """Write results (with the machine) as JSON and return the path."""
    path = path or Path(__file__).resolve().parent / "results" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **results}, indent=2))
    return path


def accuracy_and_log_loss(proba, classes):
    """Return (accuracy, log-loss) of probabilities ``proba`` against class indices ``classes``.

    Log-loss moves with every digit's confidence, so it separates recipes that accuracy ties.
    """
    rows = np.arange(len(classes))
    return (float(np.mean(proba.argmax(axis=1) == classes)),
            float(-np.mean(np.log(np.clip(proba[rows, classes], 1e-7, 1)))))


class AccuracyCurve:
    """A Keras callback: cumulative training seconds, accuracy and log-loss on ``(X, y)`` after each epoch.

    Scoring is outside the training clock. With ``label``, prints a line per epoch.
    """

    def __new__(cls, X, y, label=None):
        from skdigits._training.backend import keras

        class _Curve(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.seconds, self.accuracy, self.log_loss, self._trained = [], [], [], 0.0

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self._trained += time.perf_counter() - self._start
                proba = self.model.predict(X, batch_size=1024, verbose=0)
                self.seconds.append(self._trained)
                accuracy, log_loss = accuracy_and_log_loss(proba, y)
                self.accuracy.append(accuracy)
                self.log_loss.append(log_loss)
                if label:
                    print(f"epoch {epoch + 1:2d}: {self._trained:7.1f} s trained, {label} {self.accuracy[-1]:.4f}",
                          flush=True)

        return _Curve()
