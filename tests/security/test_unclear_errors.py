"""Must-have 6 of issue 23: the unclear errors become skdigits errors naming the input and the fix; zip64 as
security.rst says.
"""

import io
import os
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from skdigits import DigitImageTransformer, load_model, load_predictor, save_model
from skdigits.exceptions import (
    BudgetExceededError,
    DataError,
    InvalidParameterError,
    SkdigitsError,
    UnsafeModelError,
)
from skdigits.images.files import list_image_files, load_digit_images, read_image

X = np.zeros((2, 784), np.uint8)


def test_a_budget_beyond_any_c_size_is_an_invalid_parameter_not_an_overflow(tmp_path):
    Image.new("L", (10, 10)).save(tmp_path / "x.png")
    for call in (load_digit_images, read_image):
        with pytest.raises(InvalidParameterError, match=r"'max_bytes' parameter of \w+ must be an int in the range "
                                                        r"\[1, 9223372036854775806\]. Got 1267650600228229401"):
            call(tmp_path / "x.png", max_bytes=2**100)
    with pytest.raises(InvalidParameterError, match="max_pixels"):
        load_digit_images(tmp_path / "x.png", max_pixels=2**64)


@pytest.mark.parametrize("path", ["digit\x00.png", b"digit\x00.png", "folder/\x00/x.png"])
def test_a_nul_in_an_image_path_is_a_data_error_naming_it(path):
    for call in (load_digit_images, read_image, list_image_files):
        with pytest.raises(DataError, match=r"digit\\x00\.png|folder/\\x00/x\.png") as info:
            call(path)
        assert "NUL character" in str(info.value) and "real path" in str(info.value)


def test_a_nul_in_a_model_path_is_an_unsafe_model_error_naming_it():
    for load in (load_model, load_predictor):
        with pytest.raises(UnsafeModelError, match=r"'model\\x00\.skdigits': a path cannot contain a NUL"):
            load("model\x00.skdigits")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlink_loop_in_an_image_folder_is_a_data_error_naming_the_link(tmp_path):
    image = np.full((30, 30), 220, np.uint8)
    image[5:25, 13:17] = 20
    Image.fromarray(image).save(tmp_path / "real.png")
    os.symlink(tmp_path / "b.png", tmp_path / "a.png")
    os.symlink(tmp_path / "a.png", tmp_path / "b.png")
    with pytest.raises(DataError, match=r"a\.png: cannot follow the link .*symbolic link loop") as info:
        load_digit_images(tmp_path)
    assert not isinstance(info.value, OSError)
    with pytest.raises(DataError, match=r"a\.png: cannot read it .*symbolic link loop"):
        read_image(tmp_path / "a.png")  # named directly
    with pytest.raises(UnsafeModelError, match=r"a\.png: cannot read it"):
        load_predictor(tmp_path / "a.png")


# ---------------------------------------------------------------- zip64, as security.rst says
@pytest.fixture(scope="module")
def members(tmp_path_factory):
    path = save_model(DigitImageTransformer().fit(X), tmp_path_factory.mktemp("zip64") / "t.skdigits")
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_zip64_extra_fields_are_accepted_as_numpy_writes_them(members, tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, w=np.zeros(3, np.float32))
    local = buffer.getvalue()
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    assert struct.unpack("<H", local[30 + name_length:32 + name_length])[0] == 1  # NumPy's own zip64 extra field
    path = tmp_path / "zip64_members.skdigits"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            with archive.open(name, "w", force_zip64=True) as f:
                f.write(data)
    for load in (load_model, load_predictor):
        assert isinstance(load(path), DigitImageTransformer)


def test_a_zip64_extra_field_declaring_a_huge_member_is_refused_by_the_byte_budget(members, tmp_path):
    data = members["manifest.json"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("manifest.json", data)
    raw = bytearray(archive.getvalue())
    # The central directory entry: sizes 0xFFFFFFFF, and a zip64 extra field declaring 1 TiB uncompressed.
    at = raw.index(b"PK\x01\x02")
    name_length, extra_length, comment_length = struct.unpack("<HHH", raw[at + 28:at + 34])
    assert extra_length == 0
    compressed = struct.unpack("<L", raw[at + 20:at + 24])[0]
    raw[at + 20:at + 28] = b"\xff" * 8
    extra = struct.pack("<HHQQ", 1, 16, 1 << 40, compressed)
    raw[at + 30:at + 32] = struct.pack("<H", len(extra))
    end = at + 46 + name_length
    raw[end:end] = extra
    eocd = raw.rindex(b"PK\x05\x06")
    size = struct.unpack("<L", raw[eocd + 12:eocd + 16])[0]
    raw[eocd + 12:eocd + 16] = struct.pack("<L", size + len(extra))
    path = tmp_path / "huge.skdigits"
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as check:
        assert check.getinfo("manifest.json").file_size == 1 << 40  # zipfile reads the zip64 field...
    for load in (load_model, load_predictor):  # ...and the budget refuses it before inflating
        with pytest.raises(BudgetExceededError, match="MAX_ARCHIVE_BYTES"):
            load(path)


def test_a_zip64_archive_record_is_refused(members, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    raw = archive.getvalue()
    eocd = raw.rindex(b"PK\x05\x06")
    entries, directory_size, directory_at = struct.unpack("<HLL", raw[eocd + 10:eocd + 20])
    record = struct.pack("<4sQHHLLQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 2**40, 2**40, directory_size, directory_at)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd, 1)
    path = tmp_path / "zip64.skdigits"
    path.write_bytes(raw[:eocd] + record + locator + raw[eocd:])
    for load in (load_model, load_predictor):
        with pytest.raises(UnsafeModelError, match="multi-disk or zip64 archive, which skdigits never writes"):
            load(path)


def test_every_error_here_is_a_skdigits_error():
    assert issubclass(DataError, SkdigitsError) and issubclass(UnsafeModelError, SkdigitsError)
