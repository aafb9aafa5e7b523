"""Shared helpers for the benchmark scripts: options, data, the run record, results files.

Every script ends with :func:`write_results`, which writes ``results/<name>.json``
(replacing the previous run's file): the figures and the tables the docs show,
with the command that produced them, the machine, the library versions and the
start and end of the run (UTC). ``report.py`` renders the docs' benchmarks page
and the README's headline figures from those files, and nothing else.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "data"
RESULTS = HERE / "results"
SCHEMA = 1  # the layout of a results file; report.py refuses any other

# The one place the benchmarks name skdigits' quiet Keras import (TensorFlow's start-up log silenced).
# It is private and may move: change it here, and in the child processes that format it in.
BACKEND = "skdigits._training.backend"

# When this module was first imported: the start of the run (every script imports it first).
STARTED = datetime.datetime.now(datetime.timezone.utc)
_LOAD_AT_START = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

# CPU flags that decide how fast TensorFlow's kernels run (oneDNN picks its code path from them).
CPU_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
             "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "avx_vnni")
# Libraries whose versions go into every results file (distribution names).
LIBRARIES = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"), "keras": ("keras",),
             "scikit-learn": ("scikit-learn",), "numpy": ("numpy",), "scikeras": ("scikeras",),
             "skdigits": ("skdigits",)}
# Environment variables that change what a run measures.
ENVIRONMENT = ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
               "TF_NUM_INTEROP_THREADS", "CUDA_VISIBLE_DEVICES", "KERAS_BACKEND")


def parser(description):
    """An argument parser with the options every benchmark takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--train", type=Path, default=SHARED / "mnist_train_8k.npz", help="npz with X, y")
    p.add_argument("--test", type=Path, default=SHARED / "mnist_test_10k.npz", help="npz with X, y")
    p.add_argument("--json", type=Path, default=None,
                   help="write the results there instead of results/<name>.json (for trial runs)")
    return p


def quiet_keras():
    """Import Keras through skdigits, with TensorFlow's start-up log kept quiet; return the ``keras`` module."""
    return importlib.import_module(BACKEND).keras


def skdigits_command():
    """The ``skdigits`` console script of this interpreter's environment (as a user runs it), else ``-m skdigits``."""
    script = Path(sys.executable).parent / "skdigits"
    return [str(script)] if script.exists() else [sys.executable, "-m", "skdigits"]


def load_npz(path):
    """Return (X, y): uint8 images (n, 28, 28) and int labels."""
    with np.load(path) as data:
        return data["X"], data["y"].astype(np.int64)


def load_scaled(path, n=None):
    """Return (X, y): the first ``n`` images as float32 (n, 28, 28, 1) in [0, 1], and int labels."""
    X, y = load_npz(path)
    X, y = X[:n], y[:n]
    return (X / np.float32(255)).astype(np.float32)[..., None], y


KAGGLE_TRAIN_SIZE = 42_000  # Kaggle's train.csv; digits from here on in mnist_train_50k.npz choose recipes


def add_n_train_option(p, default=None):
    """Add --n-train: train on the first N digits of --train, at most a Kaggle-sized 42,000."""
    p.add_argument("--n-train", type=int, default=default,
                   help=f"train on the first N digits of --train (at most {KAGGLE_TRAIN_SIZE:,}; default: "
                        f"{'all' if default is None else '%(default)s'})")


def load_kaggle_sized(p, args):
    """Return (X, y): the first ``args.n_train`` digits of ``args.train`` (scaled, as :func:`load_scaled`).

    Refuses (``p.error``) more than 42,000 training digits, whether asked for or in a file given without
    --n-train: digits 42,000-49,999 of mnist_train_50k.npz are kept for choosing recipes.
    """
    if args.n_train is not None and not 0 < args.n_train <= KAGGLE_TRAIN_SIZE:
        p.error(f"--n-train must be in 1..{KAGGLE_TRAIN_SIZE}: digits 42,000-49,999 are kept for choosing recipes")
    X, y = load_scaled(args.train, args.n_train)
    if len(X) > KAGGLE_TRAIN_SIZE:
        p.error(f"{args.train} holds {len(X):,} digits: pass --n-train {KAGGLE_TRAIN_SIZE} (or fewer), since digits "
                f"{KAGGLE_TRAIN_SIZE:,} and beyond are kept for choosing recipes")
    return X, y


def row_range(text):
    """``A:B`` as a slice of rows, for --train-rows and --heldout-rows."""
    start, _, stop = text.partition(":")
    return slice(int(start) if start else None, int(stop) if stop else None)


def add_heldout_options(p):
    """Add --heldout, --train-rows and --heldout-rows: which digits train and which score (see load_heldout_split)."""
    p.add_argument("--heldout", type=Path, default=None,
                   help="npz of digits in neither --train nor --test: train on all of --train and score these")
    p.add_argument("--train-rows", type=row_range, default=slice(None), metavar="A:B",
                   help="train on rows A to B-1 of --train, e.g. 0:42000 of mnist_train_50k.npz (default: all)")
    p.add_argument("--heldout-rows", type=row_range, default=slice(None), metavar="A:B",
                   help="score rows A to B-1 of --heldout, e.g. 42000:50000 of mnist_train_50k.npz (default: all)")


