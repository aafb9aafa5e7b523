"""The exported graphs compute predict_proba: ONNX run by onnxruntime, and the SavedModel's serving signature."""

import json

import numpy as np
import pytest

from skdigits import export_model, load_model, save_model

TOLERANCE = 1e-5


def run_onnx(path, pixels):
    """The ONNX file's probabilities for ``pixels``, with onnxruntime; and the session, for its metadata."""
    onnxruntime = pytest.importorskip("onnxruntime", reason="the export extra is not installed: "
                                                            "pip install 'skdigits[export]'")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"pixels": pixels})[0], session


def run_saved_model(path, pixels):
    import tensorflow as tf

    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    return serve(pixels=tf.constant(pixels))["probabilities"].numpy()


@pytest.fixture(scope="module")
def onnx_ready():
    pytest.importorskip("tf2onnx", reason="the export extra is not installed: pip install 'skdigits[export]'")
    pytest.importorskip("onnxruntime", reason="the export extra is not installed: pip install 'skdigits[export]'")


def test_the_temperature_matters_for_these_models(pipeline, digits):
    """Otherwise the comparisons below could not tell a graph that leaves it out."""
    from skdigits._training.loop import predict_in_blocks

    X_test = digits[2]
    classifier = pipeline[-1]
    assert abs(classifier.temperature_ - 1) > 0.05
    raw = predict_in_blocks(classifier.model_, X_test.reshape(-1, 28, 28, 1) / np.float32(255))
    assert np.abs(raw - pipeline.predict_proba(X_test)).max() > 100 * TOLERANCE
    assert any(layer.name == "augment" for layer in classifier.model_.layers)  # the export must leave it out


def test_onnx_gives_predict_proba_of_the_pipeline_on_raw_pixels(pipeline, digits, tmp_path, onnx_ready):
    X_test = digits[2]
    path = export_model(pipeline, tmp_path / "digits.onnx")
    assert path == tmp_path / "digits.onnx"
    proba, session = run_onnx(path, X_test)
    [given], [answer] = session.get_inputs(), session.get_outputs()
    assert (given.name, given.type, given.shape) == ("pixels", "tensor(float)", ["n", 784])
    assert (answer.name, answer.shape) == ("probabilities", ["n", 10])
    expected = pipeline.predict_proba(X_test)
    difference = np.abs(proba - expected).max()
    print(f"max |onnx - predict_proba| = {difference:.3g}")  # pytest -s shows it
    assert difference < TOLERANCE
    assert json.loads(session.get_modelmeta().custom_metadata_map["skdigits.classes"]) == list(range(10))


def test_the_onnx_graph_holds_no_training_only_operation(pipeline, tmp_path, onnx_ready):
    import onnx

    graph = onnx.load(export_model(pipeline, tmp_path / "digits.onnx")).graph
    kinds = {node.op_type for node in graph.node}
    # The network, the scaling and the temperature; no random numbers, no image warp, no dropout.
    assert {"Conv", "MaxPool", "Div", "Log", "Exp"} <= kinds
    assert not {kind for kind in kinds if "Random" in kind or "Dropout" in kind or "GridSample" in kind}


def test_saved_model_signature_gives_predict_proba(pipeline, digits, tmp_path):
    X_test = digits[2]
    path = export_model(pipeline, tmp_path / "digits", format="savedmodel")
    difference = np.abs(run_saved_model(path, X_test) - pipeline.predict_proba(X_test)).max()
    print(f"max |savedmodel - predict_proba| = {difference:.3g}")
    assert difference < TOLERANCE


def test_a_bare_classifier_takes_the_rows_it_takes_scaled_and_flat(pipeline, digits, tmp_path, onnx_ready):
    classifier, rows = pipeline[-1], digits[2] / np.float32(255)
    proba, _ = run_onnx(export_model(classifier, tmp_path / "cnn.onnx"), rows)
    assert np.abs(proba - classifier.predict_proba(rows)).max() < TOLERANCE


def test_without_temperature_scaling_the_graph_gives_the_networks_own_probabilities(pipeline, digits, tmp_path):
    import copy

    uncalibrated = copy.copy(pipeline)
    uncalibrated.steps = [pipeline.steps[0], ("cnn", copy.copy(pipeline[-1]))]
    uncalibrated[-1].temperature_ = 1.0  # as temperature_scaling=False leaves it
    X_test = digits[2]
    served = run_saved_model(export_model(uncalibrated, tmp_path / "raw", format="savedmodel"), X_test)
    assert np.abs(served - uncalibrated.predict_proba(X_test)).max() < TOLERANCE
    assert np.abs(served - pipeline.predict_proba(X_test)).max() > 100 * TOLERANCE


def test_a_model_loaded_from_the_safe_format_exports_the_same(pipeline, digits, tmp_path, onnx_ready):
    X_test = digits[2]
    loaded = load_model(save_model(pipeline, tmp_path / "model.skdigits"))
    proba, _ = run_onnx(export_model(loaded, tmp_path / "loaded.onnx"), X_test)
    assert np.abs(proba - pipeline.predict_proba(X_test)).max() < TOLERANCE


def test_an_ensemble_averages_its_calibrated_members_in_the_order_of_classes(ensemble, digits, tmp_path,
                                                                             onnx_ready):
    X_test = digits[2]
    members = ensemble[-1].estimators_
    assert len({m.temperature_ for m in members}) == 2  # each member's own temperature, not one for all
    expected = ensemble.predict_proba(X_test)
    proba, session = run_onnx(export_model(ensemble, tmp_path / "ensemble.onnx"), X_test)
    assert np.abs(proba - expected).max() < TOLERANCE
    classes = json.loads(session.get_modelmeta().custom_metadata_map["skdigits.classes"])
    assert classes == list(ensemble.classes_) == sorted(classes) and classes[0] == "eight"
    served = run_saved_model(export_model(ensemble, tmp_path / "ensemble", format="savedmodel"), X_test)
    assert np.abs(served - expected).max() < TOLERANCE
