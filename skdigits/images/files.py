"""Image files of users' own digits → MNIST-style 28x28 arrays (Pillow and NumPy only).

Image files are hostile input. :func:`read_image` checks, in this order,
before it decodes anything:

- the path is a regular file (a FIFO, a device or a socket is refused
  before it is opened, and the file is opened non-blocking and checked
  again through its descriptor, so a swap in between is caught too);
- its size is within ``max_bytes``;
- Pillow recognises it as one of the accepted formats (PNG, JPEG, BMP, GIF,
  TIFF, WebP; no other format's decoder runs);
- the pixel count its header declares is within ``max_pixels`` (a
  decompression bomb is refused before its pixels are inflated).

Symbolic links: a path you name is yours, so a link you name is followed.
A folder expands to the image files directly in it (not in sub-folders),
sorted by name; a link inside it is read only if it resolves to a file
inside that same folder, and refused otherwise, so a folder you were sent
cannot make skdigits read a file elsewhere.
"""

import errno
import io
import os
import stat
from pathlib import Path

import numpy as np

from skdigits.exceptions import BudgetExceededError, DataError, DataTypeError, InvalidParameterError
from skdigits.images.normalize import normalize_digit
from skdigits.utils.limits import MAX_IMAGE_PIXELS

__all__ = [
    "load_digit_images", "predict_image_files", "list_image_files", "read_image", "as_model_input", "IMAGE_SUFFIXES",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP")
MAX_BYTES = 20 * 2**20  # a large phone photo is 5-10 MB
MAX_PIXELS = MAX_IMAGE_PIXELS  # 50 megapixels: any phone camera; Pillow's own default warns at 89 M
MAX_IMAGES = 10_000
_DECODE_SIDE = 1024  # larger images are reduced while decoding: the digit ends up 20x20 anyway


def load_digit_images(paths, *, polarity="auto", return_paths=False, max_bytes=MAX_BYTES,
                      max_pixels=MAX_PIXELS, max_images=MAX_IMAGES):
    """Read image files of handwritten digits and normalise them as MNIST was.

    Each image is read with Pillow (see :func:`read_image`) and normalised
    by :func:`skdigits.images.normalize.normalize_digit`: alpha flattened, grey,
    polarity fixed (dark ink on light paper is inverted), light evened out,
    ink separated with Otsu's threshold, cropped, fitted into 20x20 keeping
    the aspect ratio, and centred by mass in 28x28.

    Parameters
    ----------
    paths : str, os.PathLike or list of them
        Image files (PNG, JPEG, BMP, GIF, TIFF, WebP) and folders; a folder
        stands for the image files directly in it, sorted by name (files
        with other suffixes, hidden files and sub-folders are skipped).
    polarity : {"auto", "dark-on-light", "light-on-dark"}, default="auto"
        Which way round the ink is; ``"auto"`` detects it in each image.
    return_paths : bool, default=False
        Also return the file each image came from.
    max_bytes : int, default=20 MiB
        Largest file read.
    max_pixels : int, default=50,000,000
        Largest image (width x height) decoded.
    max_images : int, default=10,000
        Most files read in one call, counted before any is read.

    Returns
    -------
    images : ndarray of shape (n_files, 28, 28), dtype uint8
        White ink (255) on black (0), ready for any skdigits model or pipeline.
    paths : list of pathlib.Path
        Only if ``return_paths``: the file of each image, in order.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    skdigits.exceptions.DataError
        If a file is not a readable image of an accepted format, is not a
        regular file, cannot be read (an input/output error, as from
        ``/proc/self/mem``), is a link out of its folder, holds no digit
        (blank or noise), or if no image file was found. The message names
        the file.
    skdigits.exceptions.BudgetExceededError
        If a file, an image or the number of files exceeds its budget.

    See Also
    --------
    DigitNormalizer : The same normalisation for images already in memory.

    Examples
    --------
    >>> from skdigits.images.files import load_digit_images
    >>> X = load_digit_images(["my_digits/"])  # doctest: +SKIP
    >>> load_predictor("model.skdigits").predict(X)  # doctest: +SKIP
    """
    files = list_image_files(paths, max_images=max_images)
    out = np.zeros((len(files), 28, 28), dtype=np.uint8)
    for i, (path, folder) in enumerate(files):
        pixels, scale = _read(path, folder, max_bytes=max_bytes, max_pixels=max_pixels)
        out[i] = normalize_digit(pixels, scale=scale, polarity=polarity, where=str(path))
    if return_paths:
        return out, [path for path, _ in files]
    return out


def predict_image_files(model, paths, **budgets):
    """Predict the digit in each image file: what ``skdigits predict --images`` prints.

    Parameters
    ----------
    model : estimator object
        A fitted model with ``predict_proba`` and ``classes_`` that reads
        28x28 digits (e.g. from :func:`skdigits.load_predictor`).
    paths : str, os.PathLike or list of them
        Image files and folders, as :func:`load_digit_images` takes them.
    **budgets : dict
        ``max_bytes``, ``max_pixels``, ``max_images`` or ``polarity``, passed
        to :func:`load_digit_images`.

    Returns
    -------
    list of dict
        One per file, in order: ``{"file": str, "label": ..., "probability": float}``,
        the label of the most probable class and its probability.

    Raises
    ------
    skdigits.exceptions.DataError
        As :func:`load_digit_images`, naming the file.
    """
    digits, files = load_digit_images(paths, return_paths=True, **budgets)
    proba = np.asarray(model.predict_proba(as_model_input(model, digits)))
    best = proba.argmax(axis=1)
    classes = np.asarray(model.classes_)
    return [{"file": str(path), "label": classes[k].item() if hasattr(classes[k], "item") else classes[k],
             "probability": float(proba[i, k])} for i, (path, k) in enumerate(zip(files, best))]


def as_model_input(model, digits):
    """Lay out normalised 28x28 digits the way ``model`` was fitted to read them.

    A Pipeline whose first step is a :class:`DigitImageTransformer` reads
    pixels 0..``scale`` (255 for models the ``skdigits`` command trains); a
    bare classifier or predictor reads images scaled to [0, 1]. A model
    fitted on a DataFrame gets one with its column names.

    Parameters
    ----------
    model : estimator object
        A fitted skdigits model, pipeline or predictor (e.g. from :func:`skdigits.load_predictor`).
    digits : ndarray of shape (n, 28, 28), dtype uint8
        The output of :func:`load_digit_images` or :class:`DigitNormalizer`.

    Returns
    -------
    ndarray or pandas.DataFrame
        ``digits`` as the model's ``predict`` takes them.

    Raises
    ------
    skdigits.exceptions.DataError
        If the model reads images of another size than 28x28.
    """
    digits = np.asarray(digits)
    first = model.steps[0][1] if hasattr(model, "steps") else model
    n_features = getattr(model, "n_features_in_", getattr(first, "n_features_in_", 784))
    if n_features != 784:
        raise DataError(
            f"the model reads {n_features} pixels per image; normalised digits are 28x28 = 784. "
            "Use a model trained on MNIST-style 28x28 digits."
        )
    scale = getattr(first, "scale", None) if hasattr(model, "steps") else None
    # scale=None means the pipeline was fitted on values it did not scale: we assume [0, 1].
    X = digits if scale == 255 else digits.astype(np.float32) * np.float32((scale or 1.0) / 255.0)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X.reshape(len(X), -1), columns=names)


