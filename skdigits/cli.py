"""The ``skdigits`` command: train, predict, evaluate, cross-validate and search from a shell.

This module only parses arguments and calls the package's modules in order;
the work itself lives in :mod:`skdigits.datasets`, :mod:`skdigits.pipeline`,
:mod:`skdigits.reports`, :mod:`skdigits.plotting` and
:mod:`skdigits.persistence`. Heavy libraries (TensorFlow, scikit-learn,
pandas, matplotlib) are imported inside the command handlers, so that
``skdigits --help`` answers at once.

Conventions: results go to stdout (a single JSON document with ``--json``);
progress, including Keras' progress bar, goes to stderr. Bad usage or bad
input exits with status 2 and a one-line ``skdigits: error: ...`` message;
Ctrl-C exits with status 130. Every file is written atomically, so a failed
or interrupted run never damages an existing model, submission or figure.
"""

import argparse
import contextlib
import json
import math
import os
import sys
import time

from skdigits.recipes import FAST_RECIPE, TUTORIAL_RECIPE

__all__ = ["main", "build_parser"]

PROG = "skdigits"
#: ``--recipe`` choices: the package defaults, or the Kaggle tutorial's settings.
RECIPES = {"fast": FAST_RECIPE, "tutorial": TUTORIAL_RECIPE}
#: Epochs when neither ``--epochs`` nor ``--recipe tutorial`` is given: the
#: classifier's own default (the tutorial's recipe uses 30).
DEFAULT_EPOCHS = FAST_RECIPE["epochs"]
DEFAULT_OUTPUT_DIR = "skdigits-output"
OPTIMIZERS = ("rmsprop", "adam", "adamw", "nadam", "adamax", "adagrad", "adadelta", "adafactor",
              "ftrl", "lion", "sgd")
_SAMPLE = "the embedded sample of 5,000 MNIST digits"


# ---------------------------------------------------------------- argument types
def _positive_int(text):
    """Parse an int >= 1 for argparse.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    int
        The parsed value.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a whole number >= 1.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not valid; it must be at least 1")
    return value


def _seed(text):
    """Parse a random seed, an int in [0, 2**32 - 1], for argparse.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    int
        The seed.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not such an int.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is not valid; it must be in 0..4294967295")
    return value


def _n_jobs(text):
    """Parse joblib's ``n_jobs`` (a non-zero int; -1 means all cores) for argparse.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    int
        The number of parallel jobs.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a non-zero int.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value == 0:
        raise argparse.ArgumentTypeError("0 is not valid; use 1 or more, or -1 for all cores")
    return value


def _fraction(text):
    """Parse a number in [0, 1) for argparse.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    float
        The fraction.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a number in [0, 1).
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{value:g} is not valid; it must be in [0, 1)")
    return value


def _positive_float(text):
    """Parse a finite number > 0 for argparse.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    float
        The number.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a finite positive number.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not valid; it must be a positive number")
    return value


def _filters(text):
    """Parse a comma-separated list of convolution widths, e.g. ``32,64,64``.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    tuple of int
        The filters of each convolution.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a comma-separated list of positive ints.
    """
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not valid; give positive ints separated by commas, e.g. 32,64,64"
        )
    return tuple(int(part) for part in parts)


# ---------------------------------------------------------------- the parser
class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``skdigits: error: ...``."""

    def error(self, message):
        """Print a one-line usage error to stderr and exit with status 2.

        Parameters
        ----------
        message : str
            What is wrong with the command line.
        """
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _common_parents():
    """Build the option groups that several subcommands share.

    Returns
    -------
    dict of str to argparse.ArgumentParser
        ``"output"`` (output folder, --quiet, --json), ``"training"``
        (epochs, batch size, augmentation, seed), ``"network"`` (one network's
        shape and optimizer) and ``"parallel"`` (folds and jobs).
    """
    output = argparse.ArgumentParser(add_help=False)
    group = output.add_argument_group("output")
    group.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                       help="folder for the files written (created if needed; default: %(default)s)")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress messages or progress bar on stderr")
    group.add_argument("--json", action="store_true",
                       help="print the results as one JSON document on stdout, and nothing else")

    training = argparse.ArgumentParser(add_help=False)
    group = training.add_argument_group("training")
    group.add_argument("--recipe", choices=tuple(RECIPES), default="fast",
                       help="training recipe: fast, CNNDigitClassifier's defaults (Conv 32-64, Adam on a "
                            "one-cycle schedule, label smoothing 0.1, 15 epochs), or tutorial, the Kaggle "
                            "tutorial's (Conv 32-64-64, RMSprop, 30 epochs); the options below override "
                            "it (default: %(default)s)")
    group.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                       help=f"passes over the training data (default: the recipe's, {DEFAULT_EPOCHS} for fast "
                            "and 30 for tutorial)")
    group.add_argument("--batch-size", type=_positive_int, default=128, metavar="N",
                       help="images per gradient step (default: %(default)s)")
    group.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                       help="randomly rotate (10 deg), zoom (10%%) and shift (10%%) the training images "
                            "(default: on)")
    group.add_argument("--random-state", type=_seed, default=0, metavar="SEED",
                       help="seed for the network, the augmentation and every data split "
                            "(default: %(default)s)")

    network = argparse.ArgumentParser(add_help=False)
    group = network.add_argument_group("network")
    group.add_argument("--filters", type=_filters, default=None, metavar="N,N,...",
                       help="filters of each convolution (default: the recipe's, 32,64 for fast and "
                            "32,64,64 for tutorial)")
    group.add_argument("--dense-units", type=_positive_int, default=256, metavar="N",
                       help="width of the hidden dense layer (default: %(default)s)")
    group.add_argument("--optimizer", choices=OPTIMIZERS, default=None, metavar="NAME",
                       help="Keras optimizer: " + ", ".join(OPTIMIZERS) + " (default: the recipe's, adam "
                            "for fast and rmsprop for tutorial)")
    group.add_argument("--learning-rate", type=_positive_float, default=None, metavar="RATE",
                       help="learning rate, the peak of the fast recipe's one-cycle schedule (default: the "
                            "recipe's, 0.003 for fast and the optimizer's own for tutorial)")

    parallel = argparse.ArgumentParser(add_help=False)
    group = parallel.add_argument_group("cross-validation")
    group.add_argument("--folds", type=_positive_int, default=3, metavar="K",
                       help="stratified folds, shuffled with --random-state (default: %(default)s)")
    group.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                       help="fits to run in parallel, -1 for all cores (default: 1). TensorFlow "
                            "already uses every core, so this seldom helps on a small machine")
    return dict(output=output, training=training, network=network, parallel=parallel)


