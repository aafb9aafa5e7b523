"""Grid-search parallelism: GridSearchCV wall time with n_jobs=2 / n_jobs=1.

Searches filters x optimizers (2 x 2 candidates, 3 folds, then the refit) over
the tutorial's digit pipeline (``TUTORIAL_RECIPE``, constant learning rate) on
the first ``--n-images`` training digits, alternating n_jobs=1 and n_jobs=2
runs in one process. Each n_jobs=2 run starts fresh loky workers, so their
start-up (importing TensorFlow) is counted, as a user would see it. skdigits
gives each worker ``cores // n_jobs`` TensorFlow threads (joblib's
OMP_NUM_THREADS, which TensorFlow itself ignores).

    python benchmarks/grid_search_parallel.py [--rounds 2 --n-images 2000 --epochs 2]
"""

import time

from _common import load_npz, median, parser, table, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n-images", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()

    from joblib.externals.loky import get_reusable_executor
    from sklearn.model_selection import GridSearchCV

    from skdigits import TUTORIAL_RECIPE, make_digit_pipeline

    X, y = load_npz(args.train)
    X, y = X[: args.n_images].reshape(args.n_images, -1), y[: args.n_images]
    grid = {"cnn__filters": [(32, 64, 64), (16, 32, 32)], "cnn__optimizer": ["rmsprop", "adam"]}

    times = {1: [], 2: []}
    scores = {}
    for round_ in range(args.rounds):
        for n_jobs in (1, 2):
            get_reusable_executor().shutdown(wait=True)  # no warm workers from the previous run
            pipe = make_digit_pipeline(**{**TUTORIAL_RECIPE, "epochs": args.epochs}, random_state=0)
            search = GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs)
            start = time.perf_counter()
            search.fit(X, y)
            times[n_jobs].append(time.perf_counter() - start)
            scores[n_jobs] = search.cv_results_["mean_test_score"].tolist()
            print(f"round {round_ + 1} n_jobs={n_jobs}: {times[n_jobs][-1]:.1f} s", flush=True)

    one, two = median(times[1]), median(times[2])
    write_results("grid_search_parallel", {
        "n_images": args.n_images, "epochs": args.epochs,
        "seconds_n_jobs_1": times[1],
        "seconds_n_jobs_2": times[2],
        "median_n_jobs_1": one,
        "median_n_jobs_2": two,
        "ratio": two / one,
        "mean_test_scores": scores,
    }, [table(f"GridSearchCV, 2 x 2 candidates x 3 folds and the refit, {args.n_images:,} digits, "
              f"{args.epochs} epochs; medians of {args.rounds} alternating rounds",
              ["n_jobs=1", "n_jobs=2", "n_jobs=2 / n_jobs=1", "same mean test scores"],
              [[f"{one:.1f} s", f"{two:.1f} s", f"{two / one:.3f}", "yes" if scores[1] == scores[2] else "no"]])],
        args.json)


if __name__ == "__main__":
    main()
