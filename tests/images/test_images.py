"""load_digit_images and read_image: image files of users' digits, read as hostile input."""

import io
import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.pipeline import Pipeline

from skdigits.exceptions import BudgetExceededError, DataError, InvalidParameterError
from skdigits.images.files import as_model_input, list_image_files, load_digit_images, predict_image_files, read_image
from skdigits.images.normalize import DigitNormalizer
from skdigits.preprocessing import DigitImageTransformer


@pytest.fixture(scope="module")
def digits():
    """Ten real MNIST digits (28x28 uint8), one per class, from the embedded sample."""
    from skdigits.datasets.digit_recognizer import load_sample

    X, y = load_sample()
    X, y = X.to_numpy().reshape(-1, 28, 28).astype(np.uint8), y.to_numpy()
    return np.stack([X[np.flatnonzero(y == k)[0]] for k in range(10)])


def paper(digit, factor=5):
    """Dark ink on light paper, scaled up and off-centre in a larger sheet (grey uint8)."""
    side = 28 * factor
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), np.float32) / 255
    sheet = np.zeros((side + 60, side + 100), np.float32)
    sheet[50:50 + side, 20:20 + side] = np.clip(ink, 0, 1)
    return np.round(235 - 200 * sheet).astype(np.uint8)


def correlation(a, b):
    return float(np.corrcoef(np.asarray(a, float).ravel(), np.asarray(b, float).ravel())[0, 1])


def expected(digit):
    return DigitNormalizer().transform(digit[np.newaxis])[0]


@pytest.mark.parametrize("suffix, save", [
    (".png", {}), (".jpg", {"quality": 90}), (".bmp", {}), (".gif", {}), (".tif", {}), (".webp", {"quality": 90}),
])
def test_every_accepted_format_reads_as_the_digit(tmp_path, digits, suffix, save):
    path = tmp_path / f"three{suffix}"
    Image.fromarray(paper(digits[3])).save(path, **save)
    (out,) = load_digit_images(path)
    assert out.dtype == np.uint8 and out.shape == (28, 28)
    assert correlation(out, expected(digits[3])) > 0.9


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P", "P+transparency", "CMYK", "1", "I;16"])
def test_image_modes_are_converted(tmp_path, digits, mode):
    grey = Image.fromarray(paper(digits[2]))
    if mode == "I;16":
        image = Image.fromarray(paper(digits[2]).astype(np.uint16) * 257)
        assert image.mode.startswith("I;16")
    elif mode == "P+transparency":
        image = grey.convert("P")
        image.info["transparency"] = int(np.asarray(image)[0, 0])  # the paper's palette entry is transparent
    elif mode == "1":
        image = grey.convert("1", dither=Image.Dither.NONE)  # a thresholded scan (a dithered one reads as noise)
    else:
        image = grey.convert(mode)
    path = tmp_path / ("image.tif" if mode == "CMYK" else "image.png")
    image.save(path, **({"transparency": image.info["transparency"]} if "transparency" in image.info else {}))
    (out,) = load_digit_images(path)
    assert correlation(out, expected(digits[2])) > 0.85


def test_rgba_canvas_export_reads_from_alpha(tmp_path, digits):
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = np.asarray(Image.fromarray(digits[5]).resize((280, 280), Image.Resampling.BICUBIC))
    Image.fromarray(rgba, "RGBA").save(tmp_path / "canvas.png")
    assert correlation(load_digit_images(tmp_path / "canvas.png")[0], digits[5]) > 0.9