def build_parser():
    """Build the ``skdigits`` argument parser with all its subcommands.

    Returns
    -------
    argparse.ArgumentParser
        The parser; ``parse_args`` sets ``handler`` to the subcommand's
        function.

    Examples
    --------
    >>> from skdigits.cli import build_parser
    >>> build_parser().parse_args(["train", "--epochs", "5"]).epochs
    5
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        package_version = version("skdigits")
    except PackageNotFoundError:  # running from a source tree that was never installed
        package_version = "unknown"
    parents = _common_parents()
    output, training, network, parallel = (parents[k] for k in ("output", "training", "network", "parallel"))
    formatter = argparse.RawDescriptionHelpFormatter

    parser = _Parser(
        prog=PROG, formatter_class=formatter,
        description="Handwritten-digit recognition (Kaggle 'Digit Recognizer' / MNIST) with a Keras CNN "
                    "wrapped as a scikit-learn estimator.",
        epilog="examples:\n"
               "  skdigits run                                    # the whole job on the embedded sample\n"
               "  skdigits run --train train.csv --test test.csv  # Kaggle: writes submission.csv\n"
               "  skdigits train --train train.csv && skdigits predict --test test.csv\n"
               "\n"
               "Results go to stdout, progress to stderr. Bad usage or input exits with status 2.\n"
               "Set SKDIGITS_DEBUG=1 to see a traceback instead of a one-line error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")

    def add(name, help_text, description, parents_, handler):
        sub = commands.add_parser(name, help=help_text, description=description, parents=parents_,
                                  formatter_class=formatter)
        sub.set_defaults(handler=handler)
        return sub

    run = add("run", "the whole job: train, predict, write the submission, model, figures and report",
              "Train the CNN with augmentation, predict the test set and write into --output-dir:\n"
              "submission.csv, model.skdigits, learning_curves.png, test_digits.png, confusion_matrix.png,\n"
              "top_errors.png, report.md and report.json.\n\n"
              "With no --train, it trains on the embedded sample of 5,000 real MNIST digits, holds out a\n"
              "stratified 20% (--holdout) as the test set and reports its accuracy; on two CPU cores\n"
              f"this takes about a minute with the default {DEFAULT_EPOCHS} epochs. With --train train.csv\n"
              "--test test.csv (Kaggle's files) it trains on train.csv minus the held-out part, and\n"
              "predicts test.csv for the submission (ImageId from 1).",
              [training, network, output], _cmd_run)
    data = run.add_argument_group("data")
    data.add_argument("--train", metavar="CSV", help="labelled digits, Kaggle's train.csv (default: the sample)")
    data.add_argument("--test", metavar="CSV",
                      help="digits to predict for the submission, Kaggle's test.csv (default: the held-out part)")
    data.add_argument("--holdout", type=_fraction, default=0.2, metavar="FRACTION",
                      help="stratified part of the training data kept out of training to measure accuracy "
                           "(default: %(default)s; 0 trains on everything and needs --test)")
    data.add_argument("--validation-split", type=_fraction, default=0.1, metavar="FRACTION",
                      help="part of the training data scored after each epoch, for the validation curves "
                           "(default: %(default)s)")

    train = add("train", "train a model and save it",
                "Train the CNN and save it (model.skdigits in --output-dir, or --model), with its\n"
                "learning curves (learning_curves.png). Models are saved in skdigits' safe format, which\n"
                "runs no code when loaded: reload them with 'skdigits predict/evaluate' or\n"
                "skdigits.load_model.",
                [training, network, output], _cmd_train)
    data = train.add_argument_group("data")
    data.add_argument("--train", metavar="CSV", help="labelled digits, Kaggle's train.csv (default: the sample)")
    data.add_argument("--validation-split", type=_fraction, default=0.0, metavar="FRACTION",
                      help="part of the training data scored after each epoch (default: %(default)s)")
    data.add_argument("--model", metavar="PATH", help="where to save the model (default: DIR/model.skdigits)")

    predict = add("predict", "predict a CSV file with a saved model and write a submission",
                  "Predict every digit of a CSV file (Kaggle's test.csv format; a label column is\n"
                  "ignored) and write a Kaggle submission: ImageId,Label with ImageId from 1.",
                  [output], _cmd_predict)
    data = predict.add_argument_group("data")
    data.add_argument("--test", metavar="CSV", required=True, help="the digits to predict (required)")
    data.add_argument("--model", metavar="PATH", help="the saved model (default: DIR/model.skdigits)")
    data.add_argument("--submission", metavar="PATH",
                      help="the submission to write (default: DIR/submission.csv)")

    evaluate = add("evaluate", "score a saved model on labelled digits",
                   "Score a saved model on a labelled CSV file (Kaggle's train.csv format): accuracy,\n"
                   "per-class precision/recall/F1, and confusion_matrix.png and top_errors.png in DIR.",
                   [output], _cmd_evaluate)
    data = evaluate.add_argument_group("data")
    data.add_argument("--data", metavar="CSV", required=True,
                      help="labelled digits to score on, with a label column (required)")
    data.add_argument("--model", metavar="PATH", help="the saved model (default: DIR/model.skdigits)")

    cv = add("cv", "cross-validate the CNN and print the scores of every fold",
             "Cross-validate the CNN (stratified, shuffled folds) and print the accuracy of every fold,\n"
             "with mean and std; the table is also saved as cv_report.md in DIR.",
             [training, network, parallel, output], _cmd_cv)
    data = cv.add_argument_group("data")
    data.add_argument("--train", metavar="CSV", help="labelled digits, Kaggle's train.csv (default: the sample)")

    search = add("search", "grid-search network widths and optimizers",
                 "Grid-search convolution widths and optimizers with cross-validation, print the\n"
                 "candidates best first, and save in DIR: the best model refitted on all the data\n"
                 "(best_model.skdigits, or --model), grid_search.png and search_report.md.\n\n"
                 "example: skdigits search --filters 32,64,64 16,32,32 --optimizers rmsprop adam",
                 [training, parallel, output], _cmd_search)
    grid = search.add_argument_group("grid")
    grid.add_argument("--filters", type=_filters, nargs="+", default=[(32, 64, 64), (16, 32, 32)],
                      metavar="N,N,...", help="filter lists to try (default: 32,64,64 16,32,32)")
    grid.add_argument("--optimizers", choices=OPTIMIZERS, nargs="+", default=["rmsprop", "adam"],
                      metavar="NAME", help="optimizers to try (default: rmsprop adam)")
    grid.add_argument("--dense-units", type=_positive_int, default=256, metavar="N",
                      help="width of the hidden dense layer (default: %(default)s)")
    grid.add_argument("--learning-rate", type=_positive_float, default=None, metavar="RATE",
                      help="learning rate, the peak of the fast recipe's one-cycle schedule (default: the "
                           "recipe's, 0.003 for fast and each optimizer's own for tutorial)")
    data = search.add_argument_group("data")
    data.add_argument("--train", metavar="CSV", help="labelled digits, Kaggle's train.csv (default: the sample)")
    data.add_argument("--model", metavar="PATH", help="where to save the best model (default: DIR/best_model.skdigits)")
    return parser


# ---------------------------------------------------------------- shared steps
class _Session:
    """What one command shares: its options, its progress output and the files it wrote.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Attributes
    ----------
    written : list of str
        Files written so far, in order (for the message after Ctrl-C).
    """

    def __init__(self, args):
        self.args = args
        self.written = []

    def info(self, message):
        """Print a progress message to stderr, unless ``--quiet``.

        Parameters
        ----------
        message : str
            The message.
        """
        if not self.args.quiet:
            print(message, file=sys.stderr, flush=True)

    @property
    def keras_verbose(self):
        """int : Keras' ``verbose``: 0 with ``--quiet``, else a progress bar (1) on a terminal, or one line per epoch (2) in a log."""
        if self.args.quiet:
            return 0
        return 1 if sys.stderr.isatty() else 2

    def path(self, explicit, name):
        """Return where to write an output file, checking its folder first.

        Checking before any training means a typo costs seconds, not a
        training run. The output folder is created when it is used.

        Parameters
        ----------
        explicit : str or None
            A path given on the command line, or None.
        name : str
            The file name inside ``--output-dir`` when ``explicit`` is None.

        Returns
        -------
        str
            The path to write.

        Raises
        ------
        FileNotFoundError
            If the folder of ``explicit`` does not exist.
        IsADirectoryError
            If the path is a folder.
        OSError
            If the output folder cannot be created (say, a file has its name).
        """
        if explicit is None:
            os.makedirs(self.args.output_dir, exist_ok=True)
            path = os.path.join(self.args.output_dir, name)
        else:
            path = explicit
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist.")
        if os.path.isdir(path):
            raise IsADirectoryError(f"cannot write {path}: it is a directory; pass a file name.")
        return path

    def save(self, path, write, *what):
        """Write one output file with ``write(path, *what)`` and remember it.

        Parameters
        ----------
        path : str
            Where to write.
        write : callable
            An atomic writer such as :func:`skdigits.datasets.write_submission`.
        *what
            Passed to ``write`` before ``path`` (e.g. the predictions).

        Returns
        -------
        str
            ``path``.
        """
        write(*what, path)
        self.written.append(path)
        return path

    def save_figure(self, fig, path):
        """Save a matplotlib Figure as PNG, atomically, and remember it.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            A figure from :mod:`skdigits.plotting` (no pyplot involved).
        path : str
            Where to write, ending in ``.png``.

        Returns
        -------
        str
            ``path``.
        """
        from skdigits._atomic import atomic_save

        atomic_save(path, lambda temp: fig.savefig(temp, dpi=110))
        self.written.append(path)
        return path


