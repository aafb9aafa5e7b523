"""Best accuracy: an ensemble of networks, trained on the training digits, scored on the test set.

Trains ``CNNEnsembleClassifier(CNNDigitClassifier(**FAST_RECIPE), n_estimators=k)``
(each member the fast recipe, the package defaults, with its own seed;
``--recipe tutorial`` for ``TUTORIAL_RECIPE``, ``--recipe accurate`` for
``ACCURATE_RECIPE``) and reports the test accuracy, log-loss and ECE of
every member and of the ensemble as members are added, and the training and
prediction times. ``--n-train 42000`` with ``--train
../shared/data/mnist_train_50k.npz`` trains on the first 42,000 digits, as
many as Kaggle's ``train.csv`` holds; digits 42,000-49,999 are never
trained on (they are kept for choosing recipes), and a ``--train`` file of
more than 42,000 digits needs ``--n-train``. Nothing is chosen on the test
set.

    python benchmarks/best_accuracy.py [--members 5 --recipe fast --seed 0]
                                       [--train ../shared/data/mnist_train_50k.npz --n-train 42000]
"""

import time

import numpy as np
from calibration import scores

from _common import add_n_train_option, load_kaggle_sized, load_scaled, parser, table, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=5)
    p.add_argument("--recipe", choices=("fast", "tutorial", "accurate"), default="fast")
    p.add_argument("--seed", type=int, default=0)
    add_n_train_option(p)
    args = p.parse_args()

    from skdigits import ACCURATE_RECIPE, FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier, CNNEnsembleClassifier

    X, y = load_kaggle_sized(p, args)
    X_test, y_test = load_scaled(args.test)
    recipe = {"fast": FAST_RECIPE, "tutorial": TUTORIAL_RECIPE, "accurate": ACCURATE_RECIPE}[args.recipe]
    ensemble = CNNEnsembleClassifier(CNNDigitClassifier(**recipe), n_estimators=args.members,
                                     random_state=args.seed)
    start = time.perf_counter()
    ensemble.fit(X, y)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    member_proba = [m.predict_proba(X_test) for m in ensemble.estimators_]
    predict_seconds = time.perf_counter() - start
    classes = np.searchsorted(ensemble.classes_, y_test)
    assert np.array_equal(ensemble.classes_[classes], y_test), "a test digit's class was never trained on"
    members = [scores(proba, classes) for proba in member_proba]
    # The ensemble after each added member: its probabilities are their mean.
    running = [scores(np.mean(member_proba[: k + 1], axis=0), classes) for k in range(len(member_proba))]
    final = float(ensemble.score(X_test, y_test))
    assert final == running[-1]["accuracy"]

    rows = [[k, f"{ens['accuracy']:.4f}", f"{ens['log_loss']:.4f}", f"{ens['ece']:.4f}", f"{alone['accuracy']:.4f}"]
            for k, (ens, alone) in enumerate(zip(running, members), start=1)]
    write_results("best_accuracy", {
        "recipe": args.recipe, "seed": args.seed,
        "n_train": len(X), "n_test": len(X_test), "members": members,
        "member_accuracy": [m["accuracy"] for m in members],
        "ensemble_by_size": running, "ensemble_accuracy_by_size": [r["accuracy"] for r in running],
        "final_test_accuracy": final, "training_seconds": train_seconds, "predict_seconds": predict_seconds,
    }, [table(f"An ensemble of {args.members} networks of the {args.recipe} recipe, trained on {len(X):,} digits, "
              f"scored on the {len(X_test):,} test digits",
              ["members", "ensemble test accuracy", "log-loss", "ECE (15 bins)", "member k alone"], rows,
              note=f"Training the {args.members} networks took {train_seconds:.1f} s; predicting the "
                   f"{len(X_test):,} test digits with all of them {predict_seconds:.1f} s.")], args.json)


if __name__ == "__main__":
    main()