def list_image_files(paths, *, max_images=MAX_IMAGES):
    """Expand files and folders to the image files to read, checking the count budget.

    Parameters
    ----------
    paths : str, os.PathLike or list of them
        Files and folders, as :func:`load_digit_images` takes them.
    max_images : int, default=10,000
        Most files returned.

    Returns
    -------
    list of (pathlib.Path, pathlib.Path or None)
        Each file, with the folder it was found in (None for a named file).

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    skdigits.exceptions.DataError
        If nothing to read was found, or a path is neither a file nor a folder.
    skdigits.exceptions.BudgetExceededError
        If more than ``max_images`` files would be read.
    """
    _check_budget("max_images", max_images)
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    try:
        paths = [Path(os.fsdecode(p)) for p in paths]
    except TypeError:
        raise DataTypeError(f"paths must be a path or a list of paths, not {type(paths).__name__}.") from None
    files = []
    for path in paths:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "No such image file or folder", str(path)) from None
        if stat.S_ISDIR(info.st_mode):
            found = [(path / name, path) for name in sorted(os.listdir(path))
                     if not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES)]
            found = [(p, folder) for p, folder in found if not os.path.isdir(p)]
            if not found:
                raise DataError(f"{path}: folder holds no image files ({', '.join(IMAGE_SUFFIXES)}).")
            files.extend(found)
        else:
            files.append((path, None))
        if len(files) > max_images:
            raise BudgetExceededError(
                f"more than max_images={max_images} image files to read (at {path}); "
                "read them in batches or raise max_images."
            )
    if not files:
        raise DataError("no image files given; pass image files or folders of them.")
    return files