def _plural(n, word):
    """Format a count with its noun, e.g. ``"1 epoch"``, ``"15 epochs"``.

    Parameters
    ----------
    n : int
        The count.
    word : str
        The singular noun.

    Returns
    -------
    str
        The count and the noun, plural unless ``n == 1``.
    """
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _load_labelled(path, option):
    """Load labelled digits from a CSV file, or the embedded sample when ``path`` is None.

    Parameters
    ----------
    path : str or None
        A Kaggle train.csv-style file.
    option : str
        The option that named the file, for the error message.

    Returns
    -------
    X : pandas.DataFrame of shape (n, 784)
        Pixel values 0-255.
    y : pandas.Series of shape (n,)
        Digit labels.
    source : str
        ``path``, or a description of the sample.

    Raises
    ------
    ValueError
        If the file is not a valid Digit Recognizer CSV or has no labels.
    """
    from skdigits.datasets import load_digit_recognizer, load_sample

    if path is None:
        X, y = load_sample()
        return X, y, _SAMPLE
    loaded = load_digit_recognizer(path)
    if not isinstance(loaded, tuple):
        raise ValueError(f"{path}: has no 'label' column; {option} needs labelled digits like Kaggle's train.csv.")
    return (*loaded, path)


def _load_unlabelled(path):
    """Load the pixels of a CSV file, ignoring its labels if it has any.

    Parameters
    ----------
    path : str
        A Kaggle test.csv- or train.csv-style file.

    Returns
    -------
    pandas.DataFrame of shape (n, 784)
        Pixel values 0-255.
    """
    from skdigits.datasets import load_digit_recognizer

    loaded = load_digit_recognizer(path)
    return loaded[0] if isinstance(loaded, tuple) else loaded


