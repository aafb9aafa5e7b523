"""Where an export writes: an ONNX file as every skdigits output, a SavedModel only as a new folder."""

import os

import pytest

from skdigits import export_model
from skdigits.exceptions import OutputPathError


@pytest.fixture(scope="module")
def onnx_ready():
    pytest.importorskip("tf2onnx", reason="the export extra is not installed: pip install 'skdigits[export]'")


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith(".tmp-")]


def test_onnx_refuses_a_folder_and_a_symlink_to_one(pipeline, tmp_path, onnx_ready):
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "folder")
    for name in ("folder", "link"):
        with pytest.raises(OutputPathError, match="it is a folder"):
            export_model(pipeline, tmp_path / name)
    assert os.listdir(tmp_path / "folder") == [] and leftovers(tmp_path) == []


def test_onnx_replaces_a_regular_file_whole(pipeline, tmp_path, onnx_ready):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    export_model(pipeline, target)
    assert target.read_bytes()[:2] != b"ol" and target.stat().st_size > 1000
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["folder", "empty folder", "file", "symlink", "dangling symlink"])
def test_a_saved_model_never_replaces_or_writes_through_anything(pipeline, tmp_path, kind):
    target, elsewhere = tmp_path / "model", tmp_path / "elsewhere"
    elsewhere.mkdir()
    if kind == "folder":
        target.mkdir()
        (target / "keep.txt").write_text("mine")
    elif kind == "empty folder":
        target.mkdir()  # os.rename would replace an empty folder: it must be refused before
    elif kind == "file":
        target.write_text("mine")
    elif kind == "symlink":
        target.symlink_to(elsewhere)
    else:
        target.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputPathError, match="it exists"):
        export_model(pipeline, target, format="savedmodel")
    assert os.listdir(elsewhere) == [] and leftovers(tmp_path) == []
    if kind == "folder":
        assert os.listdir(target) == ["keep.txt"]


def test_a_saved_model_needs_its_parent_folder(pipeline, tmp_path):
    with pytest.raises(OutputPathError, match="does not exist"):
        export_model(pipeline, tmp_path / "missing" / "model", format="savedmodel")


def test_a_failed_saved_model_leaves_nothing(pipeline, tmp_path, monkeypatch):
    from skdigits._training.backend import keras

    def write_out(self, filepath, *args, **kwargs):
        os.makedirs(os.path.join(filepath, "variables"), exist_ok=True)  # half-written, then a failure
        raise RuntimeError("disk full")

    # ExportArchive() makes an instance of the backend's own subclass: patch that.
    monkeypatch.setattr(type(keras.export.ExportArchive()), "write_out", write_out)
    with pytest.raises(RuntimeError, match="disk full"):
        export_model(pipeline, tmp_path / "model", format="savedmodel")
    assert os.listdir(tmp_path) == []


def test_a_saved_model_folder_is_complete_and_readable_by_others(pipeline, tmp_path):
    target = export_model(pipeline, tmp_path / "model", format="savedmodel")
    assert (target / "saved_model.pb").is_file() and (target / "variables").is_dir()
    assert leftovers(tmp_path) == []
    assert target.stat().st_mode & 0o777 == 0o777 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_saved_model_never_replaces_a_folder_that_appears_while_it_is_written(pipeline, tmp_path, monkeypatch):
    from skdigits._training.backend import keras
    from skdigits.utils.no_replace import kernel_refuses_replacing

    if not kernel_refuses_replacing():
        pytest.skip("this C library has no rename that refuses an existing target")
    archive_type = type(keras.export.ExportArchive())
    target = tmp_path / "model"

    def write_out_then_someone_creates_the_target(self, filepath, *args, **kwargs):
        os.makedirs(os.path.join(filepath, "variables"))  # stands in for a written SavedModel
        target.mkdir()
        # ... just after any check could have looked: only the rename itself can still refuse.
        monkeypatch.setattr(os.path, "lexists", lambda path: False)

    monkeypatch.setattr(archive_type, "write_out", write_out_then_someone_creates_the_target)
    with pytest.raises(OutputPathError, match="appeared while the SavedModel was written"):
        export_model(pipeline, target, format="savedmodel")
    assert os.listdir(target) == [] and leftovers(tmp_path) == []
