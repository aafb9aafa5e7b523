"""Kaggle CSV loading: wall time and peak memory of load_digit_recognizer on a 42,000-row train.csv.

Writes a Kaggle-format train.csv of ``--n-rows`` digits (tiled from the
training file) into a temporary folder, then loads it ``--repeats`` times,
each in a fresh Python process, and reports the median load time and the
largest peak RSS of those processes (their RSS after importing skdigits.datasets.digit_recognizer
is given too, for reference).

    python benchmarks/csv_load.py [--n-rows 42000 --repeats 3]
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from _common import load_npz, median, parser, table, write_results

_CHILD = """
import json, resource, sys, time
from pathlib import Path
import skdigits.datasets.digit_recognizer as d
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
base = rss()
start = time.perf_counter()
X, y = d.load_digit_recognizer(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rss_before_mb": base, "rows": len(X)}))
"""


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-rows", type=int, default=42000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()

    from skdigits.datasets.digit_recognizer import write_digit_recognizer

    X, y = load_npz(args.train)
    reps = int(np.ceil(args.n_rows / len(X)))
    X = np.tile(X.reshape(len(X), -1), (reps, 1))[: args.n_rows]
    y = np.tile(y, reps)[: args.n_rows]
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.csv"
        write_digit_recognizer(X, path, y=y)
        size_mb = path.stat().st_size / 1e6
        for _ in range(args.repeats):
            done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                                  check=True)
            runs.append(json.loads(done.stdout))
            print(f"load {runs[-1]['seconds']:.2f} s, peak RSS {runs[-1]['peak_mb']:.0f} MB", flush=True)

    seconds = median([r["seconds"] for r in runs])
    peak = max(r["peak_mb"] for r in runs)
    write_results("csv_load", {
        "n_rows": args.n_rows, "file_mb": size_mb, "runs": runs, "median_seconds": seconds, "peak_rss_mb": peak,
    }, [table(f"load_digit_recognizer on a {args.n_rows:,}-row train.csv, {args.repeats} fresh processes",
              ["file", "load time (median)", "peak RSS (largest)"],
              [[f"{size_mb:.0f} MB", f"{seconds:.2f} s", f"{peak:.0f} MB"]])], args.json)


if __name__ == "__main__":
    main()