def load_heldout_split(p, args):
    """Return (X_fit, y_fit, X_val, y_val, source): the training and held-out digits the options name.

    Without --heldout, a stratified 80/20 split of --train (seed 0). The test set is never loaded. Rows of one
    file that would both train and score are refused through the parser ``p``.
    """
    from sklearn.model_selection import train_test_split

    X_all, y_all = load_scaled(args.train)
    X, y = X_all[args.train_rows], y_all[args.train_rows]
    if args.heldout is None:
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
        source = args.train.name
    else:
        same_file = args.heldout.resolve() == args.train.resolve()
        if same_file:  # the file is loaded once; its rows must not both train and score
            rows = range(len(y_all))
            if set(rows[args.train_rows]) & set(rows[args.heldout_rows]):
                p.error("--train-rows and --heldout-rows overlap: a held-out digit must not be trained on")
        X_other, y_other = (X_all, y_all) if same_file else load_scaled(args.heldout)
        X_val, y_val = X_other[args.heldout_rows], y_other[args.heldout_rows]
        (X_fit, y_fit), source = (X, y), f"{args.heldout.name}[{args.heldout_rows.start}:{args.heldout_rows.stop}]"
    print(f"{len(X_fit)} training digits, {len(X_val)} held-out digits from {source}; test set unused", flush=True)
    return X_fit, y_fit, X_val, y_val, source


def _cpu():
    """The CPU's model name and the flags of ``CPU_FLAGS`` it has (Linux /proc/cpuinfo; elsewhere less)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model in ("", platform.processor(), platform.machine()):
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return model, [flag for flag in CPU_FLAGS if flag in flags]


def _memory_gib():
    """Total memory in GiB (Linux), else None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _gpus():
    """The GPUs of this machine: as TensorFlow sees them if this run imported it, else as ``nvidia-smi -L`` lists them.

    Benchmarks that train in child processes (``skdigits run``) never import
    TensorFlow themselves, so they ask the driver instead.
    """
    tf = sys.modules.get("tensorflow")
    try:
        if tf is not None:
            return [tf.config.experimental.get_device_details(d).get("device_name", d.name)
                    for d in tf.config.list_physical_devices("GPU")]
        if shutil.which("nvidia-smi"):
            listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
            return [line.split(" (UUID")[0] for line in listed.stdout.splitlines() if line.startswith("GPU ")]
    except Exception as exc:  # a device query must never lose a finished run's results
        return [f"unknown ({type(exc).__name__})"]
    return []


def machine():
    """What ran the benchmark: CPU model, cores, the CPU flags that matter, GPUs, memory, OS, load average."""
    cpu, flags = _cpu()
    return {"cpu": cpu, "cores": os.cpu_count(), "cpu_flags": flags, "gpus": _gpus(), "memory_gib": _memory_gib(),
            "os": platform.platform(), "load_average_at_start": _LOAD_AT_START,
            "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}


def _git(*args):
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def versions():
    """Python's and the libraries' versions, and the skdigits commit the run measured."""
    found = {"python": platform.python_version()}
    for name, distributions in LIBRARIES.items():
        found[name] = None
        for distribution in distributions:
            try:
                found[name] = version(distribution)
                break
            except PackageNotFoundError:
                continue
    found["skdigits_commit"] = _git("rev-parse", "HEAD")
    changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)benchmarks/results")
    found["skdigits_tree"] = None if changes is None else ("modified" if changes else "clean")
    return found


def command():
    """The command line of this run, exactly: its argv, the folder it ran from, and the settings that matter."""
    cwd = Path.cwd().resolve()
    try:
        where = cwd.relative_to(ROOT).as_posix() or "."
    except ValueError:
        where = str(cwd)
    argv = list(sys.argv)
    return {"argv": argv, "cwd": where, "shown": shlex.join(["python", *argv]),
            "environment": {name: os.environ[name] for name in ENVIRONMENT if name in os.environ}}


def table(title, columns, rows, note=None):
    """A table for the docs: its title, column names and rows of cells (numbers formatted as shown).

    ``note`` is a sentence or two printed under it, written by the script from the run's figures.
    """
    rows = [[str(cell) for cell in row] for row in rows]
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"table {title!r}: every row needs {len(columns)} cells")
    return {"title": title, "columns": list(columns), "rows": rows, "note": note}


def markdown(t):
    """A table of :func:`table` in Markdown, for the terminal."""
    lines = [f"{t['title']}", "", "| " + " | ".join(t["columns"]) + " |", "|" + "---|" * len(t["columns"])]
    lines += ["| " + " | ".join(row) + " |" for row in t["rows"]]
    return "\n".join(lines + ([f"\n{t['note']}"] if t.get("note") else []))


def _plain(value):
    """``value`` with NumPy scalars and arrays, tuples and paths made JSON's, and NaN and infinities None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_results(name, figures, tables, path=None):
    """Write this run's results file and return its path; print its tables.

    The file, ``results/<name>.json`` unless ``path`` (the ``--json`` option) says otherwise,
    replaces the previous run's: one run, one machine. It holds ``figures`` (everything
    measured, as numbers), ``tables`` (:func:`table`, what the docs show), the command, the
    machine, the versions, and when the run started and finished (UTC, ISO 8601).
    """
    finished = datetime.datetime.now(datetime.timezone.utc)
    record = {
        "schema": SCHEMA,
        "benchmark": name,
        "command": command(),
        "started": STARTED.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "tables": list(tables),
        "figures": _plain(figures),
    }
    text = json.dumps(record, indent=1, allow_nan=False) + "\n"
    path = Path(path) if path else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)  # a reader never sees half a file
    for t in tables:
        print()
        print(markdown(t))
    print(f"\nresults: {path}")
    return path


class EpochTimer:
    """A Keras callback that records the wall time of every epoch."""

    def __new__(cls):
        keras = quiet_keras()

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
        keras = quiet_keras()

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