def _fill_in_recipe_epochs(args):
    """Set ``args.epochs`` to the ``--recipe``'s epochs when ``--epochs`` was not given.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line; commands that do not train are left alone.
    """
    if getattr(args, "recipe", None) is not None and args.epochs is None:
        args.epochs = RECIPES[args.recipe]["epochs"]


def _classifier_params(args, **overrides):
    """The CNNDigitClassifier parameters that the command line sets.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    **overrides
        Parameters to set or replace.

    Returns
    -------
    dict
        Keyword arguments for :func:`skdigits.make_digit_pipeline`.
    """
    params = dict(RECIPES[args.recipe])
    params.update(epochs=args.epochs, batch_size=args.batch_size, augment=args.augment,
                  random_state=args.random_state)
    for name in ("filters", "dense_units", "optimizer", "learning_rate", "validation_split"):
        # None: the option was not given, so the recipe's value stands.
        if getattr(args, name, None) is not None:
            params[name] = getattr(args, name)
    params.update(overrides)
    return params


def _settings(model):
    """The classifier settings of a pipeline, for reports.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        A pipeline from :func:`skdigits.make_digit_pipeline`.

    Returns
    -------
    dict
        The CNN's parameters, except callbacks and verbosity.
    """
    params = model[-1].get_params()
    return {k: v for k, v in params.items() if k not in ("callbacks", "verbose", "image_shape")}


