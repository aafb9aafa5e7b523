"""Class 2 of issue 23, as an attacker would try it: image shapes and modes that cost gigabytes within the pixel budget.

A 146 KB PNG of 1 x 49,999,999 16-bit grey pixels is within the 50 M-pixel
budget and peaked at 2.4 GB. Each file here is crafted to declare such a
shape; the refusal must come from the header, before a pixel is decoded,
which tracemalloc and the (absent) time show. The real peaks were measured
outside the suite (see the security page); here, the estimate that guards
them is checked against every mode at the budget's edge.
"""

import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from skdigits.exceptions import BudgetExceededError
from skdigits.images.decoding import decoding_bytes, pixel_bytes
from skdigits.images.files import load_digit_images, read_image
from skdigits.images.normalize import DigitNormalizer, normalize_digit, normalizer_bytes
from skdigits.utils.limits import MAX_IMAGE_ASPECT, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

# PNG colour type, bit depth
MODES = {"grey16": (0, 16), "grey8": (0, 8), "grey+alpha": (4, 8), "grey+alpha16": (4, 16), "rgba16": (6, 16),
         "rgba8": (6, 8), "palette": (3, 8), "rgb16": (2, 16)}


def _png(width, height, colour, depth):
    """A PNG that declares width x height in the given mode, holding almost nothing: a header to refuse."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))]
    if colour == 3:
        parts.append(chunk(b"PLTE", bytes(range(256)) * 3))
    return b"".join(parts + [chunk(b"IDAT", zlib.compress(b"\x00" * 64)), chunk(b"IEND", b"")])


def _refused_from_header(call, match):
    tracemalloc.start()
    try:
        with pytest.raises(BudgetExceededError, match=match) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} bytes allocated before the refusal: pixels were decoded"
    return str(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width, height", [(1, 49_999_999), (49_999_999, 1), (700, 71_000)])
def test_a_strip_within_the_pixel_budget_is_refused_from_its_header(tmp_path, mode, width, height):
    path = tmp_path / f"strip_{mode}.png"
    path.write_bytes(_png(width, height, *MODES[mode]))
    assert path.stat().st_size < 4096 and width * height < MAX_IMAGE_PIXELS
    message = _refused_from_header(lambda: load_digit_images(path), "MAX_IMAGE_ASPECT=100")
    assert message.startswith(str(path)) and f"{width}x{height}" in message
    assert "Crop it to the digit" in message  # what to do
    _refused_from_header(lambda: read_image(path), "MAX_IMAGE_ASPECT")


def test_the_byte_budget_is_checked_before_decoding_when_the_pixel_budget_is_raised(tmp_path):
    path = tmp_path / "big_rgba.png"
    path.write_bytes(_png(9_000, 9_000, 6, 8))  # 81 M pixels of RGBA (under Pillow's own 89 M): 650 MB to reduce
    message = _refused_from_header(lambda: load_digit_images(path, max_pixels=10**8), "MAX_IMAGE_BYTES=512 MiB")
    assert "9000x9000" in message and "8-bit grey" in message
    path.write_bytes(_png(9_000, 9_000, 3, 8))  # a palette: 1 byte a pixel in the file, 4 + 4 once converted
    _refused_from_header(lambda: read_image(path, max_pixels=10**8), "MAX_IMAGE_BYTES")


def test_the_pixel_budget_still_speaks_first(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png(1, 60_000_000, 0, 16))  # over the pixel budget and the aspect ratio: the pixels are named
    _refused_from_header(lambda: load_digit_images(path), "above max_pixels=50,000,000")


def test_every_mode_at_the_edge_of_the_budgets_fits_the_byte_budget():
    side = int(MAX_IMAGE_PIXELS ** 0.5)  # the largest square image within the pixel budget
    tallest = (int((MAX_IMAGE_PIXELS / MAX_IMAGE_ASPECT) ** 0.5), int((MAX_IMAGE_PIXELS * MAX_IMAGE_ASPECT) ** 0.5))
    for mode in ("1", "L", "P", "I;16", "I;16B", "LA", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "F"):
        for width, height in [(side, side), tallest, tallest[::-1]]:
            assert decoding_bytes(mode, width, height) <= MAX_IMAGE_BYTES, (mode, width, height)
    # ...and the estimate counts what each mode costs: 16-bit grey twice 8-bit grey, alpha its premultiplied copy.
    assert pixel_bytes("I;16") == 2 * pixel_bytes("L") and pixel_bytes("LA") == pixel_bytes("RGBA") == 4
    assert decoding_bytes("P", side, side) > 8 * side * side > decoding_bytes("I;16", side, side) > 2 * side * side
    assert decoding_bytes("RGBA", 2000, 2000) - decoding_bytes("RGB", 2000, 2000) == 4 * 2000 * 2000


def test_a_real_image_within_the_budgets_is_still_read(tmp_path):
    image = np.full((1200, 3000), 200, np.uint8)  # a wide photo: reduced to 1024 pixels a side while decoding
    image[300:900, 1400:1550] = 20
    Image.fromarray(image).convert("LA").save(tmp_path / "wide.png")
    Image.fromarray(image.astype(np.uint16) * 257).save(tmp_path / "wide16.png")
    digits = load_digit_images(tmp_path)
    assert digits.shape == (2, 28, 28) and np.abs(digits[0].astype(int) - digits[1]).max() <= 8
    assert digits[0, 14, 14] > 200  # a "1" in the middle


def test_the_normaliser_refuses_an_array_over_the_byte_budget_before_any_copy():
    huge = np.broadcast_to(np.uint8(200), (7000, 7000, 4))  # 49 M RGBA pixels, no memory: 1.3 GB of float32 copies
    assert normalizer_bytes(*huge.shape) > MAX_IMAGE_BYTES
    _refused_from_header(lambda: DigitNormalizer().fit_transform([huge]), r"image 0: 7000x7000 .*MAX_IMAGE_BYTES")
    # the same pixels in grey: 245 MB, within the budget
    assert normalizer_bytes(7000, 7000, 1) < MAX_IMAGE_BYTES


def test_the_normaliser_refuses_an_extreme_aspect_ratio_as_the_file_reader_does():
    strip = np.broadcast_to(np.uint8(200), (1, 5_000_000))
    _refused_from_header(lambda: normalize_digit(strip), "image: 5000000x1 pixels.*MAX_IMAGE_ASPECT=100")
    with pytest.raises(BudgetExceededError, match="MAX_IMAGE_ASPECT"):
        DigitNormalizer().transform([np.zeros((2, 300), np.uint8)])
