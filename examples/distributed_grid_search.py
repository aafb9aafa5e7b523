"""
Grid search on a Dask cluster
=============================

``GridSearchCV`` over the digit pipeline runs unchanged on a
``dask.distributed`` cluster, through joblib's ``"dask"`` backend: inside
``with joblib.parallel_backend("dask")`` each candidate x fold is fitted on
a worker process of the cluster (joblib pickles the pipeline and the digits
to it), the scores come back, and the best candidate is refitted in this
process. It prints where the fits ran, the report (``grid_search_report``,
``format_report``) and the best candidate, and writes the report as Markdown
to ``grid_search_report.md``.

Run it with::

    pip install -e ".[distributed]"
    python examples/distributed_grid_search.py          # a LocalCluster here
    python examples/distributed_grid_search.py --scheduler tcp://host:8786

Without ``--scheduler`` (or ``DASK_SCHEDULER_ADDRESS``), it starts a
``LocalCluster`` on this machine: one worker process per core, one thread
each, TensorFlow limited to one thread (``OMP_NUM_THREADS=1``);
``--scheduler`` uses a running cluster instead. A real cluster's workers
need skdigits installed; start them with one thread each, e.g. ``dask worker
tcp://host:8786 --nworkers 8 --nthreads 1``.

Trains on 2,000 of the 5,000 real MNIST digits of ``skdigits.load_sample()``
(stratified), 10 epochs per fit: the search of
``examples/pipeline_grid_search.py``, 4 candidates x 3 folds on the cluster,
then 1 refit here. The report goes to the folder named by
``SKDIGITS_EXAMPLE_OUTPUT`` (created if needed), else to a new temporary
folder. ``SKDIGITS_FAST=1`` runs a smoke test instead: 300 digits, 2 folds,
1 epoch, tiny networks without augmentation, a LocalCluster of 2 workers.

The documentation shows this example without running it, as it needs a
cluster; ``tests/test_examples.py`` runs it in fast mode.
"""

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import joblib
from sklearn.model_selection import GridSearchCV, train_test_split

from skdigits import format_report, grid_search_report, load_sample, make_digit_pipeline

try:
    from dask.distributed import Client, LocalCluster, get_task_stream
except ImportError:
    sys.exit(
        "distributed_grid_search.py needs Dask: pip install 'skdigits[distributed]' "
        "(in the repository: pip install -e '.[distributed]')"
    )

FAST = os.environ.get("SKDIGITS_FAST") == "1"


def output_dir():
    """The folder for the files written: $SKDIGITS_EXAMPLE_OUTPUT or a new temp folder."""
    path = os.environ.get("SKDIGITS_EXAMPLE_OUTPUT")
    if path:
        os.makedirs(path, exist_ok=True)
        return Path(path)
    return Path(tempfile.mkdtemp(prefix="skdigits-dask-"))


def start_local_cluster(n_workers):
    """Start a LocalCluster of ``n_workers`` processes that each fit with one TensorFlow thread."""
    saved = dict(os.environ)
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        env={"OMP_NUM_THREADS": "1"},
        dashboard_address=None,
    )
    # distributed also sets OMP_NUM_THREADS=1 in this process before it spawns the workers; undo that,
    # or the refit here would run TensorFlow on one thread too.
    os.environ.clear()
    os.environ.update(saved)
    return cluster


def quiet_shutdown_logs():
    """Log only dask's critical messages from now on, in the process that calls it."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def close(client, cluster):
    """Disconnect ``client``; close ``cluster`` too if this script started it (else it is None)."""
    if cluster is not None:
        # A worker process that loaded TensorFlow takes seconds to exit. Meanwhile dask may log a harmless
        # heartbeat error with a traceback (in the worker), and that it killed the process (here).
        client.run(quiet_shutdown_logs)
        quiet_shutdown_logs()
    client.close()
    if cluster is not None:
        cluster.close()


def connect(address):
    """A Client of the scheduler at ``address``, or of a new LocalCluster if it is None."""
    if address is None:
        cluster = start_local_cluster(2 if FAST else os.cpu_count() or 1)
        return Client(cluster), cluster
    try:
        return Client(address, timeout="20s"), None
    except OSError as exc:
        sys.exit(
            f"cannot reach a Dask scheduler at {address} ({exc}). Start one (dask scheduler; "
            f"dask worker {address} --nthreads 1) or leave out --scheduler for a local cluster."
        )


def main():
    parser = argparse.ArgumentParser(
        description="Grid search on a Dask cluster, through joblib's dask backend."
    )
    parser.add_argument(
        "--scheduler",
        default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
        help="address of a running Dask scheduler, e.g. tcp://host:8786 "
        "(default: $DASK_SCHEDULER_ADDRESS, else a LocalCluster here)",
    )
    args = parser.parse_args()

    X, y = load_sample()  # sorted by digit: take a stratified subset
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

    client, cluster = connect(args.scheduler)
    try:
        threads = client.nthreads()  # {worker address: threads}
        where = (
            "a LocalCluster started here"
            if cluster is not None
            else "a running cluster"
        )
        print(
            f"Dask cluster: {len(threads)} workers, {sum(threads.values())} threads, "
            f"scheduler {client.scheduler.address} ({where})"
        )

        search = GridSearchCV(pipe, grid, cv=folds, scoring="accuracy")
        start = time.perf_counter()
        # The backend sends each fit to a worker; n_jobs=-1 (its default) uses every worker thread.
        with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            search.fit(X, y)
        print(
            f"Searched {len(search.cv_results_['params'])} candidates x {folds} folds on {len(X):,} digits "
            f"in {time.perf_counter() - start:.0f} s"
        )
        busy = Counter(task["worker"] for task in tasks.data)
        print(
            "Tasks per worker: "
            + ", ".join(f"{worker} {busy[worker]}" for worker in sorted(busy))
        )
    finally:
        close(client, cluster)

    report = grid_search_report(search)
    print(format_report(report))
    best = search.best_params_
    print(
        f"Best: filters={best['cnn__filters']}, optimizer={best['cnn__optimizer']}, "
        f"mean CV accuracy: {search.best_score_:.4f}"
    )

    path = output_dir() / "grid_search_report.md"
    path.write_text(
        f"# Grid search on Dask\n\n{format_report(report, 'markdown')}\n",
        encoding="utf-8",
    )
    print(f"Markdown report: {path}")


if __name__ == "__main__":
    main()