def _fit(model, X, y, session):
    """Fit ``model`` with Keras' progress on stderr; return the seconds taken.

    Parameters
    ----------
    model : estimator object
        The pipeline to fit.
    X, y : array-like
        Training data.
    session : _Session
        The running command.

    Returns
    -------
    float
        Wall-clock seconds of the fit.
    """
    # Ctrl-C needs no handling here: CNNDigitClassifier.fit stops at the end of
    # a batch and raises KeyboardInterrupt, which main() reports.
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        model.fit(X, y)
    return time.perf_counter() - start


def _per_class(y_true, y_pred):
    """Accuracy and the per-class report of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.

    Returns
    -------
    accuracy : float
        Fraction correct.
    table : pandas.DataFrame
        scikit-learn's classification report, one row per class then the
        averages; columns precision, recall, f1-score, support.
    text : str
        The same report as scikit-learn prints it.
    """
    import pandas as pd
    from sklearn.metrics import accuracy_score, classification_report

    text = classification_report(y_true, y_pred, digits=4, zero_division=0)
    table = pd.DataFrame(classification_report(y_true, y_pred, output_dict=True, zero_division=0)).T
    table = table.drop(index="accuracy", errors="ignore")
    table["support"] = table["support"].astype(int)
    table.index.name = "class"
    return float(accuracy_score(y_true, y_pred)), table, text


def _jsonable(value):
    """Convert numpy/pandas values and tuples to plain JSON types (NaN becomes null).

    Parameters
    ----------
    value : object
        A result value.

    Returns
    -------
    object
        Something :func:`json.dumps` accepts in strict mode.
    """
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays and scalars
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)  # pd.NA, optimizer objects, ...


def _table_records(df):
    """A report DataFrame as ``{row: {column: value}}`` for JSON.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.

    Returns
    -------
    dict
        Rows keyed by their index label.
    """
    return {str(index): dict(row.items()) for index, row in df.iterrows()}


def _emit(session, result, text):
    """Print the command's result: ``text`` on stdout, or ``result`` as JSON with ``--json``.

    Parameters
    ----------
    session : _Session
        The running command.
    result : dict
        The machine-readable result.
    text : str
        The human-readable result.
    """
    if session.args.json:
        print(json.dumps(_jsonable(result), indent=2, allow_nan=False))
    else:
        print(text)


# ---------------------------------------------------------------- subcommands
def _cmd_run(args, session):
    """``skdigits run``: train, predict, and write the model, submission, figures and report.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    dict
        The result (also written as report.json).
    """
    if args.holdout == 0 and args.test is None:
        raise ValueError("--holdout 0 leaves nothing to predict; pass --test test.csv or a --holdout above 0.")
    start = time.perf_counter()
    paths = {name: session.path(None, name) for name in (
        "model.skdigits", "submission.csv", "learning_curves.png", "test_digits.png",
        "confusion_matrix.png", "top_errors.png", "report.md", "report.json")}

    session.info(f"Loading {args.train or _SAMPLE}...")
    X, y, source = _load_labelled(args.train, "--train")
    X_test = _load_unlabelled(args.test) if args.test else None
    from sklearn.model_selection import train_test_split

    if args.holdout:
        X, X_hold, y, y_hold = train_test_split(X, y, test_size=args.holdout, stratify=y,
                                                random_state=args.random_state)
    load_time = time.perf_counter() - start

    from skdigits.datasets import write_submission
    from skdigits.persistence import save_model
    from skdigits.pipeline import make_digit_pipeline
    from skdigits.plotting import (plot_confusion_matrix, plot_digits, plot_learning_curves,
                                   plot_top_errors)

    model = make_digit_pipeline(**_classifier_params(args, verbose=session.keras_verbose))
    session.info(f"Training on {len(X):,} digits for {_plural(args.epochs, 'epoch')}"
                 f"{' with augmentation' if args.augment else ''}...")
    fit_time = _fit(model, X, y, session)
    session.save(paths["model.skdigits"], save_model, model)

    t = time.perf_counter()
    result = {"command": "run", "data": {"train": source, "test": args.test or "held-out part"},
              "n_train": len(X)}
    if args.holdout:
        proba = model.predict_proba(X_hold)
        pred_hold = model.classes_[proba.argmax(axis=1)]
        accuracy, table, report_text = _per_class(y_hold, pred_hold)
        result.update(n_holdout=len(X_hold), accuracy=accuracy, per_class=_table_records(table))
    if X_test is None:
        X_test, predictions, truth = X_hold, pred_hold, y_hold
    else:
        predictions, truth = model.predict(X_test), None
    predict_time = time.perf_counter() - t
    session.save(paths["submission.csv"], write_submission, predictions)
    result["n_predicted"] = len(predictions)

    t = time.perf_counter()
    session.info("Drawing figures...")
    session.save_figure(plot_learning_curves(model), paths["learning_curves.png"])
    session.save_figure(plot_digits(X_test, predictions, truth), paths["test_digits.png"])
    if args.holdout:
        session.save_figure(plot_confusion_matrix(y_hold, pred_hold), paths["confusion_matrix.png"])
        session.save_figure(plot_top_errors(X_hold, y_hold, proba, model.classes_, n=12, ncols=6),
                            paths["top_errors.png"])
    figure_time = time.perf_counter() - t

    result["settings"] = {**_settings(model), "holdout": args.holdout}
    result["timings"] = {"load_seconds": load_time, "fit_seconds": fit_time, "predict_seconds": predict_time,
                         "figures_seconds": figure_time, "total_seconds": time.perf_counter() - start}
    files = [p for p in paths.values() if p in session.written] + [paths["report.md"], paths["report.json"]]
    result["files"] = files
    markdown = _run_markdown(result, table if args.holdout else None)
    session.save(paths["report.md"], _write_text, markdown)
    session.save(paths["report.json"], _write_text, json.dumps(_jsonable(result), indent=2, allow_nan=False) + "\n")

    lines = [f"Trained on {len(X):,} digits ({source}) in {fit_time:.0f} s."]
    if args.holdout:
        n_right = int(round(accuracy * len(y_hold)))
        lines += [f"Held-out accuracy: {accuracy:.4f} ({n_right:,} of {len(y_hold):,} digits)", "",
                  report_text.rstrip()]
    lines += ["", f"Submission: {paths['submission.csv']} ({len(predictions):,} predictions)",
              f"Wrote {len(files)} files to {args.output_dir}: " + ", ".join(os.path.basename(f) for f in files),
              f"Total time: {result['timings']['total_seconds']:.0f} s"]
    _emit(session, result, "\n".join(lines))
    return 0


