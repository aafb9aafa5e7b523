"""Every command-line option, defined once, and how the options become classifier parameters.

The training defaults are not copied here: an option that is not given
stays None, and the ``--recipe``'s value (or the classifier's own default)
stands. Help texts quote the recipes' values from :mod:`skdigits.recipes`.
"""

import argparse
import os

from skdigits._training.precision import PRECISIONS  # imports no TensorFlow
from skdigits.recipes import ACCURATE_RECIPE, FAST_RECIPE, TUTORIAL_RECIPE

__all__ = [
    "RECIPES", "DEFAULT_OUTPUT_DIR", "available_cores", "check_optimizers", "classifier_params",
    "fill_in_recipe_epochs",
    "add_output_options", "add_training_options", "add_network_options", "add_parallel_options",
    "add_train_csv", "add_model_path", "add_validation_split", "add_refit", "check_folds",
]

#: ``--recipe`` choices: the package defaults, the Kaggle tutorial's settings, or the accurate strided network.
RECIPES = {"fast": FAST_RECIPE, "tutorial": TUTORIAL_RECIPE, "accurate": ACCURATE_RECIPE}
DEFAULT_OUTPUT_DIR = "skdigits-output"
#: The options that override a recipe's parameter of the same name when given.
_OVERRIDES = ("filters", "dense_units", "optimizer", "learning_rate", "batch_size", "validation_split", "precision")


def _recipes_say(name, show=str):
    """Help text for an option whose default is the recipe's, e.g. ``"15 for fast, 30 for tutorial"``."""
    return ", ".join(f"{show(recipe[name])} for {key}" for key, recipe in RECIPES.items())


# ---------------------------------------------------------------- argument types
def _number(parse, kind, check, requirement):
    """Build an argparse type: ``parse`` the text, then require ``check(value)``."""

    def convert(text):
        try:
            value = parse(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"{text} is not valid; it must be {requirement}")
        return value

    convert.__name__ = kind  # argparse names the type in its messages
    return convert


positive_int = _number(int, "a whole number", lambda v: v >= 1, "at least 1")
seed = _number(int, "a whole number", lambda v: 0 <= v < 2**32, "in 0..4294967295")
n_jobs = _number(int, "a whole number", lambda v: v >= 1 or v == -1, "1 or more, or -1 for all cores")
port = _number(int, "a whole number", lambda v: 0 <= v <= 65535, "in 0..65535")


def _constrained(parameter):
    """An argparse type for a real option: the constraint of the classifier's ``parameter``, as fit checks it.

    The options share :mod:`skdigits.utils.constraints` with the estimators
    and the model reader (imported when an option is given, so that
    ``--help`` stays light): ``--learning-rate 1e300`` is refused here for
    overflowing float32, as the classifier would refuse it.
    """

    def convert(text):
        from skdigits.utils.constraints import CLASSIFIER_CONSTRAINTS

        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        rules = [rule for rule in CLASSIFIER_CONSTRAINTS[parameter] if rule is not None]
        if not any(rule.is_satisfied_by(value) for rule in rules):
            raise argparse.ArgumentTypeError(f"{text} is not valid; it must be {' or '.join(map(str, rules))}")
        return value

    convert.__name__ = "a number"  # argparse names the type in its messages
    return convert


fraction = _constrained("validation_split")
positive_float = _constrained("learning_rate")


def filters(text):
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
    if not all(part.isdigit() and len(part) <= 6 and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not valid; give positive ints separated by commas, e.g. 32,64,64"
        )
    return tuple(int(part) for part in parts)


def _show_rate(value):
    return "the optimizer's own" if value is None else str(value)


def _show_epochs(value):
    if value != "auto":
        return str(value)
    from skdigits._training import epochs as auto  # imports nothing

    return (f"{auto.MOST_EPOCHS} on up to {auto.SMALL_TRAINING_SET:,} digits, down to {auto.FEWEST_EPOCHS} "
            f"({auto.FEWEST_EPOCHS_BFLOAT16} on a CPU that trains in bfloat16) from {auto.LARGE_TRAINING_SET:,},")


def _show_filters(value):
    return ",".join(map(str, value))


