"""Long-run hygiene: resident memory over many fit/predict cycles in one process.

Fits and predicts a small CNNDigitClassifier ``--cycles`` times on the first
``--n-images`` training digits, and records the process's RSS after each
cycle. The figure is the slope of a least-squares line through the RSS of the
cycles after the first ``--warmup`` (MB per cycle): near 0 means memory does
not grow without bound.

    python benchmarks/memory_cycles.py [--cycles 50 --n-images 500 --epochs 1]
"""

import gc
import resource
import time
from pathlib import Path

import numpy as np

from _common import load_scaled, parser, table, write_results


def rss_mb():
    """Current resident set size of this process, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--n-images", type=int, default=500)
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()

    from skdigits import CNNDigitClassifier

    X, y = load_scaled(args.train, args.n_images)

    rss, start = [], time.perf_counter()
    for cycle in range(args.cycles):
        clf = CNNDigitClassifier(filters=(16, 32), dense_units=64, epochs=args.epochs, random_state=cycle)
        clf.fit(X, y).predict_proba(X)
        del clf
        gc.collect()
        rss.append(rss_mb())
        if cycle % 10 == 9:
            print(f"cycle {cycle + 1}: RSS {rss[-1]:.0f} MB", flush=True)

    tail = np.asarray(rss[args.warmup:])
    slope = float(np.polyfit(np.arange(len(tail)), tail, 1)[0]) if len(tail) > 1 else float("nan")
    write_results("memory_cycles", {
        "cycles": args.cycles, "warmup": args.warmup, "n_images": args.n_images, "epochs": args.epochs,
        "rss_mb": rss,
        "slope_mb_per_cycle": slope,
        "seconds": time.perf_counter() - start,
    }, [table(f"Resident memory over {args.cycles} fit/predict cycles of a small network on {args.n_images:,} digits",
              ["RSS after the warm-up", "RSS at the end", "slope after the warm-up"],
              [[f"{rss[min(args.warmup, len(rss) - 1)]:.0f} MB", f"{rss[-1]:.0f} MB", f"{slope:.2f} MB per cycle"]],
              note=f"The slope is a least-squares line through the RSS after each cycle, from cycle "
                   f"{args.warmup + 1} on.")], args.json)


if __name__ == "__main__":
    main()
