"""DigitImageTransformer: flat pixel rows in, scaled grayscale images out (numpy only)."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skdigits.exceptions import DataError
from skdigits.utils.constraints import TRANSFORMER_CONSTRAINTS, validate_params
from skdigits.utils.doc_links import DocumentationLinkMixin
from skdigits.utils.validation import validate_images


class DigitImageTransformer(DocumentationLinkMixin, TransformerMixin, BaseEstimator):
    """Reshape pixel rows into images and scale them to [0, 1].

    Kaggle's ``train.csv`` stores each 28x28 digit as one row of 784 pixel
    values in 0..255. This transformer turns such rows (or image stacks) into
    the ``(n_samples, height, width, 1)`` float32 array a CNN expects.

    Parameters
    ----------
    image_shape : None or tuple of (int, int), default=None
        Geometry of one image. ``None`` infers a square image from the number
        of columns (784 -> 28x28) and rejects a non-square width. A pair
        ``(h, w)`` may have one side ``-1``, inferred from the width;
        ``(1, -1)`` treats each row as a one-pixel-high image.
    scale : float or None, default=255.0
        The pixel value of full ink, a finite number > 0. Pixels must lie in
        ``[0, scale]`` and are divided by it. ``None`` passes values through
        unscaled and unchecked.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels per image seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during :meth:`fit`; only set when ``X`` was a
        DataFrame with string column names.
    image_shape_ : tuple of (int, int)
        The ``(height, width)`` of the images seen during :meth:`fit`.

    See Also
    --------
    CNNDigitClassifier : The classifier this transformer feeds.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits import DigitImageTransformer
    >>> X = np.zeros((2, 784), dtype=np.uint8)
    >>> DigitImageTransformer().fit_transform(X).shape
    (2, 28, 28, 1)
    """

    _parameter_constraints = TRANSFORMER_CONSTRAINTS

    def __init__(self, image_shape=None, scale=255.0):
        self.image_shape = image_shape
        self.scale = scale

    def _images(self, X, *, reset):
        validate_params(self)
        images = validate_images(self, X, reset=reset, image_shape=self.image_shape)
        if self.scale is None or images.size == 0:
            return images
        low, high = images.min(), images.max()
        if low < 0:
            raise DataError(
                f"Negative values in data passed to {type(self).__name__} (min {low:g}); "
                f"pixels must lie in [0, {self.scale:g}]."
            )
        if high > self.scale:
            raise DataError(
                f"X has pixel values up to {high:g}, above scale={self.scale:g}; "
                f"pixels must lie in [0, {self.scale:g}]. Pass the value of full ink "
                "as scale (e.g. scale=65535 for 16-bit images), or scale=None to skip scaling."
            )
        if reset and 0 < high <= 1 < self.scale and _is_float(X):
            # Already-scaled input would be divided again and train on near-black images.
            warnings.warn(
                f"X looks already scaled to [0, 1] (max {high:g}) but scale={self.scale:g}; "
                "pass scale=1.0 if 1 means full ink.",
                UserWarning,
                stacklevel=3,
            )
        return images

    def fit(self, X, y=None):
        """Learn the image geometry from ``X`` and check its pixel values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Pixel rows, a DataFrame of pixel columns, or an image stack.
        y : None
            Ignored; present for Pipeline compatibility.

        Returns
        -------
        self : DigitImageTransformer
            The fitted transformer.
        """
        self._images(X, reset=True)
        return self

    def transform(self, X):
        """Reshape ``X`` into images and scale it to [0, 1].

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Pixels with the same number of columns as seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, height, width, 1), dtype float32
            The scaled images.
        """
        check_is_fitted(self)
        return self._scaled(self._images(X, reset=False))

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return it transformed, validating it only once.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Pixel rows, a DataFrame of pixel columns, or an image stack.
        y : None
            Ignored; present for Pipeline compatibility.

        Returns
        -------
        ndarray of shape (n_samples, height, width, 1), dtype float32
            The scaled images.
        """
        return self._scaled(self._images(X, reset=True))

    def _scaled(self, images):
        if self.scale is None:
            return np.array(images, dtype=np.float32, copy=True)
        return images / np.float32(self.scale)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.input_tags.positive_only = self.scale is not None
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _is_float(X):
    """Whether the raw input holds floats (integer pixels never come pre-scaled)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None:
        return all(getattr(d, "kind", "O") == "f" for d in dtypes)
    return np.asarray(X).dtype.kind == "f"