def test_animated_gif_gives_its_first_frame(tmp_path, digits):
    frames = [Image.fromarray(paper(digits[1])), Image.fromarray(paper(digits[0]))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(tmp_path / "anim.gif") as check:
        assert check.n_frames == 2
    (out,) = load_digit_images(tmp_path / "anim.gif")
    assert correlation(out, expected(digits[1])) > 0.9
    assert correlation(out, expected(digits[0])) < 0.5


def test_exif_orientation_is_applied(tmp_path, digits):
    image = Image.fromarray(np.rot90(paper(digits[7]), k=1).copy())  # stored rotated, as a phone does
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image.save(tmp_path / "phone.jpg", exif=exif, quality=92)
    (out,) = load_digit_images(tmp_path / "phone.jpg")
    assert correlation(out, expected(digits[7])) > 0.9


def test_large_photo_is_reduced_while_decoding(tmp_path, digits):
    Image.fromarray(paper(digits[4], factor=90)).save(tmp_path / "big.jpg", quality=85)  # 2,580 x 2,620
    pixels, scale = read_image(tmp_path / "big.jpg")
    assert max(pixels.shape) <= 1024 and scale == 255.0
    assert correlation(load_digit_images(tmp_path / "big.jpg")[0], expected(digits[4])) > 0.9


def test_folder_expands_to_sorted_image_files_only(tmp_path, digits):
    for k in (3, 1, 2):
        Image.fromarray(paper(digits[k])).save(tmp_path / f"digit_{k}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"not read")
    (tmp_path / "sub.png").mkdir()
    Image.fromarray(paper(digits[9])).save(tmp_path / "sub.png" / "deeper.png")
    images, paths = load_digit_images(tmp_path, return_paths=True)
    assert [p.name for p in paths] == ["digit_1.png", "digit_2.png", "digit_3.png"]
    for image, k in zip(images, (1, 2, 3)):
        assert correlation(image, expected(digits[k])) > 0.9


def test_files_and_folders_mix_in_the_order_given(tmp_path, digits):
    (tmp_path / "dir").mkdir()
    Image.fromarray(paper(digits[6])).save(tmp_path / "dir" / "a.png")
    Image.fromarray(paper(digits[8])).save(tmp_path / "b.jpg")
    _, paths = load_digit_images([tmp_path / "b.jpg", str(tmp_path / "dir")], return_paths=True)
    assert [p.name for p in paths] == ["b.jpg", "a.png"]


def test_empty_folder_and_empty_list_are_refused(tmp_path):
    with pytest.raises(DataError, match="folder holds no image files"):
        load_digit_images(tmp_path)
    with pytest.raises(DataError, match="no image files given"):
        load_digit_images([])


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        load_digit_images(tmp_path / "nope.png")


def test_blank_image_file_is_refused_naming_it(tmp_path):
    Image.new("L", (200, 200), 240).save(tmp_path / "blank.png")
    with pytest.raises(DataError, match=r"blank\.png has no ink"):
        load_digit_images(tmp_path / "blank.png")


def test_noise_image_file_is_refused_naming_it(tmp_path):
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (150, 150), dtype=np.uint8)).save(tmp_path / "noise.png")
    with pytest.raises(DataError, match=r"noise\.png looks like noise"):
        load_digit_images(tmp_path / "noise.png")


