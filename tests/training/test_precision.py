"""precision: bfloat16 arithmetic during a fit, float32 before and after it; "auto" follows the CPU."""

import numpy as np
import pytest
from helpers import FAST

from skdigits import CNNDigitClassifier
from skdigits._training import precision as training_precision
from skdigits._training.epochs import resolve_epochs
from skdigits._training.precision import PRECISIONS, cpu_computes_bfloat16, resolve_precision
from skdigits.utils.constraints import CLASSIFIER_CONSTRAINTS


class _DtypeRecorder:
    """Record the compute dtypes of the network's layers at every training batch (a Keras callback)."""

    def __new__(cls):
        from skdigits._training.backend import keras

        class Recorder(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seen = set()

            def on_train_batch_begin(self, batch, logs=None):
                self.seen.add(tuple((layer.name, layer.compute_dtype) for layer in self.model.layers[1:]))

        return Recorder()


def _cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    return str(path)


@pytest.mark.parametrize("flags, native", [
    ("fpu sse2 avx2 avx512f avx512_bf16", True),
    ("fpu sse2 amx_bf16 amx_tile", True),
    ("fpu sse2 avx2 avx512f avx512bw", False),
    ("", False),
])
def test_the_cpu_flags_decide_whether_bfloat16_is_native(tmp_path, monkeypatch, flags, native):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert cpu_computes_bfloat16.__wrapped__(_cpuinfo(tmp_path, flags)) is native


def test_without_cpuinfo_or_with_onednn_off_bfloat16_is_not_native(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert cpu_computes_bfloat16.__wrapped__(str(tmp_path / "absent")) is False
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert cpu_computes_bfloat16.__wrapped__(_cpuinfo(tmp_path, "avx512_bf16")) is False


@pytest.mark.parametrize("native, gpus, expected", [
    (True, [], "bfloat16"), (True, ["GPU:0"], "float32"), (False, [], "float32")])
def test_auto_is_bfloat16_only_on_a_native_cpu_without_a_gpu(monkeypatch, native, gpus, expected):
    from skdigits._training.backend import tf

    monkeypatch.setattr(training_precision, "cpu_computes_bfloat16", lambda: native)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus)
    assert resolve_precision("auto") == expected
    assert resolve_precision("float32") == "float32" and resolve_precision("bfloat16") == "bfloat16"


def test_the_constraint_lists_the_precisions():
    assert CLASSIFIER_CONSTRAINTS["precision"][0].options == set(PRECISIONS)
    with pytest.raises(ValueError, match="precision"):
        CNNDigitClassifier(**FAST, precision="float16").fit(np.zeros((4, 8, 8, 1), "float32"), [0, 1, 0, 1])


def test_auto_epochs_are_10_in_bfloat16_from_40000_images():
    assert resolve_epochs("auto", 42_000, "bfloat16") == 10
    assert resolve_epochs("auto", 42_000, "float32") == 8
    assert resolve_epochs("auto", 8_000, "bfloat16") == resolve_epochs("auto", 8_000, "float32") == 15
    counts = [resolve_epochs("auto", n, "bfloat16") for n in range(10_000, 40_001, 100)]
    assert counts[0] == 15 and counts[-1] == 10 and all(0 <= a - b <= 1 for a, b in zip(counts, counts[1:]))


def test_a_bfloat16_fit_trains_in_bfloat16_and_leaves_a_float32_network(small_images):
    X, y = small_images
    recorder = _DtypeRecorder()
    clf = CNNDigitClassifier(**{**FAST, "epochs": 8}, augment=True, precision="bfloat16", callbacks=[recorder])
    clf.fit(X, y)
    (during,) = recorder.seen
    during = dict(during)
    assert during.pop("augment") == during.pop("probabilities") == "float32"
    assert set(during.values()) == {"bfloat16"}, during
    assert {layer.compute_dtype for layer in clf.model_.layers} == {"float32"}
    assert {w.dtype for w in clf.model_.weights} == {"float32"}
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float32 and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert clf.score(X, y) > 0.3  # it learned (chance is 0.1)


def test_a_bfloat16_fit_is_seeded_and_differs_from_a_float32_one(small_images):
    X, y = small_images
    first, again = (CNNDigitClassifier(**FAST, precision="bfloat16").fit(X, y).predict_proba(X) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    float32 = CNNDigitClassifier(**FAST, precision="float32").fit(X, y).predict_proba(X)
    assert not np.array_equal(first, float32)


def test_a_float32_fit_never_leaves_float32(small_images):
    X, y = small_images
    recorder = _DtypeRecorder()
    CNNDigitClassifier(**FAST, precision="float32", callbacks=[recorder]).fit(X, y)
    assert {dtype for seen in recorder.seen for _, dtype in seen} == {"float32"}


def test_an_error_inside_a_bfloat16_fit_leaves_the_network_float32(small_images):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST, precision="bfloat16").fit(X, y)
    with pytest.raises(RuntimeError, match="boom"), training_precision.training_precision(clf.model_, "bfloat16"):
        assert "bfloat16" in {layer.compute_dtype for layer in clf.model_.layers}
        raise RuntimeError("boom")
    assert {layer.compute_dtype for layer in clf.model_.layers} == {"float32"}
    clf.partial_fit(X, y)  # and trains on: partial_fit switches it again, and back
    assert {layer.compute_dtype for layer in clf.model_.layers} == {"float32"}
