"""Resolve the 2-D image geometry behind a flat row of pixels."""

import math
import numbers

from skdigits.exceptions import DataError, InvalidParameterError


def image_shape_problem(image_shape):
    """Say what is wrong with an ``image_shape`` parameter, or return None if it is valid.

    Parameters
    ----------
    image_shape : object
        The value given.

    Returns
    -------
    str or None
        What is wrong, in words; None for None or a valid pair.
    """
    if image_shape is None:
        return None
    if isinstance(image_shape, (str, bytes, dict, set)):
        return "it is not a pair"
    try:
        h, w = image_shape
    except (TypeError, ValueError):
        return "it is not a pair"
    for side in (h, w):
        if not isinstance(side, numbers.Integral) or isinstance(side, bool) or (side < 1 and side != -1):
            return "each side must be a positive int, and at most one side may be -1 (inferred)"
    if h == -1 and w == -1:
        return "at most one side may be -1"
    return None


def _check_image_shape_param(image_shape):
    problem = image_shape_problem(image_shape)
    if problem is not None:
        raise InvalidParameterError(
            f"image_shape={image_shape!r} is not valid: {problem}. Pass None (square images) "
            "or a pair (height, width) such as (28, 28) or (1, -1)."
        )
    if image_shape is None:
        return None
    h, w = image_shape
    return int(h), int(w)


def _square_error(n_features):
    msg = f"X has {n_features} features; expected a square image (784 = 28x28)"
    side = math.isqrt(max(n_features - 1, 0))
    if n_features > 1 and side * side == n_features - 1:
        msg += (
            f". {n_features} = 1 + {side}x{side}: is the label column still in X? "
            "Drop it first, e.g. X = df.drop(columns='label')"
        )
    return DataError(msg + ". For non-square images pass image_shape=(height, width).")


def resolve_image_shape(n_features, image_shape=None):
    """Return the ``(height, width)`` of images stored as rows of ``n_features`` pixels.

    Parameters
    ----------
    n_features : int
        Number of pixels in one flattened image.
    image_shape : None or tuple of (int, int), default=None
        ``None`` infers a square image. A pair ``(h, w)`` is taken as given;
        one side may be ``-1`` and is then inferred, so ``(1, -1)`` treats each
        row as a 1 x ``n_features`` image.

    Returns
    -------
    tuple of (int, int)
        The image height and width; their product is ``n_features``.

    Raises
    ------
    InvalidParameterError
        If ``image_shape`` is malformed.
    DataError
        If ``n_features`` cannot be laid out as such an image. The message
        says how to fix it.
    """
    shape = _check_image_shape_param(image_shape)
    if shape is None:
        side = math.isqrt(n_features)
        if n_features < 1 or side * side != n_features:
            raise _square_error(n_features)
        return side, side
    h, w = shape
    if h == -1 or w == -1:
        known = w if h == -1 else h
        if n_features % known:
            raise DataError(
                f"X has {n_features} features, which is not a multiple of {known} "
                f"as image_shape={image_shape!r} requires."
            )
        other = n_features // known
        return (other, w) if h == -1 else (h, other)
    if h * w != n_features:
        raise DataError(
            f"X has {n_features} features, but image_shape={image_shape!r} "
            f"needs {h * w} ({h}x{w})."
        )
    return h, w
