"""format='onnx' when tf2onnx or onnx is missing, or installed but failing to import: a message saying what to do."""

import sys

import pytest

from skdigits.exceptions import InvalidParameterError
from skdigits.export import onnx_file
from skdigits.export.onnx_file import require_onnx


class FailingImport:
    """A meta-path finder under which importing ``name`` fails as a mismatched install does."""

    def __init__(self, name, error):
        self.name, self.error = name, error

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.name:
            raise self.error
        return None


@pytest.mark.parametrize("missing", ["onnx", "tf2onnx"])
def test_a_missing_extra_names_the_extra(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(InvalidParameterError, match=r"pip install 'skdigits\[export\]'"):
        require_onnx()


def test_onnx_too_new_for_tensorflows_ml_dtypes_names_the_onnx_that_fits(monkeypatch):
    # What onnx 1.19.0 does beside ml-dtypes 0.3 (TensorFlow 2.16's pin): AttributeError, not ImportError.
    monkeypatch.delitem(sys.modules, "onnx", raising=False)
    monkeypatch.setattr(sys, "meta_path", [FailingImport("onnx", AttributeError(
        "module 'ml_dtypes' has no attribute 'float4_e2m1fn'")), *sys.meta_path])
    monkeypatch.setattr(onnx_file, "_installed_versions", lambda: {
        "onnx": "1.19.0", "tf2onnx": "1.17.0", "ml-dtypes": "0.3.2", "tensorflow": "2.16.1"})
    with pytest.raises(InvalidParameterError) as caught:
        require_onnx()
    message = str(caught.value)
    assert "float4_e2m1fn" in message and "onnx 1.19.0" in message and "ml-dtypes 0.3.2" in message
    assert message.endswith("pip install 'onnx==1.17.*'")


@pytest.mark.parametrize("versions", [
    {"onnx": "1.18.0", "tf2onnx": "1.17.0", "ml-dtypes": "0.3.2", "tensorflow": "2.16.1"},
    {"onnx": "1.19.0", "tf2onnx": "1.17.0", "ml-dtypes": "0.5.1", "tensorflow": "2.21.0"},
    {"onnx": "1.19.0", "tf2onnx": "1.17.0", "ml-dtypes": None, "tensorflow": None},
])
def test_another_broken_install_points_to_pip_check(versions):
    message = onnx_file._broken_install_message(ImportError("cannot import name 'x'"), versions)
    assert "cannot import name 'x'" in message and "onnx==1.17" not in message
    assert "`pip check`" in message


def test_a_missing_dependency_of_onnx_is_not_called_a_missing_extra(monkeypatch):
    monkeypatch.delitem(sys.modules, "onnx", raising=False)
    error = ModuleNotFoundError("No module named 'google.protobuf'", name="google.protobuf")
    monkeypatch.setattr(sys, "meta_path", [FailingImport("onnx", error), *sys.meta_path])
    with pytest.raises(InvalidParameterError, match="fail to import here .*google.protobuf.*pip check"):
        require_onnx()
