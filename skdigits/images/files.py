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
  decompression bomb is refused before its pixels are inflated);
- neither side is more than ``MAX_IMAGE_ASPECT`` (100) times the other (a
  1 x 50,000,000 strip costs the decoder memory per row, and holds no digit);
- the memory that decoding it needs, from its mode's bytes per pixel
  (1 for grey and palette, 2 for 16-bit grey, 4 for grey+alpha, RGB, RGBA
  and 32-bit modes, as Pillow stores them) and its conversion, is within
  ``MAX_IMAGE_BYTES`` (512 MiB).

Decoded images are converted and reduced to at most 1024 pixels a side
in Pillow, one copy at a time, so the normaliser works on at most a
megapixel. Within these budgets no image peaks above about 700 MB.

File names in messages have their control characters escaped
(:func:`skdigits.utils.terminal.printable`).

Symbolic links: a path you name is yours, so a link you name is followed.
A folder expands to the image files directly in it (not in sub-folders),
sorted by name; a link inside it is read only if it resolves to a file
inside that same folder, and refused otherwise, so a folder you were sent
cannot make skdigits read a file elsewhere.
"""

import errno
import os
import stat
from pathlib import Path

import numpy as np

from skdigits.exceptions import BudgetExceededError, DataError, DataTypeError
from skdigits.images.decoding import decode
from skdigits.images.normalize import normalize_digit
from skdigits.utils.constraints import IMAGE_FILE_CONSTRAINTS, validate
from skdigits.utils.limits import MAX_IMAGE_PIXELS
from skdigits.utils.terminal import printable

__all__ = [
    "load_digit_images", "predict_image_files", "list_image_files", "read_image", "as_model_input", "IMAGE_SUFFIXES",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MAX_BYTES = 20 * 2**20  # a large phone photo is 5-10 MB
MAX_PIXELS = MAX_IMAGE_PIXELS  # 50 megapixels: any phone camera; Pillow's own default warns at 89 M
MAX_IMAGES = 10_000


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
    _check_params("load_digit_images", polarity=polarity, return_paths=return_paths, max_bytes=max_bytes,
                  max_pixels=max_pixels, max_images=max_images)
    files = list_image_files(paths, max_images=max_images)
    out = np.zeros((len(files), 28, 28), dtype=np.uint8)
    for i, (path, folder) in enumerate(files):
        pixels, scale = _read(path, folder, max_bytes=max_bytes, max_pixels=max_pixels)
        out[i] = normalize_digit(pixels, scale=scale, polarity=polarity, where=_name(path))
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
    skdigits.exceptions.InvalidParameterError
        If a budget or ``polarity`` is not valid, or ``budgets`` holds another name.
    """
    unknown = sorted(set(budgets) - (set(IMAGE_FILE_CONSTRAINTS) - {"return_paths"}))
    if unknown:
        from skdigits.utils.constraints import ParameterError

        raise ParameterError(f"predict_image_files got unexpected arguments {unknown}; it takes max_bytes, "
                             "max_pixels, max_images and polarity.")
    _check_params("predict_image_files", **budgets)
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
    _check_params("list_image_files", max_images=max_images)
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    try:
        paths = [_as_path(p) for p in paths]
    except TypeError:
        raise DataTypeError(f"paths must be a path or a list of paths, not {type(paths).__name__}.") from None
    files = []
    for path in paths:
        info = _stat(path, "No such image file or folder")
        if stat.S_ISDIR(info.st_mode):
            try:
                names = sorted(os.listdir(path))
            except OSError as exc:
                raise _os_error(path, exc, "list the folder") from None
            found = [(path / name, path) for name in names
                     if not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES)]
            found = [(p, folder) for p, folder in found if not os.path.isdir(p)]
            if not found:
                raise DataError(f"{_name(path)}: folder holds no image files ({', '.join(IMAGE_SUFFIXES)}).")
            files.extend(found)
        else:
            files.append((path, None))
        if len(files) > max_images:
            raise BudgetExceededError(
                f"more than max_images={max_images} image files to read (at {_name(path)}); "
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
    _check_params("read_image", max_bytes=max_bytes, max_pixels=max_pixels)
    try:
        path = _as_path(path)
    except TypeError:
        raise DataTypeError(f"path must be a path, not {type(path).__name__}.") from None
    return _read(path, None, max_bytes=max_bytes, max_pixels=max_pixels)


def _check_params(caller, **params):
    """The shared constraints of :mod:`skdigits.utils.constraints` (DigitNormalizer and the CLI use them too)."""
    validate({name: IMAGE_FILE_CONSTRAINTS[name] for name in params}, params, caller)


def _name(path):
    """A path as messages show it: control characters escaped, so a file name cannot forge output."""
    return printable(os.fsdecode(path) if isinstance(path, bytes) else str(path))


def _as_path(value):
    """``value`` as a Path, refusing a NUL character (which no file name can hold) with a DataError."""
    text = os.fsdecode(value)
    if "\0" in text:
        raise DataError(f"{_name(text)}: a path cannot contain a NUL character (\\0); the name was cut or "
                        "built wrongly. Pass the file's real path.")
    return Path(text)


def _os_error(path, exc, doing):
    """An OSError about ``path`` (other than a missing file or a permission) as a DataError that names it."""
    if isinstance(exc, PermissionError):
        return exc
    advice = {errno.ELOOP: "a symbolic link loop (or a chain of too many links); fix or remove the link",
              errno.ENAMETOOLONG: "its name is too long for the file system; rename it",
              errno.ENOTDIR: "a part of the path before its end is not a folder"}.get(
        exc.errno, "pass an ordinary image file or folder")
    return DataError(f"{_name(path)}: cannot {doing} ({exc.strerror or exc}): {advice}.")


def _stat(path, missing):
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, missing, str(path)) from None
    except OSError as exc:
        raise _os_error(path, exc, "read it") from None


