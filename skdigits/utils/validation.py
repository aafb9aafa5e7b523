"""Input checks shared by the transformer, the classifier and the predictor (numpy only)."""

import contextlib
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d, validate_data

from skdigits.exceptions import BudgetExceededError, DataError, DataTypeError, SkdigitsError
from skdigits.utils.limits import MAX_CLASSES
from skdigits.utils.shapes import resolve_image_shape

_EXPECTED = (
    "pixels as an array of shape (n_samples, n_pixels), a DataFrame of pixel "
    "columns, or an image stack (n_samples, height, width[, 1])"
)


@contextlib.contextmanager
def as_data_errors(name=None):
    """Re-raise scikit-learn's input-validation errors as DataError/DataTypeError, message kept.

    For calls whose ValueError and TypeError mean bad input by contract
    (``validate_data``, ``check_array``, ``check_consistent_length``);
    scikit-learn's estimator checks match phrases of those messages.
    ``name``, if given and not in the message already, is put in front.
    """
    try:
        yield
    except (SkdigitsError, NotFittedError):
        raise
    except (ValueError, TypeError) as exc:
        message = str(exc) if name is None or name in str(exc) else f"{name}: {exc}"
        raise (DataError if isinstance(exc, ValueError) else DataTypeError)(message) from None


def _refuse_booleans(X):
    """Booleans are not pixels: True would be read as 1, a nearly black pixel out of 255."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None:
        dtypes = [np.asarray(X).dtype]
    elif not hasattr(dtypes, "__iter__"):  # a Series has one dtype
        dtypes = [dtypes]
    if any(getattr(d, "kind", "O") == "b" for d in dtypes):
        raise DataTypeError(
            "X holds booleans; pixels must be numbers. Convert a True/False mask first, "
            "e.g. X.astype(np.uint8) * 255 for white ink on black."
        )


def _as_flat(X, image_shape):
    """Flatten an image stack to rows; return the rows and the stack's (h, w)."""
    if X is None:
        raise DataTypeError(f"X is None; expected {_EXPECTED}.")
    if sp.issparse(X):
        raise DataTypeError(
            "sparse input is not supported: skdigits needs dense pixel arrays. "
            "Convert it first with X.toarray()."
        )
    if isinstance(X, (str, bytes, dict, set)):
        raise DataTypeError(f"X is a {type(X).__name__}; expected {_EXPECTED}.")
    if getattr(X, "ndim", None) is None:
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise DataError(f"X could not be read as an array ({exc}); expected {_EXPECTED}.") from None
    if np.iscomplexobj(X):
        # scikit-learn's checks look for this exact phrase.
        raise DataError("Complex data not supported: X holds complex numbers; pixels must be real numbers.")
    _refuse_booleans(X)
    if X.ndim < 2:
        raise DataError(
            f"X is {X.ndim}-D (shape {X.shape}); expected one row of pixels per image. "
            "Reshape your data, e.g. X.reshape(1, -1) for a single image."
        )
    if X.ndim == 2:
        return X, None
    if X.ndim > 4 or (X.ndim == 4 and X.shape[-1] != 1):
        detail = f"{X.shape[-1]} channels" if X.ndim == 4 else f"{X.ndim} dimensions"
        raise DataError(
            f"X has shape {X.shape} ({detail}); expected grayscale images "
            "(n_samples, height, width) or (n_samples, height, width, 1). "
            "Convert colour images first, e.g. X.mean(axis=-1)."
        )
    stack_hw = tuple(int(s) for s in X.shape[1:3])
    if image_shape is not None:
        wanted = resolve_image_shape(stack_hw[0] * stack_hw[1], image_shape)
        if wanted != stack_hw:
            raise DataError(
                f"X holds {stack_hw[0]}x{stack_hw[1]} images, but "
                f"image_shape={tuple(image_shape)!r} asks for {wanted[0]}x{wanted[1]}."
            )
    return np.asarray(X).reshape(X.shape[0], -1), stack_hw


def _kaggle_pixel_names(names):
    """Whether ``names`` are a Kaggle CSV's pixel columns, ``pixel0`` to ``pixel<n-1>`` in order."""
    return names is not None and len(names) > 0 and all(name == f"pixel{i}" for i, name in enumerate(names))


def validate_images(estimator, X, *, reset, image_shape):
    """Validate pixel input and return it as float32 images of shape (n, h, w, 1).

    On ``reset`` this records ``n_features_in_``, ``feature_names_in_`` (for
    DataFrames) and ``image_shape_`` on ``estimator``; otherwise it checks the
    input against them with scikit-learn's standard messages.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator that receives the fitted attributes.
    X : array-like, DataFrame or image stack
        Flat pixel rows ``(n, h*w)``, or images ``(n, h, w)`` / ``(n, h, w, 1)``.
    reset : bool
        True in ``fit``; False in ``transform``/``predict``.
    image_shape : None or tuple of (int, int)
        The estimator's ``image_shape`` parameter, see
        :func:`skdigits.utils.shapes.resolve_image_shape`.

    Returns
    -------
    ndarray of shape (n_samples, height, width, 1), dtype float32
        The validated images (a view of the input where no copy was needed).
    """
    flat, stack_hw = _as_flat(X, image_shape)
    fitted_hw = None if reset else tuple(estimator.image_shape_)
    if stack_hw is not None and fitted_hw is not None and stack_hw != fitted_hw:
        raise DataError(
            f"X holds {stack_hw[0]}x{stack_hw[1]} images, but "
            f"{type(estimator).__name__} was fitted on {fitted_hw[0]}x{fitted_hw[1]} images."
        )
    try:
        with as_data_errors(), warnings.catch_warnings():
            if not reset and _kaggle_pixel_names(getattr(estimator, "feature_names_in_", None)):
                # Kaggle's pixel0..pixel783 say only where a pixel is, as a plain array's order does: a model
                # fitted on train.csv predicts arrays without scikit-learn's feature-name warning.
                warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
            flat = validate_data(estimator, flat, reset=reset, dtype=np.float32, ensure_all_finite=True)
    except DataError as exc:
        if "could not convert" not in str(exc):
            raise
        raise DataError(f"X holds values that are not numbers ({exc}); pixels must be numbers.") from None
    if reset:
        hw = stack_hw or resolve_image_shape(flat.shape[1], image_shape)
        estimator.image_shape_ = hw
    else:
        hw = fitted_hw
    return flat.reshape(flat.shape[0], hw[0], hw[1], 1)


