"""The frontier at Kaggle scale: each recipe trained on 42,000 digits, its time against its test accuracy.

``frontier.py`` on a Kaggle-sized training set: the first 42,000 digits of
``mnist_train_50k.npz`` (the size of Kaggle's ``train.csv``), scored on
the 10,000 MNIST test digits. The recipes alternate within each seed, as in
``frontier.py``: by default the tutorial hand-written in Keras
(``keras-tutorial``), the defaults and ``ACCURATE_RECIPE`` (``--recipes``
adds ``tutorial``, ``TUTORIAL_RECIPE``), and ``--ensemble k`` averages the
``ACCURATE_RECIPE`` networks of seeds 0 to k-1. Digits 42,000-49,999 are
never trained on here: they are kept for choosing recipes (``recipe_search.py
--train-rows 0:42000 --heldout-rows 42000:50000``). The docs build plots
accuracy against training time from ``results/kaggle_frontier.json``.

On a machine with a GPU that TensorFlow sees, it runs unchanged on the GPU,
and the results file names the GPU. These are long runs: the tutorial alone
trains for many minutes a seed on a laptop CPU.

    python benchmarks/kaggle_frontier.py [--seeds 0 1 2] [--ensemble 5] [--n-train 42000]
                                         [--recipes keras-tutorial tutorial defaults accurate]
"""

import frontier

from _common import KAGGLE_TRAIN_SIZE, SHARED, add_n_train_option, load_kaggle_sized, load_scaled, parser, write_results


def main():
    p = frontier.add_arguments(parser(__doc__.splitlines()[0]))
    p.set_defaults(train=SHARED / "mnist_train_50k.npz", recipes=["keras-tutorial", "defaults", "accurate"])
    add_n_train_option(p, default=KAGGLE_TRAIN_SIZE)
    args = p.parse_args()
    X, y = load_kaggle_sized(p, args)
    X_test, y_test = load_scaled(args.test)
    write_results("kaggle_frontier", *frontier.measure(args, X, y, X_test, y_test), args.json)


if __name__ == "__main__":
    main()