@pytest.mark.parametrize("content", [b"hello, not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b""])
def test_not_an_image_is_named(tmp_path, content):
    (tmp_path / "fake.png").write_bytes(content)
    with pytest.raises(DataError, match=r"fake\.png: (not a readable image|damaged)"):
        load_digit_images(tmp_path / "fake.png")


def test_truncated_png_is_named(tmp_path, digits):
    buffer = io.BytesIO()
    Image.fromarray(paper(digits[3])).save(buffer, "PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(DataError, match=r"cut\.png: damaged"):
        load_digit_images(tmp_path / "cut.png")


def test_other_formats_are_not_decoded_even_with_an_image_suffix(tmp_path, digits):
    Image.fromarray(paper(digits[3])).save(tmp_path / "really_ppm.png", format="PPM")
    with pytest.raises(DataError, match="expected PNG, JPEG, BMP, GIF, TIFF or WebP"):
        load_digit_images(tmp_path / "really_ppm.png")


def _png_header_only(width, height):
    """A PNG that declares width x height and holds almost nothing: a decompression bomb's header."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_pixel_budget_is_checked_before_decoding(tmp_path):
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30_000, 30_000))  # 900 megapixels in 60 bytes
    with pytest.raises(BudgetExceededError, match=r"bomb\.png.*(max_pixels|decompression bomb)"):
        load_digit_images(tmp_path / "bomb.png")
    (tmp_path / "wide.png").write_bytes(_png_header_only(4000, 3000))
    with pytest.raises(BudgetExceededError, match=r"4000x3000 = 12,000,000 pixels, above max_pixels=1,000,000"):
        load_digit_images(tmp_path / "wide.png", max_pixels=1_000_000)


def test_byte_budget_is_checked_before_reading(tmp_path, digits):
    Image.fromarray(paper(digits[3])).save(tmp_path / "d.png")
    with pytest.raises(BudgetExceededError, match=r"d\.png: .* bytes, above max_bytes=100"):
        load_digit_images(tmp_path / "d.png", max_bytes=100)


def test_file_count_budget_is_checked_before_reading(tmp_path):
    for i in range(4):
        (tmp_path / f"{i}.png").write_bytes(b"never read")
    with pytest.raises(BudgetExceededError, match="more than max_images=3"):
        load_digit_images(tmp_path, max_images=3)
    assert len(list_image_files(tmp_path, max_images=4)) == 4


@pytest.mark.parametrize("name, value", [("max_bytes", 0), ("max_pixels", -1), ("max_images", 1.5)])
def test_bad_budgets_are_refused(tmp_path, name, value):
    Image.new("L", (10, 10)).save(tmp_path / "x.png")
    with pytest.raises(InvalidParameterError, match=name):
        load_digit_images(tmp_path / "x.png", **{name: value})


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    outcome = {}

    def load():
        try:
            load_digit_images(tmp_path / "pipe.png")
        except DataError as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "reading a FIFO blocked"
    assert "not a regular file" in outcome["error"]


def test_device_is_refused():
    with pytest.raises(DataError, match="/dev/null: not a regular file"):
        load_digit_images("/dev/null")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc/self/mem")
def test_unreadable_file_is_a_data_error_naming_it(tmp_path):
    # /proc/self/mem is a 'regular' file of size 0 whose read at offset 0 fails with EIO.
    os.symlink("/proc/self/mem", tmp_path / "procmem.png")
    with pytest.raises(DataError, match=r"procmem\.png: reading it failed \(Input/output error\).*normal file"):
        read_image(tmp_path / "procmem.png")
    with pytest.raises(FileNotFoundError):  # a missing file stays a FileNotFoundError
        read_image(tmp_path / "missing.png")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinks_in_a_folder_may_not_lead_out_of_it(tmp_path, digits):
    outside, folder = tmp_path / "outside", tmp_path / "folder"
    outside.mkdir()
    folder.mkdir()
    Image.fromarray(paper(digits[3])).save(outside / "secret.png")
    Image.fromarray(paper(digits[1])).save(folder / "real.png")
    os.symlink(folder / "real.png", folder / "alias.png")  # inside the folder: read
    assert len(load_digit_images(folder)) == 2
    os.symlink(outside / "secret.png", folder / "leak.png")
    with pytest.raises(DataError, match=r"leak\.png: a symbolic link out of its folder"):
        load_digit_images(folder)
    # A link the user names directly is followed: the user chose it.
    assert correlation(load_digit_images(folder / "leak.png")[0], expected(digits[3])) > 0.9


def test_read_image_returns_raw_pixels_and_scale(tmp_path):
    Image.fromarray(np.full((5, 7, 3), 9, np.uint8)).save(tmp_path / "rgb.png")
    pixels, scale = read_image(tmp_path / "rgb.png")
    assert pixels.shape == (5, 7, 3) and pixels.dtype == np.uint8 and scale == 255.0


def test_as_model_input_matches_how_the_model_was_fitted(digits):
    X = digits.reshape(10, -1)
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(784)])
    pipe = Pipeline([("images", DigitImageTransformer())]).fit(frame)
    laid_out = as_model_input(pipe, digits)
    assert isinstance(laid_out, pd.DataFrame) and list(laid_out.columns) == list(frame.columns)
    assert np.array_equal(laid_out.to_numpy(), X)
    bare = DigitImageTransformer(scale=1.0).fit(X / 255.0)  # stands in for a bare classifier: reads [0, 1]
    scaled = as_model_input(bare, digits)
    assert scaled.dtype == np.float32 and scaled.max() <= 1.0 and np.allclose(scaled * 255, digits, atol=1e-3)
    small = Pipeline([("images", DigitImageTransformer())]).fit(np.zeros((2, 64)))
    with pytest.raises(DataError, match="reads 64 pixels per image"):
        as_model_input(small, digits)


def test_predict_image_files_gives_file_label_and_probability(tmp_path, digits):
    class Scores:
        """Stands in for a model: 'predicts' the class whose MNIST digit the image matches best."""

        classes_ = np.arange(10)

        def __init__(self, references):
            self.references = references.reshape(10, -1).astype(float)

        def predict_proba(self, X):
            X = np.asarray(X, float).reshape(len(X), -1)
            scores = np.array([[np.corrcoef(x, r)[0, 1] for r in self.references] for x in X])
            e = np.exp(10 * scores)
            return e / e.sum(axis=1, keepdims=True)

    for k in (4, 7):
        Image.fromarray(paper(digits[k])).save(tmp_path / f"d{k}.png")
    model = Scores(DigitNormalizer().transform(digits))
    rows = predict_image_files(model, tmp_path)
    assert [(Path(r["file"]).name, r["label"]) for r in rows] == [("d4.png", 4), ("d7.png", 7)]
    assert all(isinstance(r["label"], int) and 0.1 < r["probability"] <= 1 for r in rows)
    (tmp_path / "d9.png").write_text("not an image")
    with pytest.raises(DataError, match=r"d9\.png: not a readable image"):
        predict_image_files(model, tmp_path)
