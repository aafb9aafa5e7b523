"""Kaggle scale: what ``skdigits run --train train.csv --test test.csv`` costs for each recipe.

Writes a Kaggle-size ``train.csv`` (42,000 labelled digits) and ``test.csv``
(28,000), tiled from the training and test files (repeated digits are fine
for timing, not for accuracy), then runs ``skdigits run --train train.csv
--test test.csv --recipe NAME`` once per recipe, each in a fresh process
under ``/usr/bin/time -v``, one after another. Reports the wall time and
the peak resident memory of each run, with the command's defaults
(``--holdout 0.2``, ``--validation-split 0.1``: a first fit on 30,240
digits measures the accuracy, then the submitted model is refitted on all
42,000).

    python benchmarks/kaggle_scale.py [--recipes fast tutorial accurate] [--workdir DIR]
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from _common import HERE, load_npz, parser, table, write_results


def tiled(X, n):
    """The first ``n`` rows of ``X`` repeated as often as needed, flattened to 784 columns."""
    X = X.reshape(len(X), -1)
    return np.tile(X, (int(np.ceil(n / len(X))), 1))[:n]


def write_csvs(args, workdir):
    """Write train.csv and test.csv into ``workdir`` (unless present); return their paths."""
    from skdigits.datasets.digit_recognizer import write_digit_recognizer

    train, test = workdir / "train.csv", workdir / "test.csv"
    if not train.exists():
        X, y = load_npz(args.train)
        write_digit_recognizer(tiled(X, args.n_train), train, y=np.tile(y, int(np.ceil(args.n_train / len(y))))[
            : args.n_train])
    if not test.exists():
        write_digit_recognizer(tiled(load_npz(args.test)[0], args.n_test), test)
    return train, test


def measure(recipe, train, test, workdir):
    """Run ``skdigits run`` for one recipe under /usr/bin/time -v; return wall seconds and peak RSS (MiB)."""
    command = [sys.executable, "-m", "skdigits", "run", "--train", str(train), "--test", str(test),
               "--recipe", recipe, "--random-state", "0", "--output-dir", str(workdir / f"out-{recipe}")]
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    # A failed run still reports what it cost up to the failure, and the error's last line.
    error = None
    if done.returncode:
        error = done.stderr.split("Command exited with non-zero status")[0].strip().splitlines()[-1]
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = (float(g or 0) for g in wall.groups())
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return {"recipe": recipe, "wall_seconds": hours * 3600 + minutes * 60 + seconds, "peak_rss_mib": rss_kib / 1024,
            "error": error, "stdout_tail": done.stdout[-1500:]}


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--recipes", nargs="+", default=["fast", "tutorial", "accurate"])
    p.add_argument("--n-train", type=int, default=42000)
    p.add_argument("--n-test", type=int, default=28000)
    p.add_argument("--workdir", type=Path, default=HERE / "work" / "kaggle_scale",
                   help="where the CSV files (reused by later runs) and the outputs go")
    args = p.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    train, test = write_csvs(args, args.workdir)
    rows = []
    for recipe in args.recipes:
        rows.append(measure(recipe, train, test, args.workdir))
        print(f"{recipe}: {rows[-1]['wall_seconds']:.0f} s wall, peak RSS {rows[-1]['peak_rss_mib']:.0f} MiB"
              + (f", FAILED: {rows[-1]['error']}" if rows[-1]["error"] else ""), flush=True)
    lines = [[r["recipe"], f"{r['wall_seconds']:.0f} s" + (f" (failed: {r['error']})" if r["error"] else ""),
              f"{r['peak_rss_mib']:,.0f} MiB"] for r in rows]
    write_results("kaggle_scale", {"n_train": args.n_train, "n_test": args.n_test, "rows": rows}, [table(
        f"skdigits run --train train.csv --test test.csv --recipe NAME --random-state 0, a {args.n_train:,}-row "
        f"train.csv and a {args.n_test:,}-row test.csv, one fresh process each",
        ["--recipe", "wall time", "peak RSS"], lines,
        note="The command's defaults hold out 20 % and validate on 10 % of the rest; the digits are repeated "
             "from the data files, so only the times and the memory mean anything.")], args.json)


if __name__ == "__main__":
    main()
