"""Input checks shared by the transformer and the classifier (numpy only)."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

from skdigits._shapes import resolve_image_shape

_EXPECTED = (
    "pixels as an array of shape (n_samples, n_pixels), a DataFrame of pixel "
    "columns, or an image stack (n_samples, height, width[, 1])"
)


def _as_flat(X, image_shape):
    """Flatten an image stack to rows; return the rows and the stack's (h, w)."""
    if X is None:
        raise TypeError(f"X is None; expected {_EXPECTED}.")
    if sp.issparse(X):
        raise TypeError(
            "sparse input is not supported: skdigits needs dense pixel arrays. "
            "Convert it first with X.toarray()."
        )
    if isinstance(X, (str, bytes, dict, set)):
        raise TypeError(f"X is a {type(X).__name__}; expected {_EXPECTED}.")
    if getattr(X, "ndim", None) is None:
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise ValueError(f"X could not be read as an array ({exc}); expected {_EXPECTED}.") from None
    if np.iscomplexobj(X):
        # scikit-learn's checks look for this exact phrase.
        raise ValueError("Complex data not supported: X holds complex numbers; pixels must be real numbers.")
    if X.ndim < 2:
        raise ValueError(
            f"X is {X.ndim}-D (shape {X.shape}); expected one row of pixels per image. "
            "Reshape your data, e.g. X.reshape(1, -1) for a single image."
        )
    if X.ndim == 2:
        return X, None
    if X.ndim > 4 or (X.ndim == 4 and X.shape[-1] != 1):
        detail = f"{X.shape[-1]} channels" if X.ndim == 4 else f"{X.ndim} dimensions"
        raise ValueError(
            f"X has shape {X.shape} ({detail}); expected grayscale images "
            "(n_samples, height, width) or (n_samples, height, width, 1). "
            "Convert colour images first, e.g. X.mean(axis=-1)."
        )
    stack_hw = tuple(int(s) for s in X.shape[1:3])
    if image_shape is not None:
        wanted = resolve_image_shape(stack_hw[0] * stack_hw[1], image_shape)
        if wanted != stack_hw:
            raise ValueError(
                f"X holds {stack_hw[0]}x{stack_hw[1]} images, but "
                f"image_shape={tuple(image_shape)!r} asks for {wanted[0]}x{wanted[1]}."
            )
    return np.asarray(X).reshape(X.shape[0], -1), stack_hw


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
        :func:`skdigits._shapes.resolve_image_shape`.

    Returns
    -------
    ndarray of shape (n_samples, height, width, 1), dtype float32
        The validated images (a view of the input where no copy was needed).
    """
    flat, stack_hw = _as_flat(X, image_shape)
    fitted_hw = None if reset else tuple(estimator.image_shape_)
    if stack_hw is not None and fitted_hw is not None and stack_hw != fitted_hw:
        raise ValueError(
            f"X holds {stack_hw[0]}x{stack_hw[1]} images, but "
            f"{type(estimator).__name__} was fitted on {fitted_hw[0]}x{fitted_hw[1]} images."
        )
    try:
        flat = validate_data(estimator, flat, reset=reset, dtype=np.float32, ensure_all_finite=True)
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        raise ValueError(f"X holds values that are not numbers ({exc}); pixels must be numbers.") from None
    if reset:
        hw = stack_hw or resolve_image_shape(flat.shape[1], image_shape)
        estimator.image_shape_ = hw
    else:
        hw = fitted_hw
    return flat.reshape(flat.shape[0], hw[0], hw[1], 1)
