"""Best accuracy: an ensemble of networks, trained on the training digits, scored on the test set.

Trains ``CNNEnsembleClassifier(CNNDigitClassifier(**FAST_RECIPE), n_estimators=k)``
(each member the fast recipe, the package defaults, with its own seed;
``--recipe tutorial`` for ``TUTORIAL_RECIPE``) and reports the test accuracy
of every member, of the ensemble, and the training and prediction times.
The goal is >= 99.45 % on the 10k MNIST test digits from the 8k training
digits. Nothing is chosen on the test set.

    python benchmarks/best_accuracy.py [--members 5 --recipe fast --seed 0]
"""

import time

import numpy as np

from _common import load_scaled, parser, write_results


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

    print("| members | ensemble test accuracy | member k alone |")
    print("|---|---|---|")
    for k, (acc, alone) in enumerate(zip(running, members), start=1):
        print(f"| {k} | {acc:.4f} | {alone:.4f} |")
    print(f"\ntraining {train_seconds:.1f} s for {args.members} networks; "
          f"predicting {len(X_test):,} digits {predict_seconds:.1f} s")
    path = write_results("best_accuracy", {
        "command": f"python benchmarks/best_accuracy.py --members {args.members} --recipe {args.recipe} "
                   f"--seed {args.seed}",
        "n_train": len(X), "n_test": len(X_test), "member_accuracy": members,
        "ensemble_accuracy_by_size": running, "final_test_accuracy": final,
        "training_seconds": train_seconds, "predict_seconds": predict_seconds,
    }, args.json)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