def validate_labels(y, X=None, *, reset, classes=None):
    """Validate class labels: 1-D, finite, of a classification type, one per image.

    Boolean labels are two classes, False and True, as in scikit-learn
    (unlike boolean pixels, which :func:`validate_images` refuses).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The labels.
    X : ndarray or None, default=None
        The validated images, to check that there is one label per image.
    reset : bool
        True in ``fit``: then ``y`` must hold at least two classes, and at
        most ``MAX_CLASSES``.
    classes : array-like or None, default=None
        Without ``reset``, the classes already fitted: ``y`` may hold no other.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    with as_data_errors():
        y = check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=True, input_name="y")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if X is not None:
            check_consistent_length(X, y)
    if reset and len(y):
        n_classes = len(np.unique(y))
        if n_classes < 2:
            found = "1 sample" if len(y) == 1 else "a single class"
            raise DataError(f"y has {found} ({y[:1].tolist()[0]!r}); a classifier needs samples of 2 classes "
                            "or more.")
        if n_classes > MAX_CLASSES:
            raise BudgetExceededError(
                f"y has {n_classes:,} classes, over the budget MAX_CLASSES={MAX_CLASSES:,}: is y a class label "
                "per image (such as the digit), not a continuous value or an ID?")
    elif classes is not None:
        unknown = np.setdiff1d(y, classes)
        if len(unknown):
            raise DataError(f"y holds labels {unknown[:5].tolist()} that the classifier was not fitted on "
                            f"(its classes are {np.asarray(classes)[:12].tolist()}); fit it again with all classes.")
    return y


def check_sample_weight(sample_weight, n_samples):
    """Validate per-sample weights: finite, non-negative, not all zero, one per sample.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or float
        The weights; a single number weights every sample alike.
    n_samples : int
        Number of training samples.

    Returns
    -------
    ndarray of shape (n_samples,), dtype float32
        The weights, as Keras reads them.

    Raises
    ------
    DataError
        Naming ``sample_weight`` and what is wrong with it.
    """
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, (bool, np.bool_)):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    with as_data_errors("sample_weight"):
        weights = check_array(sample_weight, ensure_2d=False, dtype=np.float64, ensure_all_finite=True,
                              ensure_min_samples=0, input_name="sample_weight")
    if weights.shape != (n_samples,):
        raise DataError(f"sample_weight has shape {weights.shape}; expected ({n_samples},), one weight per sample.")
    if n_samples and weights.min() < 0:
        raise DataError(
            f"sample_weight has negative values (min {weights.min():g}); weights must be >= 0 "
            "(0 drops a sample)."
        )
    if n_samples and not weights.any():
        raise DataError("sample_weight is all zeros: no training sample has any weight, so there is nothing to learn.")
    # Keras trains in float32: a larger weight would become inf, and the loss with it.
    if n_samples and weights.max() > np.finfo(np.float32).max:
        raise DataError(f"sample_weight has values up to {weights.max():g}, beyond float32's range; scale them down.")
    return weights.astype(np.float32)


def class_sample_weights(class_weight, y, classes=None):
    """Per-sample weights from scikit-learn's ``class_weight``: ``"balanced"`` or ``{label: weight}``.

    Parameters
    ----------
    class_weight : "balanced" or dict
        ``"balanced"`` weighs each class by ``n_samples / (n_classes *
        its count)``; a dict gives a class its weight, and 1 to the classes
        it does not name.
    y : ndarray of shape (n_samples,)
        Validated labels.
    classes : array-like or None, default=None
        Every class the classifier knows (``partial_fit`` may see a few at a
        time); None means those in ``y``.

    Returns
    -------
    ndarray of shape (n_samples,), dtype float64

    Raises
    ------
    DataError
        A weight that is not a number, negative or beyond float32, a label
        that is none of the classes, or weights that leave every sample at 0.
    """
    from sklearn.utils.class_weight import compute_sample_weight

    present = np.unique(y).tolist()
    if isinstance(class_weight, dict):
        known = set(present) | set(np.asarray(classes).tolist() if classes is not None else ())
        for label, weight in class_weight.items():
            if isinstance(weight, (bool, np.bool_)) or not isinstance(weight, numbers.Real) or \
                    not 0 <= weight <= float(np.finfo(np.float32).max):
                raise DataError(f"class_weight[{label!r}] is {weight!r}; a class's weight must be a number >= 0 "
                                "that float32 holds (0 drops the class).")
        unknown = [label for label in class_weight if label not in known]
        if unknown:
            raise DataError(f"class_weight names {sorted(map(repr, unknown))[:10]}, which are not classes of y "
                            f"({sorted(known, key=repr)[:10]}); name classes by their labels in y.")
        class_weight = {label: float(w) for label, w in class_weight.items() if label in present}
    with as_data_errors("class_weight"):
        weights = compute_sample_weight(class_weight, y)
    if len(weights) and not weights.any():
        raise DataError("class_weight gives every training sample weight 0, so there is nothing to learn.")
    return weights
