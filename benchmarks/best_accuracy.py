"""Best accuracy: an ensemble of networks, trained on the training digits, scored on the test set.

Trains ``CNNEnsembleClassifier(CNNDigitClassifier(**FAST_RECIPE), n_estimators=k)``
(each member the fast recipe, the package defaults, with its own seed;
``--recipe tutorial`` for ``TUTORIAL_RECIPE``) and reports the test accuracy
of every member, of the ensemble, and the training and prediction times.
Nothing is chosen on the test set.

    python benchmarks/best_accuracy.py [--members 5 --recipe fast --seed 0]
"""

import time

import numpy as np

from _common import load_scaled, parser, table, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=5)
    p.add_argument("--recipe", choices=("fast", "tutorial"), default="fast")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    from skdigits import FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier, CNNEnsembleClassifier

    X, y = load_scaled(args.train)
    X_test, y_test = load_scaled(args.test)
    recipe = FAST_RECIPE if args.recipe == "fast" else TUTORIAL_RECIPE
    ensemble = CNNEnsembleClassifier(CNNDigitClassifier(**recipe), n_estimators=args.members,
                                     random_state=args.seed)
    start = time.perf_counter()
    ensemble.fit(X, y)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    member_proba = [m.predict_proba(X_test) for m in ensemble.estimators_]
    predict_seconds = time.perf_counter() - start
    members = [float(np.mean(proba.argmax(axis=1) == y_test)) for proba in member_proba]
    # The ensemble's accuracy after each added member (its proba is their mean).
    running = [float(np.mean(np.mean(member_proba[: k + 1], axis=0).argmax(axis=1) == y_test))
               for k in range(len(member_proba))]
    final = float(ensemble.score(X_test, y_test))
    assert final == running[-1]

    rows = [[k, f"{acc:.4f}", f"{alone:.4f}"] for k, (acc, alone) in enumerate(zip(running, members), start=1)]
    write_results("best_accuracy", {
        "recipe": args.recipe, "seed": args.seed,
        "n_train": len(X), "n_test": len(X_test), "member_accuracy": members,
        "ensemble_accuracy_by_size": running, "final_test_accuracy": final,
        "training_seconds": train_seconds, "predict_seconds": predict_seconds,
    }, [table(f"An ensemble of {args.members} networks of the {args.recipe} recipe, trained on {len(X):,} digits, "
              f"scored on the {len(X_test):,} test digits",
              ["members", "ensemble test accuracy", "member k alone"], rows,
              note=f"Training the {args.members} networks took {train_seconds:.1f} s; predicting the "
                   f"{len(X_test):,} test digits with all of them {predict_seconds:.1f} s.")], args.json)


if __name__ == "__main__":
    main()
