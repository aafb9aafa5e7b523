"""Decoding an image file's bytes with Pillow within budgets: pixels, aspect and working memory, from the header.

Used by :mod:`skdigits.images.files`, which has already checked the file and read its bytes.
"""

import io

import numpy as np

from skdigits.exceptions import BudgetExceededError, DataError
from skdigits.images.normalize import check_image_size

__all__ = ["decode", "decoding_bytes", "pixel_bytes"]

_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP")
_DECODE_SIDE = 1024  # larger images are reduced while decoding: the digit ends up 20x20 anyway

_ORIENTATION = 0x0112
_TRANSPOSES = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
               7: "TRANSVERSE", 8: "ROTATE_90"}
_FLOAT_MODES = ("I", "F")  # and I;16, I;16B, I;16L...
_TO_RGBA = ("P", "PA", "LA", "La", "RGBa")
_TO_RGB = ("CMYK", "YCbCr", "LAB", "HSV", "RGBX")


def pixel_bytes(mode):
    """Bytes per pixel of an image of this Pillow ``mode`` in memory (Pillow keeps every multi-band mode in 4)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def decoding_bytes(mode, width, height):
    """The memory :func:`read_image` needs to decode, convert and reduce a ``width`` x ``height`` image.

    The decoded image (:func:`pixel_bytes` of its ``mode``), then at most
    one converted copy alive with it (palette, grey+alpha and the like
    become RGBA; 1-bit becomes grey; CMYK and the like become RGB), then
    the premultiplied copy Pillow makes to reduce an image with alpha; and
    Pillow's row pointers, the decoder's row buffers and the reduction's
    intermediate (at most 2048 x 2048). 16-bit and float images are reduced
    as they are, and converted once small.

    Parameters
    ----------
    mode : str
        The Pillow mode the file decodes to.
    width, height : int
        Its size once decoded (after a JPEG's draft).

    Returns
    -------
    int
        Bytes, checked against ``MAX_IMAGE_BYTES`` before decoding.
    """
    pixels = width * height
    decoded = pixel_bytes(mode) * pixels
    converted = 4 * pixels if mode in _TO_RGBA + _TO_RGB else pixels if mode == "1" else 0
    alpha = mode == "RGBA" or mode in _TO_RGBA
    premultiplied = 4 * pixels if alpha and max(width, height) > _DECODE_SIDE else 0
    peak = max(decoded + converted, (converted or decoded) + premultiplied)
    return peak + 32 * height + 16 * width + 4 * (2 * _DECODE_SIDE) ** 2


def decode(data, name, max_pixels):
    """Decode an image file's ``data`` to a NumPy array, reduced to at most 1024 pixels a side.

    Returns the array and the reduction's scale; a budget broken, or bytes Pillow cannot read, raise a
    skdigits error that starts with ``name``.
    """
    import struct

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as image:
            check_image_size(*image.size, name, max_pixels=max_pixels)  # pixels and aspect, from the header
            if image.format == "JPEG":
                image.draft(image.mode, (_DECODE_SIDE, _DECODE_SIDE))  # decode at 1/2..1/8 scale: fast
            check_image_size(*image.size, name, max_pixels=max_pixels,
                             working_bytes=decoding_bytes(image.mode, *image.size))
            image.seek(0)  # the first frame of an animation or page of a TIFF
            image.load()
            check_image_size(*image.size, name, max_pixels=max_pixels,  # a frame may decode to another mode
                             working_bytes=decoding_bytes(image.mode, *image.size))
            orientation = image.getexif().get(_ORIENTATION)  # phone photos: applied once the image is small
            small, scale = _reduced(image, name)
            transpose = _TRANSPOSES.get(orientation)
            if transpose is not None:
                small = small.transpose(getattr(Image.Transpose, transpose))
            return np.asarray(small), scale
    except Image.DecompressionBombError:
        raise BudgetExceededError(f"{name}: Pillow refused it as a decompression bomb (too many pixels).") from None
    except Image.UnidentifiedImageError:
        raise DataError(
            f"{name}: not a readable image; expected PNG, JPEG, BMP, GIF, TIFF or WebP."
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{name}: damaged or unsupported image ({exc}).") from None


def _reduced(image, name):
    """Decoded Pillow image → (Pillow image of at most 1024 pixels a side in L, RGB, RGBA or F, scale).

    One copy at a time: a converted image replaces (and closes) the decoded
    one, and 16-bit and float images are reduced before they become float32.
    """
    from PIL import Image

    mode, scale = image.mode, 255.0
    if mode in ("1",) + _TO_RGBA + _TO_RGB:
        converted = image.convert("L" if mode == "1" else "RGBA" if mode in _TO_RGBA else "RGB")
        image.close()  # frees the decoded pixels before the reduction's copies
        image = converted
    elif mode.startswith("I;16") or mode in _FLOAT_MODES:
        low, high = image.getextrema()
        scale = 65535.0 if mode != "F" or high > 1 else 1.0
        if low < 0 or high > scale:
            raise DataError(f"{name}: {mode} image with values in [{low:g}, {high:g}]; "
                            "expected 16-bit (0..65535) or floats in [0, 1].")
    elif mode not in ("L", "RGB", "RGBA"):
        raise DataError(f"{name}: image mode {mode!r} is not supported; save it as RGB, RGBA or grey.")
    if max(image.size) > _DECODE_SIDE:  # in place: the full image is freed. Pillow's reduce() lacks 16-bit modes
        gap = None if image.mode.startswith("I;16") else 2.0
        image.thumbnail((_DECODE_SIDE, _DECODE_SIDE), Image.Resampling.BOX, reducing_gap=gap)
    if scale != 255.0:
        image = image.convert("F")
    return image, scale
