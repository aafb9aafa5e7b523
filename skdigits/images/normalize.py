"""DigitNormalizer: users' images of any size → MNIST-style 28x28 digits (NumPy, SciPy, Pillow).

MNIST digits are white ink on black, their bounding box scaled to fit
20x20 (aspect ratio kept, anti-aliased), placed in 28x28 with the centre
of mass at the centre. A model trained on them misreads a photo or a
canvas drawing that is not prepared the same way. This module does it:

1. flatten alpha onto a background that contrasts with the ink;
2. convert to grey (ITU-R 601 luma, as Pillow's ``"L"``);
3. detect the polarity (strokes make the long tail of the fine detail) and
   invert dark-on-light;
4. where the background is uneven (falling light, a shadow, a desk), divide
   by the paper's local brightness and subtract what is left under the
   strokes;
5. separate ink from background with Otsu's threshold and hysteresis, so
   faint thin strokes connected to the digit are kept; subtract the lines
   of lined or squared paper; drop specks and frames;
6. crop to the ink, thicken strokes that would vanish at 20x20 (and thin
   a marker's), fit 20x20 keeping the aspect ratio with anti-aliasing,
   centre by mass in 28x28.

The steps live in :mod:`skdigits.images.ink`.

An image without a digit (blank, or noise without a shape) raises
:class:`skdigits.exceptions.DataError` naming it, rather than passing an
empty frame to a model that would answer it confidently.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from skdigits.exceptions import BudgetExceededError, DataError, DataTypeError
from skdigits.images.ink import (
    WORK_SIDE,
    area_resize,
    centre_by_mass,
    fit_box,
    separate_ink,
    to_grey,
    white_on_black,
)
from skdigits.utils.constraints import NORMALIZER_CONSTRAINTS, validate, validate_params
from skdigits.utils.doc_links import DocumentationLinkMixin
from skdigits.utils.limits import MAX_IMAGE_ASPECT, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

__all__ = ["DigitNormalizer", "normalize_digit", "normalization_steps", "check_image_size"]


class DigitNormalizer(DocumentationLinkMixin, TransformerMixin, BaseEstimator):
    """Prepare users' digit images the way MNIST was: white on black, 20x20 box, centred by mass in 28x28.

    Use it as the first step of a Pipeline (or before
    :func:`skdigits.load_predictor`'s model) so that photos, scans and
    canvas drawings reach the model as the digits it was trained on. It is
    stateless: ``fit`` learns nothing, and ``transform`` works on each
    image alone. :func:`skdigits.load_digit_images` applies the same
    steps to image files.

    Parameters
    ----------
    scale : float, default=255.0
        The value of full white in the input: 255 for 8-bit images, 65535
        for 16-bit ones, 1.0 for floats in [0, 1]. Boolean images are read
        as 0/1 whatever ``scale`` is.
    polarity : {"auto", "dark-on-light", "light-on-dark"}, default="auto"
        Which way round the ink is. ``"auto"`` takes the class of pixels
        that owns most of the image's border as the background.

    Attributes
    ----------
    n_features_in_ : int
        Only set when ``fit`` got flat rows (``(n_samples, n_pixels)``).

    See Also
    --------
    load_digit_images : The same normalisation for image files.
    DigitImageTransformer : The next step: scales the 28x28 digits to [0, 1] for the CNN.

    Notes
    -----
    ``transform`` accepts:

    - an array ``(n, h, w)`` (grey), ``(n, h, w, 1)``, ``(n, h, w, 3)`` (RGB)
      or ``(n, h, w, 4)`` (RGBA, straight alpha);
    - flat rows ``(n, h*w)`` of square grey images, as Kaggle's CSV;
    - a list of such single images ``(h, w[, c])`` of different sizes.

    It returns ``(n, 28, 28)`` uint8, 0 = background and 255 = ink: the
    layout of MNIST and of Kaggle's CSV, which every skdigits model and
    pipeline reads (a pipeline's :class:`DigitImageTransformer` scales it).
    A bare :class:`CNNDigitClassifier` wants ``X / 255``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.images.normalize import DigitNormalizer
    >>> photo = np.full((1, 120, 90), 230, dtype=np.uint8)  # light paper
    >>> photo[0, 20:100, 40:52] = 30                          # a dark vertical stroke: a "1"
    >>> out = DigitNormalizer().fit_transform(photo)
    >>> out.shape, out.dtype, out[0, 14, 14] > 200, out[0, 0, 0]
    ((1, 28, 28), dtype('uint8'), np.True_, np.uint8(0))
    """

    _parameter_constraints = NORMALIZER_CONSTRAINTS

    def __init__(self, scale=255.0, polarity="auto"):
        self.scale = scale
        self.polarity = polarity

    def fit(self, X, y=None):
        """Check the parameters and the pixels of ``X``; nothing is learnt.

        Parameters
        ----------
        X : array-like or list of arrays
            Images, see the class's Notes.
        y : None
            Ignored; present for Pipeline compatibility.

        Returns
        -------
        self : DigitNormalizer
            The transformer.
        """
        self._check_params()
        for i, image in enumerate(_as_image_list(X)):
            _checked_pixels(image, self.scale, f"image {i}")
        if getattr(X, "ndim", None) == 2:
            self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Normalise each image to an MNIST-style 28x28 digit.

        Parameters
        ----------
        X : array-like or list of arrays
            Images, see the class's Notes.

        Returns
        -------
        ndarray of shape (n_samples, 28, 28), dtype uint8
            White ink (255) on black (0).

        Raises
        ------
        skdigits.exceptions.DataError
            If an image holds no digit (blank, or noise), has values outside
            ``[0, scale]`` or that are not finite; the message names its index.
        skdigits.exceptions.DataTypeError
            If ``X`` is not an array or a list of arrays.
        """
        self._check_params()
        images = _as_image_list(X)
        out = np.zeros((len(images), 28, 28), dtype=np.uint8)
        for i, image in enumerate(images):
            out[i] = normalize_digit(image, scale=self.scale, polarity=self.polarity, where=f"image {i}")
        return out

    def _check_params(self):
        validate_params(self)  # the constraints load_digit_images and the CLI check too

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.sparse = False
        tags.input_tags.three_d_array = True
        return tags


def normalize_digit(image, *, scale=255.0, polarity="auto", where="image"):
    """Normalise one image to an MNIST-style 28x28 uint8 digit.

    Parameters
    ----------
    image : ndarray of shape (h, w) or (h, w, 1 | 3 | 4)
        Grey, RGB or RGBA pixels in ``[0, scale]``.
    scale : float, default=255.0
        The value of full white.
    polarity : {"auto", "dark-on-light", "light-on-dark"}, default="auto"
        See :class:`DigitNormalizer`.
    where : str, default="image"
        What to call the image in error messages (a file name, an index).

    Returns
    -------
    ndarray of shape (28, 28), dtype uint8
        White ink on black.

    Raises
    ------
    skdigits.exceptions.DataError
        If the image holds no digit, or bad values; the message starts with ``where``.
    """
    return normalization_steps(image, scale=scale, polarity=polarity, where=where)["result"]


def normalization_steps(image, *, scale=255.0, polarity="auto", where="image"):
    """Run the normalisation and return every intermediate image (for plots and for the drawing page).

    Parameters
    ----------
    image : ndarray of shape (h, w) or (h, w, 1 | 3 | 4)
        Grey, RGB or RGBA pixels in ``[0, scale]``.
    scale : float, default=255.0
        The value of full white.
    polarity : {"auto", "dark-on-light", "light-on-dark"}, default="auto"
        See :class:`DigitNormalizer`.
    where : str, default="image"
        What to call the image in error messages.

    Returns
    -------
    dict
        ``"input"`` (the image as given, as float in [0, 1]), ``"grey"``
        (alpha flattened, in grey), ``"ink"`` (white-on-black, light
        evened out), ``"mask"`` (the ink kept, bool), ``"crop"`` (the soft
        ink inside the digit's bounding box), ``"box"`` (fitted into 20x20)
        and ``"result"`` (28x28 uint8); ``"inverted"`` (bool) says whether
        the image was dark-on-light.
    """
    validate(NORMALIZER_CONSTRAINTS, {"scale": scale, "polarity": polarity}, "normalize_digit")
    pixels = _checked_pixels(image, scale, where)
    steps = {"input": pixels}
    grey = to_grey(pixels)
    if max(grey.shape) > WORK_SIDE:
        grey = area_resize(grey, WORK_SIDE / max(grey.shape))
    steps["grey"] = grey
    ink, inverted = white_on_black(grey, polarity, where)
    steps["ink"], steps["inverted"] = ink, inverted
    mask, soft = separate_ink(ink, where)
    steps["mask"] = mask
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = soft[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    steps["crop"] = crop
    box = fit_box(crop, mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    steps["box"] = box
    steps["result"] = centre_by_mass(box)
    return steps


def normalizer_bytes(height, width, channels):
    """The normaliser's working memory for one ``(height, width, channels)`` image, in bytes.

    Measured with tracemalloc (the scratch script of issue 23): a float32
    copy of every channel, the float32 grey image, and for alpha the
    flattening's temporaries; about 5, 17 and 25 bytes a pixel for grey, RGB
    and RGBA (26 counted). The image as given is not counted: its owner holds it already.
    """
    per_pixel = 4 * channels + 1 + (4 if channels > 1 else 0) + (5 if channels == 4 else 0)
    return height * width * per_pixel


def check_image_size(width, height, where, *, max_pixels, budget="max_pixels", working_bytes=None):
    """Refuse an image over the pixel budget, of an extreme aspect ratio, or whose work exceeds the byte budget.

    Shared by the image-file readers (before decoding) and the normaliser
    (before any copy), so both refuse the same shapes with the same words.

    Parameters
    ----------
    width, height : int
        The image's size.
    where : str
        The image, for the message (a file name or an index).
    max_pixels : int
        Most pixels (width x height).
    budget : str, default="max_pixels"
        What to call the pixel budget in the message.
    working_bytes : int or None, default=None
        The memory the work on it needs; refused above ``MAX_IMAGE_BYTES``.

    Raises
    ------
    skdigits.exceptions.BudgetExceededError
        If any budget is exceeded; the message names the image and says what to do.
    """
    if width * height > max_pixels:
        raise BudgetExceededError(
            f"{where}: {width}x{height} = {width * height:,} pixels, above {budget}={max_pixels:,}; "
            "shrink the image (the digit ends up 20x20 anyway)" + (" or raise max_pixels." if budget == "max_pixels"
                                                                  else ".")
        )
    if max(width, height) > MAX_IMAGE_ASPECT * min(width, height):
        raise BudgetExceededError(
            f"{where}: {width}x{height} pixels, a side more than MAX_IMAGE_ASPECT={MAX_IMAGE_ASPECT} times the "
            "other; a digit's image is far squarer. Crop it to the digit (or pad it towards a square) first."
        )
    if working_bytes is not None and working_bytes > MAX_IMAGE_BYTES:
        raise BudgetExceededError(
            f"{where}: {width}x{height} pixels would need {working_bytes / 2**20:,.0f} MiB of working memory, above "
            f"MAX_IMAGE_BYTES={MAX_IMAGE_BYTES // 2**20} MiB; shrink the image, or save it as 8-bit grey or RGB."
        )


def _as_image_list(X):
    """Return X as a list of single images (2-D or 3-D arrays), checking only the layout."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise DataTypeError("sparse input is not supported; pass dense images (X.toarray()).")
    if X is None or isinstance(X, (str, bytes, dict, set)):
        raise DataTypeError(
            f"X is {'None' if X is None else 'a ' + type(X).__name__}; expected images: an array "
            "(n, h, w[, 1|3|4]), flat rows (n, h*w), or a list of (h, w[, c]) arrays."
        )
    if isinstance(X, (list, tuple)):
        return [_single(item, f"image {i}") for i, item in enumerate(X)]
    X = np.asarray(X)
    if X.dtype == object:
        return [_single(item, f"image {i}") for i, item in enumerate(X)]
    if X.ndim == 2 and X.shape[1] == 0:
        raise DataError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required: "
                        "X holds no pixels.")
    if X.ndim == 2:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise DataError(
                f"X has {X.shape[1]} features; expected flat square images (784 = 28x28). "
                "For one image of shape (h, w), pass X[np.newaxis]; for images of "
                "different sizes, pass a list of (h, w) arrays."
            )
        return list(X.reshape(X.shape[0], side, side))
    if X.ndim in (3, 4):
        if X.ndim == 4 and X.shape[-1] not in (1, 3, 4):
            raise DataError(
                f"X has shape {X.shape}: {X.shape[-1]} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA)."
            )
        return list(X)
    raise DataError(
        f"X is {X.ndim}-D (shape {X.shape}); expected images (n, h, w[, 1|3|4]), flat rows "
        "(n, h*w), or a list of (h, w[, c]) arrays. For one image, pass X[np.newaxis]."
    )


def _single(item, where):
    if hasattr(item, "getbands") and hasattr(item, "convert"):  # a Pillow image, without importing Pillow
        item = item.convert("RGBA") if item.mode not in ("L", "RGB", "RGBA") else item
    try:
        array = np.asarray(item)
    except ValueError as exc:
        raise DataError(f"{where} could not be read as an array ({exc}).") from None
    if array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (1, 3, 4)):
        return array
    raise DataError(f"{where} has shape {array.shape}; expected (h, w) grey or (h, w, 1|3|4) channels.")


def _checked_pixels(image, scale, where):
    """Float32 pixels in [0, 1], shape (h, w, c); refuses values outside [0, scale]."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise DataError(f"{where} has shape {array.shape}; expected (h, w) grey or (h, w, 1|3|4) channels.")
    if min(array.shape[:2]) < 1:
        raise DataError(f"{where} is empty (shape {array.shape}).")
    check_image_size(array.shape[1], array.shape[0], where, max_pixels=MAX_IMAGE_PIXELS,  # before any float copy
                     budget="MAX_IMAGE_PIXELS", working_bytes=normalizer_bytes(*array.shape))
    if array.dtype == bool:
        return array.astype(np.float32)
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise DataError(f"{where} holds {array.dtype} values; pixels must be real numbers.")
    pixels = array.astype(np.float32)
    if not np.isfinite(pixels).all():
        raise DataError(f"{where} holds NaN or infinite values; pixels must be finite.")
    low, high = float(pixels.min()), float(pixels.max())
    if low < 0 or high > scale:
        raise DataError(
            f"{where} has pixel values in [{low:g}, {high:g}], outside [0, scale={scale:g}]; "
            "pass the value of full white as scale (255 for 8-bit, 65535 for 16-bit, 1.0 for floats in [0, 1])."
        )
    pixels /= np.float32(scale)  # in place: the copy above is ours
    return pixels