def _write_text(text, path):
    """Write a UTF-8 text file atomically.

    Parameters
    ----------
    text : str
        The content.
    path : str
        Where to write.
    """
    from skdigits._atomic import atomic_write

    with atomic_write(path, encoding="utf-8", newline="\n") as f:
        f.write(text)


def _run_markdown(result, table):
    """Render the report of ``skdigits run`` as Markdown.

    Parameters
    ----------
    result : dict
        The run's result, as written to report.json.
    table : pandas.DataFrame or None
        The per-class report of the held-out part, if any.

    Returns
    -------
    str
        The Markdown document.
    """
    import pandas as pd

    from skdigits.reports import format_report

    lines = ["# skdigits run", "",
             f"- Training data: {result['data']['train']}; {result['n_train']:,} digits used for training",
             f"- Predicted: {result['data']['test']} ({result['n_predicted']:,} digits), see submission.csv"]
    if table is not None:
        lines += [f"- Held-out accuracy: **{result['accuracy']:.4f}** on {result['n_holdout']:,} digits",
                  "", "## Per-class results (held-out part)", "", format_report(table, "markdown")]
    settings = pd.DataFrame({"value": [_jsonable(v) for v in result["settings"].values()]},
                            index=pd.Index(list(result["settings"]), name="setting"), dtype=object)
    timings = pd.DataFrame({"seconds": list(result["timings"].values())},
                           index=pd.Index([k.removesuffix("_seconds") for k in result["timings"]], name="step"))
    lines += ["", "## Settings", "", format_report(settings, "markdown"),
              "", "## Timings", "", format_report(timings.rename(columns={"seconds": "time"}), "markdown"),
              "", "## Files", ""]
    lines += [f"- `{os.path.basename(f)}`" for f in result["files"]]
    return "\n".join(lines) + "\n"


def _cmd_train(args, session):
    """``skdigits train``: train a model and save it with its learning curves.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    int
        The exit status, 0.
    """
    model_path = session.path(args.model, "model.skdigits")
    curves_path = session.path(None, "learning_curves.png")
    session.info(f"Loading {args.train or _SAMPLE}...")
    X, y, source = _load_labelled(args.train, "--train")

    from skdigits.persistence import save_model
    from skdigits.pipeline import make_digit_pipeline
    from skdigits.plotting import plot_learning_curves

    model = make_digit_pipeline(**_classifier_params(args, verbose=session.keras_verbose))
    session.info(f"Training on {len(X):,} digits for {_plural(args.epochs, 'epoch')}...")
    fit_time = _fit(model, X, y, session)
    session.save(model_path, save_model, model)
    session.save_figure(plot_learning_curves(model), curves_path)
    history = {key: values[-1] for key, values in model[-1].history_.items()}
    result = {"command": "train", "model": model_path, "data": source, "n_train": len(X),
              "fit_seconds": fit_time, "final_epoch": history, "settings": _settings(model),
              "files": [model_path, curves_path]}
    scores = ", ".join(f"{key} {value:.4f}" for key, value in history.items())
    _emit(session, result, f"Saved model to {model_path} (trained on {len(X):,} digits in {fit_time:.0f} s; "
                           f"last epoch: {scores}).\nLearning curves: {curves_path}")
    return 0