def _read(path, folder, *, max_bytes, max_pixels):
    data = _read_bytes(path, folder, max_bytes)
    return decode(data, _name(path), max_pixels)


def _read_bytes(path, folder, max_bytes):
    """The file's bytes, refusing special files, links out of ``folder`` and files over budget."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if folder is not None and os.path.islink(path):
        try:
            target = os.path.realpath(path, strict=True)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "No such image file (a dangling symbolic link)", str(path)) from None
        except OSError as exc:  # ELOOP: a -> b -> a
            raise _os_error(path, exc, "follow the link") from None
        if os.path.dirname(target) != os.path.realpath(folder):
            raise DataError(
                f"{_name(path)}: a symbolic link out of its folder {_name(folder)}; skdigits reads links in a "
                "folder only when they point inside it. Copy the file in, or name it directly."
            )
        path = Path(target)
    if folder is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    info = _stat(path, "No such image file")
    _check_regular(path, info, max_bytes)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{_name(path)}: a symbolic link was swapped in while reading; refused.") from None
        raise _os_error(path, exc, "open it") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _check_regular(path, info, max_bytes)  # the file opened is the file checked
        try:  # its size and one byte more (to see it grow), not max_bytes: read() allocates what it is asked
            data = handle.read(min(info.st_size, max_bytes) + 1)
        except OSError as exc:  # EIO from /proc/self/mem, a failing disk or network share: the file's problem
            raise DataError(
                f"{_name(path)}: reading it failed ({exc.strerror or exc}); it is not an ordinary image file "
                "(a /proc or device file, or a damaged disk?). Save the image as a normal file and pass that."
            ) from None
    if len(data) > max_bytes:
        raise BudgetExceededError(f"{_name(path)}: grew past max_bytes={max_bytes} while being read.")
    return data


def _check_regular(path, info, max_bytes):
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a FIFO, device or socket?)"
        raise DataError(f"{_name(path)}: {kind}; pass image files or folders of them.")
    if info.st_size > max_bytes:
        raise BudgetExceededError(
            f"{_name(path)}: {info.st_size:,} bytes, above max_bytes={max_bytes:,}; "
            "shrink the image or raise max_bytes."
        )


#: EXIF orientation → the transposition that undoes it (what ImageOps.exif_transpose applies).
