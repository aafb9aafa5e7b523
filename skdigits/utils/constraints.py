"""The constraints on every skdigits parameter, in scikit-learn's ``_parameter_constraints`` style.

One style for all of them: each estimator declares a ``_parameter_constraints``
dict and calls :func:`validate_params` at fit; :func:`build_cnn` and the
augmentation layer call :func:`validate` on their arguments. scikit-learn's
constraints are extended where they are too lenient for input that may be
hostile: :class:`Number` refuses inf, nan and booleans, :class:`Float32`
also refuses reals that float32 (the dtype that computes) cannot hold,
and the sequence constraints check every element. Errors are :class:`ParameterError`, which
is both skdigits' and scikit-learn's ``InvalidParameterError``, with
scikit-learn's message ("The 'x' parameter of Y must be ... Got ... instead.").

This module imports neither TensorFlow nor Keras, so TensorFlow-free code
(the NumPy predictor) can check parameters too.
"""

import math
import sys
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from skdigits.exceptions import InvalidParameterError
from skdigits.utils import limits
from skdigits.utils.compat import (
    HasMethods,
    Interval,
    Options,
    SklearnInvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from skdigits.utils.shapes import image_shape_problem


class ParameterError(InvalidParameterError, SklearnInvalidParameterError):
    """A parameter of the wrong type or out of range.

    skdigits' :class:`~skdigits.exceptions.InvalidParameterError`, and also
    scikit-learn's, so that scikit-learn's own checks recognise it.
    """


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


class Number(Interval):
    """An Interval of finite numbers that refuses booleans.

    scikit-learn's ``Interval(Real, 0, None)`` admits ``inf`` and its
    integer intervals admit ``True``; neither is a meaningful learning rate,
    epoch count or scale. NumPy numbers are accepted.
    """

    def is_satisfied_by(self, val):
        # Plain and NumPy ints and floats only: Fraction and Decimal are Reals that NumPy cannot test.
        if _is_bool(val) or not isinstance(val, (int, float, np.integer, np.floating)):
            return False
        if isinstance(val, (float, np.floating)) and not math.isfinite(val):
            return False
        return super().is_satisfied_by(val)

    def __str__(self):
        text = super().__str__()
        return text if self.type is Integral else "a finite " + text.removeprefix("a ")


_FLOAT32 = np.finfo(np.float32)
#: The largest float32 and its smallest normal magnitude: a real parameter must fall between them (or be 0).
FLOAT32_MAX, FLOAT32_TINY = float(_FLOAT32.max), float(_FLOAT32.tiny)


class Float32(Number):
    """A :class:`Number` that is also finite and meaningful in float32, the dtype skdigits computes in.

    A value finite in float64 may not be in float32: ``1e300`` overflows
    to inf (a scale that turns every image black), ``1e-300`` underflows to
    0 (a learning rate of 0, a scale that divides by 0). Every real
    parameter that ends up in float32 uses this constraint: it must be 0
    (where its interval allows 0) or of magnitude in
    ``[FLOAT32_TINY, FLOAT32_MAX]`` (about 1.2e-38 to 3.4e38).
    """

    def is_satisfied_by(self, val):
        if not super().is_satisfied_by(val):
            return False
        try:
            magnitude = abs(float(val))
        except OverflowError:  # an int beyond any float
            return False
        return magnitude == 0 or FLOAT32_TINY <= magnitude <= FLOAT32_MAX

    def __str__(self):
        zero = super().is_satisfied_by(0.0)
        return (f"{super().__str__()} that float32 holds ({'0 or ' if zero else ''}a magnitude in "
                f"[{FLOAT32_TINY:.3g}, {FLOAT32_MAX:.3g}])")


class _Structured(Options):
    """Base of the constraints on values with parts (sequences, pairs).

    It subclasses Options only because scikit-learn's ``make_constraint``
    accepts no other custom constraint (see :mod:`skdigits.utils.compat`);
    subclasses define ``is_satisfied_by`` and ``__str__``.
    """

    def __init__(self):
        super().__init__(type=object, options=set())


def _sequence(value):
    """``value`` as a tuple if it is a list, tuple or 1-D array, else None."""
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return tuple(value)
    return None


class PositiveInts(_Structured):
    """A non-empty list or tuple of at most ``max_items`` ints in [1, ``high``] (booleans refused)."""

    def __init__(self, high, max_items=limits.MAX_LAYERS):
        super().__init__()
        self.high, self.max_items = high, max_items

    def is_satisfied_by(self, val):
        items = _sequence(val)
        item = Number(Integral, 1, self.high, closed="both")
        return bool(items) and len(items) <= self.max_items and all(item.is_satisfied_by(i) for i in items)

    def __str__(self):
        return f"a non-empty list or tuple of at most {self.max_items} ints in [1, {self.high}]"


class ImageShape(_Structured):
    """A pair ``(height, width)`` of ints >= 1; with ``inferred``, one of them may be -1."""

    def __init__(self, *, inferred=True):
        super().__init__()
        self.inferred = inferred

    def is_satisfied_by(self, val):
        if image_shape_problem(val) is not None or val is None or max(val) > limits.MAX_IMAGE_SIDE:
            return False
        return self.inferred or min(val) >= 1

    def __str__(self):
        side = f"ints in [1, {limits.MAX_IMAGE_SIDE}]"
        if self.inferred:
            return f"a pair (height, width) of {side}, at most one of them -1 (inferred)"
        return f"a pair (height, width) of {side}"


class KerasInstances(_Structured):
    """Instances of a Keras class named by its path (``"callbacks.Callback"``), or a list of them.

    Resolved only when Keras is already imported: without it no Keras
    object can exist, and checking must not import TensorFlow.
    """

    def __init__(self, path, *, many=False):
        super().__init__()
        self.path, self.many = path, many

    def _class(self):
        keras = sys.modules.get("keras")
        if keras is None:
            return None
        for part in self.path.split("."):
            keras = getattr(keras, part)
        return keras

    def is_satisfied_by(self, val):
        cls = self._class()
        if not self.many:
            return cls is not None and isinstance(val, cls)
        items = val if isinstance(val, (list, tuple)) else None
        return items is not None and (not items or (cls is not None and all(isinstance(v, cls) for v in items)))

    def __str__(self):
        what = f"keras.{self.path}"
        return f"a list of {what} instances" if self.many else f"a {what} instance"


def validate(constraints, params, caller):
    """Check ``params`` against ``constraints``; raise :class:`ParameterError` naming the first bad one.

    Parameters
    ----------
    constraints : dict
        Parameter name to a list of scikit-learn constraints, as in an
        estimator's ``_parameter_constraints``.
    params : dict
        Parameter name to value.
    caller : str
        The estimator or function the parameters belong to, for the message.

    Raises
    ------
    ParameterError
        With scikit-learn's message: the parameter, the valid values, and
        the value given.
    """
    try:
        validate_parameter_constraints(constraints, params, caller_name=caller)
    except SklearnInvalidParameterError as exc:
        raise ParameterError(str(exc)) from None


def validate_params(estimator):
    """Check an estimator's constructor parameters against its ``_parameter_constraints``.

    Parameters
    ----------
    estimator : BaseEstimator
        An skdigits estimator.

    Raises
    ------
    ParameterError
        If a parameter has the wrong type or is out of range.
    """
    validate(type(estimator)._parameter_constraints, estimator.get_params(deep=False), type(estimator).__name__)


def fail(caller, name, value, expected):
    """Raise :class:`ParameterError` in scikit-learn's words, for checks that span parameters.

    Parameters
    ----------
    caller : str
        The estimator or function.
    name : str
        The parameter.
    value : object
        Its value.
    expected : str
        What it must be.
    """
    raise ParameterError(f"The {name!r} parameter of {caller} must be {expected}. Got {value!r} instead.")


#: A seed: None or an int that NumPy accepts as one (no booleans).
SEED = [None, Number(Integral, 0, 2**32 - 1, closed="both")]
#: scikit-learn's ``random_state``: a seed or a RandomState.
RANDOM_STATE = [*SEED, np.random.RandomState]
_FRACTION = Float32(Real, 0, 1, closed="left")
_COUNT = Number(Integral, 1, None, closed="left")
_FILTERS = PositiveInts(limits.MAX_FILTERS)
_KERNEL = Number(Integral, 1, limits.MAX_KERNEL_SIZE, closed="both")
_KERNELS = PositiveInts(limits.MAX_KERNEL_SIZE)
_DENSE_UNITS = Number(Integral, 1, limits.MAX_DENSE_UNITS, closed="both")
_NON_NEGATIVE_INT = Number(Integral, 0, None, closed="left")

#: How a block of convolutions halves the image, and the stride-1 convolutions' padding (see build_cnn).
DOWNSAMPLING = ("max-pool", "stride")
PADDINGS = ("same", "valid")
#: The learning-rate schedules of skdigits._training.schedules.
SCHEDULES = ("constant", "one-cycle")
_DOWNSAMPLE = StrOptions(set(DOWNSAMPLING))
_PADDING = StrOptions(set(PADDINGS))

#: The augmentation's ranges, shared by the classifier and RandomDigitAffine.
#: A rotation beyond 180 degrees repeats the same angles, so it is refused.
ROTATION = Float32(Real, 0, 180, closed="both")
#: A scale, a temperature, a learning rate: a real above 0 whose float32 is neither inf nor 0.
POSITIVE_REAL = Float32(Real, 0, None, closed="neither")

CLASSIFIER_CONSTRAINTS = {
    "augment": ["boolean"],
    "batch_norm": ["boolean"],
    "batch_size": [Number(Integral, 1, limits.MAX_BATCH_SIZE, closed="both")],
    "block_dropout": [_FRACTION],
    "callbacks": [None, KerasInstances("callbacks.Callback", many=True)],
    "class_weight": [None, StrOptions({"balanced"}), dict],
    "dense_units": [_DENSE_UNITS],
    "downsample": [_DOWNSAMPLE],
    "dropout": [_FRACTION],
    "epochs": [StrOptions({"auto"}), Number(Integral, 1, limits.MAX_EPOCHS, closed="both")],
    "filters": [_FILTERS],
    "image_shape": [None, ImageShape()],
    "kernel_sizes": [None, _KERNEL, _KERNELS],
    "label_smoothing": [_FRACTION],
    "learning_rate": [None, POSITIVE_REAL],
    "lr_schedule": [StrOptions(set(SCHEDULES))],
    "optimizer": [str, KerasInstances("optimizers.Optimizer")],
    "padding": [_PADDING],
    "patience": [None, _NON_NEGATIVE_INT],
    "precision": [StrOptions({"auto", "float32", "bfloat16"})],  # skdigits._training.precision.PRECISIONS
    "random_state": RANDOM_STATE,
    "rotation_range": [ROTATION],
    "shift_range": [_FRACTION],
    "temperature_scaling": ["boolean"],
    "validation_split": [_FRACTION],
    "verbose": [StrOptions({"auto"}), _NON_NEGATIVE_INT],
    "zoom_range": [_FRACTION],
}

# CNNDigitClassifier's parameter names, for code that must not import it (it
# imports TensorFlow); tests/test_predictor.py keeps this equal to its __init__.
CLASSIFIER_PARAMETERS = tuple(sorted(CLASSIFIER_CONSTRAINTS))

ENSEMBLE_CONSTRAINTS = {
    "estimator": [None, HasMethods(["fit", "predict_proba"])],
    "n_estimators": [Number(Integral, 1, limits.MAX_ENSEMBLE_MEMBERS, closed="both")],
    "n_jobs": [None, Number(Integral, None, -1, closed="right"), _COUNT],
    "random_state": RANDOM_STATE,
}

TRANSFORMER_CONSTRAINTS = {
    "image_shape": [None, ImageShape()],
    "scale": [None, POSITIVE_REAL],
}

#: A temperature of scale_probabilities (logits are divided by it).
TEMPERATURE_CONSTRAINTS = {"temperature": [POSITIVE_REAL]}

BUILD_CNN_CONSTRAINTS = {
    "image_shape": [ImageShape(inferred=False)],
    "n_classes": [Number(Integral, 1, limits.MAX_CLASSES, closed="both")],
    "filters": [_FILTERS],
    "kernel_sizes": [None, _KERNEL, _KERNELS],
    "dense_units": [_DENSE_UNITS],
    "dropout": [_FRACTION],
    "augmentation": [None, dict],
    "batch_norm": ["boolean"],
    "downsample": [_DOWNSAMPLE],
    "padding": [_PADDING],
    "block_dropout": [_FRACTION],
    "seed": SEED,
}

#: Which way round the ink of an image is: shared by DigitNormalizer, the image-file readers and the CLI.
POLARITIES = ("auto", "dark-on-light", "light-on-dark")
_POLARITY = StrOptions(set(POLARITIES))
#: A budget of bytes, pixels or files: an int that a C ``ssize_t`` holds (a file is read with ``read(max_bytes + 1)``).
IMAGE_BUDGET = Number(Integral, 1, sys.maxsize - 1, closed="both")

#: DigitNormalizer and normalize_digit: the value of full white (divided in float32) and the polarity.
NORMALIZER_CONSTRAINTS = {
    "scale": [POSITIVE_REAL],
    "polarity": [_POLARITY],
}

#: load_digit_images, predict_image_files, read_image and list_image_files (and ``skdigits predict --images``).
IMAGE_FILE_CONSTRAINTS = {
    "polarity": [_POLARITY],
    "return_paths": ["boolean"],
    "max_bytes": [IMAGE_BUDGET],
    "max_pixels": [IMAGE_BUDGET],
    "max_images": [IMAGE_BUDGET],
}

AUGMENTATION_CONSTRAINTS = {
    "rotation": [ROTATION],
    "zoom": [_FRACTION],
    "shift": [_FRACTION],
    "seed": SEED,
}


def draw_seed(random_state):
    """Return an int seed from a validated ``random_state``: drawn from it for None or a RandomState.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        A value that satisfies :data:`RANDOM_STATE`.

    Returns
    -------
    int
    """
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    return int(random_state)


def default_kernel_sizes(n_layers):
    """The tutorial's pattern for any depth: a 5x5 first kernel, then 3x3.

    Parameters
    ----------
    n_layers : int
        Number of convolutions.

    Returns
    -------
    tuple of int
    """
    return (5,) + (3,) * (n_layers - 1)


def layer_widths(filters, kernel_sizes, caller):
    """Return ``filters`` and ``kernel_sizes`` (already validated) as int tuples of equal length.

    Parameters
    ----------
    filters : sequence of int
        Filters of each convolution.
    kernel_sizes : None, int or sequence of int
        One size per convolution, one for all, or None for the tutorial's.
    caller : str
        The estimator or function, for the message.

    Returns
    -------
    tuple of (tuple of int, tuple of int)

    Raises
    ------
    ParameterError
        If ``kernel_sizes`` gives a different number of layers than ``filters``.
    """
    filters = tuple(int(f) for f in filters)
    if kernel_sizes is None:
        kernel_sizes = default_kernel_sizes(len(filters))
    elif isinstance(kernel_sizes, Integral):
        kernel_sizes = (kernel_sizes,) * len(filters)
    kernel_sizes = tuple(int(k) for k in kernel_sizes)
    if len(kernel_sizes) != len(filters):
        fail(caller, "kernel_sizes", kernel_sizes,
             f"one size per layer of filters ({len(filters)}), or a single int for all")
    return filters, kernel_sizes