# ---------------------------------------------------------------- option groups
def add_output_options(parser):
    """Add ``--output-dir``, ``--quiet`` and ``--json``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        A command's parser.
    """
    group = parser.add_argument_group("output")
    group.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, metavar="DIR",
                       help="folder for the files written (created if needed; default: %(default)s)")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress messages or progress bar on stderr")
    group.add_argument("--json", action="store_true",
                       help="print the results as one JSON document on stdout, and nothing else")


def add_training_options(parser, *, batch_size=True):
    """Add ``--recipe``, ``--epochs``, ``--batch-size``, ``--augment``, ``--precision`` and ``--random-state``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        A command's parser.
    batch_size : bool, default=True
        Whether to add ``--batch-size``.
    """
    group = parser.add_argument_group("training")
    group.add_argument("--recipe", choices=tuple(RECIPES), default="fast",
                       help="training recipe: fast, CNNDigitClassifier's defaults (Conv 32-64, Adam on a "
                            "one-cycle schedule, label smoothing 0.1), tutorial, the Kaggle "
                            "tutorial's (Conv 32-64-64, RMSprop), or accurate, a strided batch-norm "
                            "network of 7 convolutions trained for 40 epochs (28x28 images; about 3 times "
                            "the arithmetic of fast); the options below override it (default: %(default)s)")
    group.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                       help="passes over the training data (default: the recipe's, "
                            f"{_recipes_say('epochs', _show_epochs)})")
    if batch_size:
        group.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                           help=f"images per gradient step (default: the recipe's, {_recipes_say('batch_size')})")
    group.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                       help="randomly rotate, zoom and shift the training images (default: on)")
    group.add_argument("--precision", choices=PRECISIONS, default=None,
                       help="arithmetic of training: bfloat16 (the weights stay float32) or float32; auto is "
                            "bfloat16 on a CPU that computes it in hardware (AVX512_BF16 or AMX) with no GPU, "
                            f"else float32 (default: the recipe's, {_recipes_say('precision')})")
    group.add_argument("--random-state", type=seed, default=0, metavar="SEED",
                       help="seed for the network, the augmentation and every data split "
                            "(default: %(default)s)")


def add_network_options(parser, *, search=False):
    """Add the network's options: one value each, or with ``search`` lists of candidates.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        A command's parser.
    search : bool, default=False
        For ``skdigits search``: ``--filters`` and ``--optimizers`` take
        several values, the candidates of the grid.
    """
    if search:
        # The default grid holds the default network (FAST_RECIPE's) and the tutorial's.
        widths = list(dict.fromkeys([FAST_RECIPE["filters"], TUTORIAL_RECIPE["filters"]]))
        names = list(dict.fromkeys([FAST_RECIPE["optimizer"], TUTORIAL_RECIPE["optimizer"]]))
        grid = parser.add_argument_group("grid")
        grid.add_argument("--filters", type=filters, nargs="+", default=widths, metavar="N,N,...",
                          help="filter lists to try (default: " + " ".join(map(_show_filters, widths)) + ")")
        grid.add_argument("--optimizers", nargs="+", default=names, metavar="NAME",
                          help="Keras optimizer names to try (default: " + " ".join(names) + ")")
    group = parser.add_argument_group("network")
    if not search:
        group.add_argument("--filters", type=filters, default=None, metavar="N,N,...",
                           help="filters of each convolution (default: the recipe's, "
                                f"{_recipes_say('filters', _show_filters)})")
        group.add_argument("--optimizer", default=None, metavar="NAME",
                           help="a Keras optimizer name such as adam, rmsprop, nadam or sgd (default: the "
                                f"recipe's, {_recipes_say('optimizer')})")
    group.add_argument("--dense-units", type=positive_int, default=None, metavar="N",
                       help="width of the hidden dense layer (default: the classifier's)")
    group.add_argument("--learning-rate", type=positive_float, default=None, metavar="RATE",
                       help="learning rate, the peak of a one-cycle schedule (default: the recipe's, "
                            + _recipes_say("learning_rate", _show_rate) + ")")