def _load_model(args, session):
    """Load the model named by ``--model`` (default DIR/model.skdigits) for prediction.

    The commands that only predict use :func:`~skdigits.load_predictor`:
    its NumPy forward pass spares them TensorFlow's import of several
    seconds. A network it cannot compute is loaded with Keras instead.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    path : str
        The model file.
    model : estimator object
        The loaded model, with ``predict``, ``predict_proba`` and ``classes_``.
    """
    from skdigits._safe_format import UnsupportedModelError
    from skdigits.persistence import load_model
    from skdigits.predictor import load_predictor

    path = args.model or os.path.join(args.output_dir, "model.skdigits")
    session.info(f"Loading model {path}...")
    try:
        return path, load_predictor(path)
    except UnsupportedModelError:
        return path, load_model(path)


def _cmd_predict(args, session):
    """``skdigits predict``: predict a CSV file and write a submission.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    int
        The exit status, 0.
    """
    submission = session.path(args.submission, "submission.csv")
    model_path, model = _load_model(args, session)
    X = _load_unlabelled(args.test)

    import numpy as np

    from skdigits.datasets import write_submission

    predictions = model.predict(X)
    session.save(submission, write_submission, predictions)
    labels, counts = np.unique(predictions, return_counts=True)
    result = {"command": "predict", "model": model_path, "test": args.test, "submission": submission,
              "n_predicted": len(predictions), "counts": dict(zip(labels.tolist(), counts.tolist()))}
    spread = "  ".join(f"{label}: {count}" for label, count in result["counts"].items())
    _emit(session, result, f"Wrote {submission} ({len(predictions):,} predictions).\nPredicted digits: {spread}")
    return 0


def _cmd_evaluate(args, session):
    """``skdigits evaluate``: accuracy, per-class report and confusion matrix of a saved model.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    int
        The exit status, 0.
    """
    model_path, model = _load_model(args, session)
    X, y, _ = _load_labelled(args.data, "--data")
    matrix_path = session.path(None, "confusion_matrix.png")
    errors_path = session.path(None, "top_errors.png")

    import pandas as pd
    from sklearn.metrics import confusion_matrix

    from skdigits.plotting import plot_confusion_matrix, plot_top_errors
    from skdigits.reports import format_report

    proba = model.predict_proba(X)
    predictions = model.classes_[proba.argmax(axis=1)]
    accuracy, table, report_text = _per_class(y, predictions)
    labels = sorted(set(y.tolist()) | set(predictions.tolist()))
    matrix = pd.DataFrame(confusion_matrix(y, predictions, labels=labels), index=labels, columns=labels)
    matrix.index.name = "true\\pred"
    session.save_figure(plot_confusion_matrix(y, predictions, labels=labels), matrix_path)
    session.save_figure(plot_top_errors(X, y, proba, model.classes_, n=12, ncols=6), errors_path)
    result = {"command": "evaluate", "model": model_path, "data": args.data, "n_samples": len(y),
              "accuracy": accuracy, "per_class": _table_records(table),
              "confusion_matrix": {"labels": labels, "matrix": matrix.to_numpy()},
              "files": [matrix_path, errors_path]}
    n_right = int(round(accuracy * len(y)))
    _emit(session, result, "\n".join([
        f"Accuracy: {accuracy:.4f} ({n_right:,} of {len(y):,} digits)", "", report_text.rstrip(), "",
        "Confusion matrix (rows: true, columns: predicted):", format_report(matrix), "",
        f"Figures: {matrix_path}, {errors_path}"]))
    return 0


def _cmd_cv(args, session):
    """``skdigits cv``: cross-validate and print a per-fold table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    int
        The exit status, 0.
    """
    report_path = session.path(None, "cv_report.md")
    session.info(f"Loading {args.train or _SAMPLE}...")
    X, y, source = _load_labelled(args.train, "--train")

    from sklearn.model_selection import StratifiedKFold

    from skdigits.pipeline import make_digit_pipeline
    from skdigits.reports import cross_validation_report, format_report

    sequential = args.n_jobs in (None, 1)
    model = make_digit_pipeline(**_classifier_params(args, verbose=session.keras_verbose if sequential else 0))
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    session.info(f"Cross-validating on {len(X):,} digits: {args.folds} folds of {_plural(args.epochs, 'epoch')}...")
    with contextlib.redirect_stdout(sys.stderr):
        report = cross_validation_report(model, X, y, cv=folds, n_jobs=args.n_jobs)
    mean, std = report.loc["mean", "accuracy"], report.loc["std", "accuracy"]
    summary = f"Accuracy: {mean:.4f} +/- {std:.4f} over {args.folds} folds"
    session.save(report_path, _write_text,
                 f"# skdigits cv\n\n{summary} ({source}, {len(X):,} digits).\n\n{format_report(report, 'markdown')}\n")
    result = {"command": "cv", "data": source, "n_samples": len(X), "folds": args.folds,
              "mean_accuracy": mean, "std_accuracy": std, "report": _table_records(report),
              "settings": _settings(model), "files": [report_path]}
    _emit(session, result, f"{format_report(report)}\n\n{summary}\nReport: {report_path}")
    return 0


