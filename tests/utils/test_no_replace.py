"""rename_no_replace: nothing at the target is ever replaced, not even an empty folder that appears late."""

import errno
import os

import pytest

from skdigits.utils import no_replace
from skdigits.utils.no_replace import kernel_refuses_replacing, rename_no_replace


def make(kind, path, elsewhere):
    if kind == "file":
        path.write_text("theirs")
    elif kind == "empty folder":
        path.mkdir()
    elif kind == "symlink":
        path.symlink_to(elsewhere)
    else:
        path.symlink_to(elsewhere / "missing")


@pytest.fixture(params=["kernel", "check-then-rename"])
def way(request, monkeypatch):
    if request.param == "kernel":
        if not kernel_refuses_replacing():
            pytest.skip("this C library has no rename that refuses an existing target")

        def no_fallback(*args):  # a file system without the flag would otherwise pass as the kernel's refusal
            raise AssertionError("fell back to os.rename")

        monkeypatch.setattr(os, "rename", no_fallback)
    else:
        monkeypatch.setattr(no_replace, "_kernel_rename", lambda: None)
    return request.param


@pytest.mark.parametrize("kind", ["file", "empty folder", "symlink", "dangling symlink"])
def test_refuses_anything_at_the_target(tmp_path, way, kind):
    source, target, elsewhere = tmp_path / "new", tmp_path / "target", tmp_path / "elsewhere"
    source.mkdir()
    (source / "saved_model.pb").write_text("ours")
    elsewhere.mkdir()
    make(kind, target, elsewhere)
    with pytest.raises(FileExistsError):
        rename_no_replace(str(source), str(target))
    assert (source / "saved_model.pb").read_text() == "ours"
    assert os.path.lexists(target) and os.listdir(elsewhere) == []
    assert target.is_symlink() == (kind.endswith("symlink"))


def test_renames_onto_a_free_name(tmp_path, way):
    source, target = tmp_path / "new", tmp_path / "target"
    source.mkdir()
    rename_no_replace(str(source), str(target))
    assert target.is_dir() and not source.exists()


def test_other_failures_are_os_errors_naming_both_paths(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="missing.* -> .*target"):
        rename_no_replace(str(tmp_path / "missing"), str(tmp_path / "target"))


def test_a_kernel_call_that_fails_otherwise_falls_back_to_check_then_rename(tmp_path, monkeypatch):
    # A sandbox that forbids renameat2 (EPERM), a file system without the flag (EINVAL): os.rename decides.
    monkeypatch.setattr(no_replace, "_kernel_rename", lambda: lambda source, target: errno.EPERM)
    source, target = tmp_path / "new", tmp_path / "target"
    source.mkdir()
    rename_no_replace(str(source), str(target))
    assert target.is_dir()
    source.mkdir()
    with pytest.raises(FileExistsError):
        rename_no_replace(str(source), str(target))


@pytest.mark.parametrize("which", ["source", "target"])
def test_a_null_byte_is_refused_not_cut_short(tmp_path, which):
    source, target = tmp_path / "new", tmp_path / "target"
    source.mkdir()
    paths = {"source": str(source), "target": str(target)}
    paths[which] += "\0x"
    with pytest.raises(ValueError, match="null byte"):
        rename_no_replace(paths["source"], paths["target"])
    assert source.is_dir() and not target.exists()


def test_the_kernel_refuses_even_when_a_check_would_have_passed(tmp_path, monkeypatch):
    # The race os.rename leaves open: the target is free when checked, then an empty folder appears.
    if not kernel_refuses_replacing():
        pytest.skip("this C library has no rename that refuses an existing target")
    source, target = tmp_path / "new", tmp_path / "target"
    source.mkdir()
    target.mkdir()
    monkeypatch.setattr(os.path, "lexists", lambda path: False)
    with pytest.raises(FileExistsError):
        rename_no_replace(str(source), str(target))
    assert source.is_dir() and target.is_dir()


def test_glibc_2_28_and_newer_offer_the_kernel_rename():
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
    except (ValueError, OSError, AttributeError):
        pytest.skip("not the GNU C library")
    if tuple(map(int, version.split(".")[:2])) < (2, 28):  # the release that added renameat2
        pytest.skip(f"{name} {version} predates renameat2")
    assert kernel_refuses_replacing()
