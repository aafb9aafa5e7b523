"""``skdigits export``: a saved model in, an ONNX file or a SavedModel out, errors on one line."""

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_one_line_error, exit_code

from skdigits import make_digit_pipeline, save_model


@pytest.fixture(scope="module")
def model_file(pipeline, tmp_path_factory):
    return str(save_model(pipeline, tmp_path_factory.mktemp("saved") / "model.skdigits"))


def test_export_onnx_gives_predict_proba(model_file, pipeline, digits, tmp_path, capsys):
    onnxruntime = pytest.importorskip("onnxruntime", reason="the export extra is not installed")
    pytest.importorskip("tf2onnx", reason="the export extra is not installed")
    output = tmp_path / "digits.onnx"
    assert exit_code(["export", "--model", model_file, "--output", str(output), "--quiet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["files"] == [str(output)] and result["format"] == "onnx" and result["classes"] == list(range(10))
    assert result["output"] == {"name": "probabilities", "dtype": "float32", "shape": [None, 10]}
    assert result["input"] == {"name": "pixels", "dtype": "float32", "shape": [None, 784]}
    X_test = digits[2]
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    proba = session.run(["probabilities"], {"pixels": X_test})[0]
    assert np.abs(proba - pipeline.predict_proba(X_test)).max() < 1e-5


def test_export_savedmodel_defaults_to_the_output_folder(model_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert exit_code(["export", "--model", model_file, "--format", "savedmodel", "--output-dir", str(out)]) == 0
    captured = capsys.readouterr()
    assert (out / "model_savedmodel" / "saved_model.pb").is_file()
    assert "input 'pixels' float32 (n, 784)" in captured.out and "Loading model" in captured.err
    # Again: the folder exists now, and is never replaced.
    assert exit_code(["export", "--model", model_file, "--format", "savedmodel", "--output-dir", str(out)]) == 2
    assert_one_line_error(capsys.readouterr().err, "model_savedmodel", "it exists")


def test_the_output_is_checked_before_the_model_is_loaded(tmp_path, capsys):
    (tmp_path / "folder.onnx").mkdir()
    missing = str(tmp_path / "missing.skdigits")
    assert exit_code(["export", "--model", missing, "--output", str(tmp_path / "folder.onnx"), "-q"]) == 2
    assert_one_line_error(capsys.readouterr().err, "it is a folder")
    assert exit_code(["export", "--model", missing, "--output", str(tmp_path / "m.onnx"), "-q"]) == 2
    assert_one_line_error(capsys.readouterr().err, "missing.skdigits")


def test_the_model_file_is_never_its_own_output(model_file, tmp_path, capsys):
    before = Path(model_file).read_bytes()
    assert exit_code(["export", "--model", model_file, "--output", model_file, "-q"]) == 2
    assert_one_line_error(capsys.readouterr().err, "the model file itself")
    assert Path(model_file).read_bytes() == before


# The safe format holds only what export_model takes (its writer refuses a DigitNormalizer), so an unfitted
# model is the one refusal that `skdigits export` can meet; tests/export/test_export_refusals.py has the rest.
def test_an_unfitted_model_is_one_line(tmp_path, capsys):
    unfitted = str(save_model(make_digit_pipeline(), tmp_path / "unfitted.skdigits"))
    assert exit_code(["export", "--model", unfitted, "--format", "savedmodel", "--output-dir", str(tmp_path),
                      "-q"]) == 2
    assert_one_line_error(capsys.readouterr().err, "unfitted.skdigits", "saved unfitted", "skdigits train")
    assert not (tmp_path / "model_savedmodel").exists()