def _cmd_search(args, session):
    """``skdigits search``: grid search over filters and optimizers; save the best model and a plot.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : _Session
        The running command.

    Returns
    -------
    int
        The exit status, 0.
    """
    model_path = session.path(args.model, "best_model.skdigits")
    plot_path = session.path(None, "grid_search.png")
    report_path = session.path(None, "search_report.md")
    session.info(f"Loading {args.train or _SAMPLE}...")
    X, y, source = _load_labelled(args.train, "--train")

    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from skdigits.persistence import save_model
    from skdigits.pipeline import make_digit_pipeline
    from skdigits.plotting import plot_grid_search
    from skdigits.reports import format_report, grid_search_report

    sequential = args.n_jobs in (None, 1)
    params = _classifier_params(args, verbose=session.keras_verbose if sequential else 0)
    del params["filters"]  # searched, not fixed
    grid = {"cnn__filters": list(dict.fromkeys(args.filters)),
            "cnn__optimizer": list(dict.fromkeys(args.optimizers))}
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    search = GridSearchCV(make_digit_pipeline(**params), grid, scoring="accuracy", cv=folds,
                          n_jobs=args.n_jobs, verbose=0 if args.quiet else 1)
    n_candidates = len(grid["cnn__filters"]) * len(grid["cnn__optimizer"])
    session.info(f"Searching {n_candidates} candidates x {args.folds} folds on {len(X):,} digits, "
                 f"{_plural(args.epochs, 'epoch')} each, then refitting the best on all of them...")
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        search.fit(X, y)
    search_time = time.perf_counter() - start
    report = grid_search_report(search)
    session.save(model_path, save_model, search.best_estimator_)
    session.save_figure(plot_grid_search(report), plot_path)
    best = {key.removeprefix("cnn__"): value for key, value in search.best_params_.items()}
    best_text = ", ".join(f"{k}={_jsonable(v)}" for k, v in best.items())
    summary = f"Best: {best_text} (mean accuracy {search.best_score_:.4f})"
    session.save(report_path, _write_text,
                 f"# skdigits search\n\n{summary} on {source} ({len(X):,} digits, {args.folds} folds).\n\n"
                 f"{format_report(report, 'markdown')}\n")
    ranking = [{"candidate": int(index), **row} for index, row in _table_records(report).items()]
    result = {"command": "search", "data": source, "n_samples": len(X), "folds": args.folds,
              "ranking": ranking, "best_params": best, "best_score": search.best_score_,
              "search_seconds": search_time, "model": model_path, "files": [model_path, plot_path, report_path]}
    _emit(session, result, f"{format_report(report)}\n\n{summary}\n"
                           f"Saved the best model to {model_path}; plot: {plot_path}; report: {report_path}")
    return 0


# ---------------------------------------------------------------- entry point
def _one_line(exc):
    """The message of an exception on a single line.

    Parameters
    ----------
    exc : BaseException
        The error.

    Returns
    -------
    str
        Its text with whitespace collapsed (the type name when it has no text).
    """
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv=None):
    """Run the ``skdigits`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for bad usage or bad input (with a
        one-line ``skdigits: error: ...`` on stderr), 130 after Ctrl-C.
        argparse itself exits (``SystemExit``) for ``--help``, ``--version``
        and usage errors.

    Examples
    --------
    >>> from skdigits.cli import main
    >>> main(["run", "--epochs", "1"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: run, train, predict, evaluate, cv or search")
    _fill_in_recipe_epochs(args)
    session = _Session(args)
    debug = os.environ.get("SKDIGITS_DEBUG", "").strip().lower() not in ("", "0", "false")
    try:
        return args.handler(args, session)
    except KeyboardInterrupt:
        if session.written:
            kept = ", ".join(session.written)
            message = f"interrupted; kept the files finished before it ({kept}); no other file was changed."
        else:
            message = "interrupted; nothing was written, so existing models and submissions are untouched."
        print(f"{PROG}: {message}", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError) as exc:  # includes NotFittedError and FileNotFoundError
        if debug:
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
