"""Checks of CNNDigitClassifier's constructor parameters, run at fit time."""

import numbers

import numpy as np

# CNNDigitClassifier's parameter names, for code that must not import it (it
# imports TensorFlow); tests/test_predictor.py keeps this equal to its __init__.
CLASSIFIER_PARAMETERS = (
    "augment", "batch_norm", "batch_size", "callbacks", "dense_units", "dropout", "epochs", "filters",
    "image_shape", "kernel_sizes", "label_smoothing", "learning_rate", "lr_schedule", "optimizer", "patience",
    "random_state", "rotation_range", "shift_range", "validation_split", "verbose", "zoom_range",
)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fail(name, value, expected):
    raise ValueError(f"{name}={value!r} is not valid; expected {expected}.")


def check_int(name, value, *, low, allow_none=False):
    """Raise ValueError unless ``value`` is an int >= ``low`` (or None when allowed)."""
    if value is None and allow_none:
        return
    if not _is_int(value) or value < low:
        _fail(name, value, f"an int >= {low}" + (" or None" if allow_none else ""))


def check_fraction(name, value, *, high_inclusive=False, allow_none=False):
    """Raise ValueError unless ``value`` is a number in [0, 1) (or [0, 1])."""
    if value is None and allow_none:
        return
    upper_ok = _is_real(value) and (value <= 1 if high_inclusive else value < 1)
    if not upper_ok or not value >= 0:
        _fail(name, value, f"a number in [0, 1{']' if high_inclusive else ')'}")


def check_bool(name, value):
    """Raise ValueError unless ``value`` is a bool (NumPy's included)."""
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, value, "True or False")


def check_choice(name, value, choices):
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        _fail(name, value, "one of " + ", ".join(repr(c) for c in choices))


def check_non_negative(name, value):
    """Raise ValueError unless ``value`` is a real number >= 0."""
    if not _is_real(value) or not value >= 0:
        _fail(name, value, "a number >= 0")


def default_kernel_sizes(n_layers):
    """The tutorial's pattern for any depth: a 5x5 first kernel, then 3x3."""
    return (5,) + (3,) * (n_layers - 1)


def check_layer_widths(filters, kernel_sizes):
    """Validate ``filters`` and ``kernel_sizes``; return both as tuples of equal length."""
    try:
        filters = tuple(filters)
    except TypeError:
        _fail("filters", filters, "a sequence of positive ints such as (32, 64, 64)")
    if not filters or not all(_is_int(f) and f > 0 for f in filters):
        _fail("filters", filters, "a non-empty sequence of positive ints such as (32, 64, 64)")
    if kernel_sizes is None:
        kernel_sizes = default_kernel_sizes(len(filters))
    elif _is_int(kernel_sizes):
        kernel_sizes = (kernel_sizes,) * len(filters)
    try:
        kernel_sizes = tuple(kernel_sizes)
    except TypeError:
        _fail("kernel_sizes", kernel_sizes, "an int or a sequence of positive ints")
    if not all(_is_int(k) and k > 0 for k in kernel_sizes):
        _fail("kernel_sizes", kernel_sizes, "an int or a sequence of positive ints")
    if len(kernel_sizes) != len(filters):
        raise ValueError(
            f"filters has {len(filters)} layers but kernel_sizes has {len(kernel_sizes)}; "
            "give one kernel size per layer, or a single int for all."
        )
    return tuple(int(f) for f in filters), tuple(int(k) for k in kernel_sizes)