def read_image(path, *, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS):
    """Read one image file into an array, with the checks in this module's docstring.

    Animated GIF/WebP and multi-page TIFF files give their first frame.
    Palette, 1-bit and CMYK images become RGB(A); 16-bit grey stays 16-bit.
    EXIF orientation (phone photos) is applied. Images larger than 1024
    pixels a side are reduced (anti-aliased) while decoding.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    max_bytes : int, default=20 MiB
        Largest file read.
    max_pixels : int, default=50,000,000
        Largest image (width x height) decoded.

    Returns
    -------
    pixels : ndarray of shape (h, w) or (h, w, 3 | 4)
        Grey, RGB or RGBA pixels (uint8, or uint16/float32 for 16-bit and float images).
    scale : float
        The value of full white: 255.0, 65535.0 or 1.0.

    Raises
    ------
    skdigits.exceptions.DataError
        As :func:`load_digit_images`.
    """
    return _read(Path(path), None, max_bytes=max_bytes, max_pixels=max_pixels)


def _check_budget(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterError(f"{name}={value!r} is not valid; pass a positive integer.")


def _read(path, folder, *, max_bytes, max_pixels):
    _check_budget("max_bytes", max_bytes)
    _check_budget("max_pixels", max_pixels)
    data = _read_bytes(path, folder, max_bytes)
    return _decode(data, path, max_pixels)


def _read_bytes(path, folder, max_bytes):
    """The file's bytes, refusing special files, links out of ``folder`` and files over budget."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if folder is not None and os.path.islink(path):
        target = os.path.realpath(path)
        if os.path.dirname(target) != os.path.realpath(folder):
            raise DataError(
                f"{path}: a symbolic link out of its folder {folder}; skdigits reads links in a "
                "folder only when they point inside it. Copy the file in, or name it directly."
            )
        path = Path(target)
    if folder is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "No such image file", str(path)) from None
    _check_regular(path, info, max_bytes)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{path}: a symbolic link was swapped in while reading; refused.") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        _check_regular(path, os.fstat(handle.fileno()), max_bytes)  # the file opened is the file checked
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:  # EIO from /proc/self/mem, a failing disk or network share: the file's problem
            raise DataError(
                f"{path}: reading it failed ({exc.strerror or exc}); it is not an ordinary image file "
                "(a /proc or device file, or a damaged disk?). Save the image as a normal file and pass that."
            ) from None
    if len(data) > max_bytes:
        raise BudgetExceededError(f"{path}: grew past max_bytes={max_bytes} while being read.")
    return data


def _check_regular(path, info, max_bytes):
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a FIFO, device or socket?)"
        raise DataError(f"{path}: {kind}; pass image files or folders of them.")
    if info.st_size > max_bytes:
        raise BudgetExceededError(
            f"{path}: {info.st_size:,} bytes, above max_bytes={max_bytes:,}; "
            "shrink the image or raise max_bytes."
        )


def _decode(data, path, max_pixels):
    import struct

    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise BudgetExceededError(
                    f"{path}: {width}x{height} = {width * height:,} pixels, above max_pixels={max_pixels:,}; "
                    "shrink the image or raise max_pixels."
                )
            if image.format == "JPEG":
                image.draft(image.mode, (_DECODE_SIDE, _DECODE_SIDE))  # decode at 1/2..1/8 scale: fast
            image.seek(0)  # the first frame of an animation or page of a TIFF
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_array(image, path)
    except Image.DecompressionBombError:
        raise BudgetExceededError(f"{path}: Pillow refused it as a decompression bomb (too many pixels).") from None
    except Image.UnidentifiedImageError:
        raise DataError(
            f"{path}: not a readable image; expected PNG, JPEG, BMP, GIF, TIFF or WebP."
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: damaged or unsupported image ({exc}).") from None


def _to_array(image, path):
    """Pillow image → (pixels, scale), reduced to at most 1024 pixels a side."""
    from PIL import Image

    mode = image.mode
    if mode in ("1", "L", "RGB", "RGBA"):
        image, scale = image.convert("L") if mode == "1" else image, 255.0
    elif mode in ("P", "PA", "LA", "La", "RGBa"):
        image, scale = image.convert("RGBA"), 255.0
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        image, scale = image.convert("RGB"), 255.0
    elif mode.startswith("I;16") or mode in ("I", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        high = float(pixels.max()) if pixels.size else 0.0
        scale = 65535.0 if mode != "F" or high > 1 else 1.0
        if pixels.min() < 0 or high > scale:
            raise DataError(f"{path}: {mode} image with values in [{pixels.min():g}, {high:g}]; "
                            "expected 16-bit (0..65535) or floats in [0, 1].")
        image = Image.fromarray(pixels, mode="F")
    else:
        raise DataError(f"{path}: image mode {mode!r} is not supported; save it as RGB, RGBA or grey.")
    if max(image.size) > _DECODE_SIDE:
        image = image.copy()
        image.thumbnail((_DECODE_SIDE, _DECODE_SIDE), Image.Resampling.BOX)
    return np.asarray(image), scale
