"""Peak memory: resident set size of a process training on a 42,000-row Kaggle train.csv.

Writes a Kaggle-format train.csv of ``--n-rows`` digits (the training and
test digits, one after the other, repeated) into a temporary folder, then runs
the user's paths, each in its own process, and reads that process's peak RSS
from ``os.wait4`` (``ru_maxrss``, which also counts any processes it waited
for):

* ``cli``: ``skdigits train --train train.csv --epochs N --quiet --json``
  (the console script: reads the CSV, trains its default pipeline, saves the
  model and the learning-curve figure);
* ``python``: ``load_digit_recognizer`` then ``make_digit_pipeline(...).fit``;
* ``read_csv``: ``pandas.read_csv`` (int64 columns, as in the tutorial) then
  ``make_digit_pipeline(...).fit`` on the DataFrame;
* ``baseline``: a process that only loads TensorFlow and Keras
  (through skdigits, quietly), for reference.

The tutorial's network (``TUTORIAL_RECIPE``: filters 32,64,64, dense 256,
augmentation on; the ``cli`` mode trains the CLI's defaults, a smaller
network), ``--epochs`` epochs.

    python benchmarks/peak_memory.py [--n-rows 42000 --epochs 1 --repeats 1 --modes cli python read_csv baseline]
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import BACKEND, load_npz, median, parser, skdigits_command, table, write_results

GOAL_BYTES = 2e9

# argv: mode, train.csv, epochs
_CHILD = """
import json, sys, time
mode, path, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
start = time.perf_counter()
if mode == "baseline":
    import importlib
    importlib.import_module("__BACKEND__")  # TensorFlow and Keras, quietly
    print(json.dumps({"seconds": time.perf_counter() - start}))
    sys.exit()
from skdigits import TUTORIAL_RECIPE, load_digit_recognizer, make_digit_pipeline
if mode == "python":
    X, y = load_digit_recognizer(path)
else:
    import pandas as pd
    X = pd.read_csv(path)
    y = X.pop("label")
imported_and_read = time.perf_counter() - start  # the import of skdigits.pipeline loads TensorFlow
pipe = make_digit_pipeline(**{**TUTORIAL_RECIPE, "epochs": epochs}, random_state=0).fit(X, y)
print(json.dumps({"import_and_read_seconds": imported_and_read, "seconds": time.perf_counter() - start,
                  "train_accuracy": float(pipe[-1].history_["accuracy"][-1])}))
""".replace("__BACKEND__", BACKEND)


def _measure(command, folder):
    """Run ``command``; return its wall time, CPU time, peak RSS and output (``os.wait4`` rusage)."""
    out, err = folder / "stdout.txt", folder / "stderr.txt"
    start = time.perf_counter()
    with open(out, "w") as stdout, open(err, "w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=folder)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"{command} failed ({process.returncode}):\n{err.read_text()[-3000:]}")
    text = out.read_text().strip()
    return {
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # ru_maxrss is in KiB on Linux
        "output": json.loads(text) if text else None,  # one JSON document (the CLI's is indented)
    }


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-rows", type=int, default=42000)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--modes", nargs="+", default=["cli", "python", "read_csv", "baseline"],
                   choices=["cli", "python", "read_csv", "baseline"])
    args = p.parse_args()

    from skdigits.datasets.digit_recognizer import write_digit_recognizer

    X_train, y_train = load_npz(args.train)
    X_test, y_test = load_npz(args.test)
    X = np.concatenate([X_train, X_test]).reshape(len(X_train) + len(X_test), -1)
    y = np.concatenate([y_train, y_test])
    reps = int(np.ceil(args.n_rows / len(X)))
    X = np.tile(X, (reps, 1))[: args.n_rows]
    y = np.tile(y, reps)[: args.n_rows]

    runs = {mode: [] for mode in args.modes}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / "train.csv"
        write_digit_recognizer(X, path, y=y)
        size_mb = path.stat().st_size / 1e6
        print(f"{path.name}: {args.n_rows} rows, {size_mb:.0f} MB", flush=True)
        commands = {
            "cli": [*skdigits_command(), "train", "--train", str(path), "--epochs", str(args.epochs),
                    "--output-dir", str(folder / "cli-output"), "--quiet", "--json"],
            **{mode: [sys.executable, "-c", _CHILD, mode, str(path), str(args.epochs)]
               for mode in ("python", "read_csv", "baseline")},
        }
        for repeat in range(args.repeats):
            for mode in args.modes:
                result = _measure(commands[mode], folder)
                runs[mode].append(result)
                print(f"round {repeat + 1}, {mode}: peak RSS {result['peak_rss_mb']:.0f} MB, "
                      f"{result['wall_seconds']:.0f} s (cpu {result['cpu_seconds']:.0f} s)", flush=True)

    commands_shown = {
        "cli": f"skdigits train --train train.csv --epochs {args.epochs} --quiet --json",
        "python": f"load_digit_recognizer + make_digit_pipeline(epochs={args.epochs}).fit",
        "read_csv": f"pandas.read_csv + make_digit_pipeline(epochs={args.epochs}).fit",
        "baseline": "import TensorFlow + Keras only",
    }
    summary = {}
    for mode in args.modes:
        peaks = [r["peak_rss_mb"] for r in runs[mode]]
        summary[mode] = {"max_peak_rss_mb": max(peaks), "median_peak_rss_mb": median(peaks),
                         "median_wall_seconds": median([r["wall_seconds"] for r in runs[mode]])}
    write_results("peak_memory", {
        "n_rows": args.n_rows, "epochs": args.epochs,
        "file_mb": size_mb,
        "commands": {mode: commands_shown[mode] for mode in args.modes},
        "runs": runs,
        "summary": summary,
    }, [table(f"Peak resident memory of a process training {args.epochs} epoch(s) on a {args.n_rows:,}-row train.csv "
              f"({size_mb:.0f} MB), {args.repeats} run(s) each",
              ["process", "peak RSS (largest)", "wall time (median)"],
              [[commands_shown[mode], f"{summary[mode]['max_peak_rss_mb']:,.0f} MB",
                f"{summary[mode]['median_wall_seconds']:.0f} s"] for mode in args.modes],
              note="Peak RSS is ru_maxrss from os.wait4, in MB of 2^20 bytes.")], args.json)


if __name__ == "__main__":
    main()