def add_parallel_options(parser):
    """Add ``--folds`` and ``--n-jobs``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        A command's parser.
    """
    group = parser.add_argument_group("cross-validation")
    group.add_argument("--folds", type=_number(int, "a whole number", lambda v: 2 <= v <= 100, "in 2..100"),
                       default=3, metavar="K", help="stratified folds, shuffled with --random-state "
                                                    "(default: %(default)s)")
    group.add_argument("--n-jobs", type=n_jobs, default=None, metavar="N",
                       help="fits to run in parallel, at most the number of cores; -1 for all cores "
                            "(default: 1). TensorFlow already uses every core, so this seldom helps")


def add_train_csv(group):
    """Add ``--train``, the labelled training CSV.

    Parameters
    ----------
    group : argparse._ArgumentGroup
        The command's data group.
    """
    group.add_argument("--train", metavar="CSV", help="labelled digits, Kaggle's train.csv (default: the sample)")


def add_model_path(group, *, saving, default_name="model.skdigits"):
    """Add ``--model``: where a model is saved, or the model to load.

    Parameters
    ----------
    group : argparse._ArgumentGroup
        The command's data group.
    saving : bool
        Whether the command writes the model (else it reads it).
    default_name : str, default="model.skdigits"
        The file inside ``--output-dir`` when ``--model`` is not given.
    """
    what = "where to save the model" if saving else "the saved model"
    group.add_argument("--model", metavar="PATH", help=f"{what} (default: DIR/{default_name})")


def add_validation_split(group, default):
    """Add ``--validation-split``.

    Parameters
    ----------
    group : argparse._ArgumentGroup
        The command's data group.
    default : float
        The command's default.
    """
    group.add_argument("--validation-split", type=fraction, default=default, metavar="FRACTION",
                       help="part of the training data scored after each epoch, for the validation curves "
                            "(default: %(default)s)")


def add_refit(group):
    """Add ``--no-refit``, which keeps the measuring fit as the model instead of refitting on every digit.

    Parameters
    ----------
    group : argparse._ArgumentGroup
        The command's data group.
    """
    group.add_argument("--no-refit", dest="refit", action="store_false",
                       help="keep the first fit, which trained without the validation (and held-out) part, "
                            "instead of refitting on every digit: one fit instead of two")


# ---------------------------------------------------------------- options -> parameters
def fill_in_recipe_epochs(args):
    """Set ``args.epochs`` to the ``--recipe``'s epochs when ``--epochs`` was not given.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line; commands that do not train are left alone.
    """
    if getattr(args, "recipe", None) is not None and args.epochs is None:
        args.epochs = RECIPES[args.recipe]["epochs"]


def classifier_params(args, **overrides):
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
    params.update(epochs=args.epochs, augment=args.augment, random_state=args.random_state)
    for name in _OVERRIDES:
        # None: the option was not given, so the recipe's value stands.
        if getattr(args, name, None) is not None:
            params[name] = getattr(args, name)
    params.update(overrides)
    check_optimizers([params["optimizer"]], "--optimizer")
    return params


def check_optimizers(names, option):
    """Refuse optimizer names that Keras does not know, before any training starts.

    Parameters
    ----------
    names : list of str
        The names given.
    option : str
        The option that gave them, for the message.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If a name is not a Keras optimizer.
    """
    from skdigits._training.compile import make_optimizer  # imports TensorFlow: only commands that train get here
    from skdigits.exceptions import InvalidParameterError

    for name in names:
        try:
            make_optimizer(name)
        except ValueError:
            raise InvalidParameterError(
                f"{option} {name!r} is not a Keras optimizer; use a name such as adam, rmsprop, nadam or sgd."
            ) from None


def available_cores():
    """The number of cores this process may run on.

    Returns
    -------
    int
        At least 1.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_folds(folds, y):
    """Refuse ``--folds`` above the number of digits of the rarest class, before any fold is fitted.

    Parameters
    ----------
    folds : int
        ``--folds``.
    y : array-like of shape (n_samples,)
        The labels.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If a class has fewer digits than folds (stratified folds need one per fold).
    """
    import numpy as np

    from skdigits.exceptions import InvalidParameterError

    labels, counts = np.unique(np.asarray(y), return_counts=True)
    if counts.min() < folds:
        rarest = labels[counts.argmin()]
        raise InvalidParameterError(
            f"--folds {folds} is more than the {counts.min()} digits of the rarest class ({rarest!r}); "
            f"stratified folds need one of each class per fold: use --folds {max(2, counts.min())} or fewer."
        )
