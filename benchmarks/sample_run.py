"""The first command: ``skdigits run`` on the embedded sample, as a new user runs it.

Runs ``skdigits run --output-dir DIR --random-state 0 --quiet --json`` (no
``--train``: the embedded sample of 5,000 MNIST digits, a stratified 20 %
held out, the default recipe) in a fresh process, ``--repeats`` times, one
after another. Reports the wall time of the whole process, from its start to
its exit (what the user waits for), its peak resident memory (``os.wait4``),
the training time the command reports, and the held-out accuracy. Needs no
data from ``../shared/data``.

    python benchmarks/sample_run.py [--repeats 3]
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _common import median, parser, skdigits_command, table, write_results


def run_once(folder, extra=()):
    """Run ``skdigits run`` once in a fresh process; return its wall seconds, peak RSS (MiB) and JSON report."""
    command = [*skdigits_command(), "run", "--output-dir", str(folder), "--random-state", "0", "--quiet", "--json",
               *extra]
    start = time.perf_counter()
    with open(Path(folder).parent / "stdout.txt", "w") as stdout, open(Path(folder).parent / "stderr.txt", "w") as err:
        process = subprocess.Popen(command, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{command} failed:\n{(Path(folder).parent / 'stderr.txt').read_text()[-3000:]}")
    report = json.loads((Path(folder).parent / "stdout.txt").read_text())
    return {"wall_seconds": wall, "peak_rss_mib": usage.ru_maxrss / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "fit_seconds": report["timings"]["fit_seconds"], "total_seconds": report["timings"]["total_seconds"],
            "accuracy": report["accuracy"], "n_trained": report["n_trained"], "n_holdout": report["n_holdout"],
            "settings": report["settings"]}


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=None, help="passed to skdigits run (default: the recipe's)")
    args = p.parse_args()
    extra = [] if args.epochs is None else ["--epochs", str(args.epochs)]

    runs = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            runs.append(run_once(Path(folder) / "output", extra))
        print(f"run {repeat + 1}: {runs[-1]['wall_seconds']:.1f} s wall, {runs[-1]['fit_seconds']:.1f} s training, "
              f"held-out accuracy {runs[-1]['accuracy']:.4f}", flush=True)
    summary = {key: median([r[key] for r in runs]) for key in ("wall_seconds", "fit_seconds", "accuracy")}
    summary["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    recipe = "the default recipe" + ("" if args.epochs is None else f", {args.epochs} epochs")
    write_results("sample_run", {"runs": runs, **summary}, [table(
        f"skdigits run on the embedded sample (the network trains on {runs[0]['n_trained']:,} digits, "
        f"{runs[0]['n_holdout']:,} held out), {recipe}; medians of {args.repeats} fresh processes",
        ["whole command, start to exit", "of it, training", "held-out accuracy", "peak RSS (largest)"],
        [[f"{summary['wall_seconds']:.0f} s", f"{summary['fit_seconds']:.0f} s", f"{summary['accuracy']:.4f}",
          f"{summary['peak_rss_mib']:,.0f} MiB"]])], args.json)


if __name__ == "__main__":
    main()
