"""Hostile format-1 model files (a Keras .keras network in the zip): HDF5 features are refused before reading.

Format 1 networks are read from their HDF5 weights alone: soft, external and
virtual links, external storage (on a FIFO too), extra or missing datasets,
wrong dtypes and non-finite weights are refused by both loaders, and a
Lambda layer in the network's config is never built.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
from helpers import TINY, refused, small_digits, with_inner, write_zip, zip_members

from skdigits import CNNDigitClassifier, load_model, load_predictor, save_model
from skdigits.exceptions import LegacyFormatWarning

LOADERS = [load_model, load_predictor]
V1_NETWORK = "estimator.keras"
V1_WEIGHT = "layers/dense_1/vars/1"  # the output layer's bias: 10 float32


@pytest.fixture(scope="module")
def digits():
    return small_digits()


@pytest.fixture(scope="module")
def classifier(digits):
    return CNNDigitClassifier(**TINY).fit(*digits)


def _save_v1(classifier, path):
    """Write ``classifier`` as skdigits' format 1 did: a Keras .keras network in the zip."""
    from skdigits._training.compile import without_optimizer
    from skdigits.persistence.manifest import labels_to_json, params_to_json
    from skdigits.persistence.reader import installed_versions

    keras_path = path.parent / "network.keras"
    without_optimizer(classifier.model_).save(keras_path)
    classes = labels_to_json(classifier.classes_)
    manifest = {
        "format": "skdigits-model", "format_version": 1, "versions": installed_versions(),
        "estimator": {"class": "CNNDigitClassifier", "params": params_to_json(classifier.get_params()), "fitted": {
            "n_features_in_": classifier.n_features_in_, "image_shape_": list(classifier.image_shape_),
            "network": V1_NETWORK, "classes_": {"dtype": classifier.classes_.dtype.str, "values": classes["values"]},
            "history_": classifier.history_, "seed": int(classifier._seed)}},
        "networks": [V1_NETWORK],
    }
    return write_zip(path, {"manifest.json": json.dumps(manifest).encode(), V1_NETWORK: keras_path.read_bytes()})


@pytest.fixture(scope="module")
def legacy(classifier, tmp_path_factory):
    return _save_v1(classifier, tmp_path_factory.mktemp("v1") / "legacy.skdigits")


def _with_weights(src, dst, edit):
    """Copy a format-1 file, letting ``edit(h5py_file)`` change its network's model.weights.h5."""
    import h5py

    def edit_parts(parts):
        weights = dst.parent / "weights.h5"
        weights.write_bytes(parts["model.weights.h5"])
        with h5py.File(weights, "r+") as file:
            edit(file)
        parts["model.weights.h5"] = weights.read_bytes()
    return with_inner(src, dst, V1_NETWORK, edit_parts)


def test_a_format_1_file_loads_with_a_warning_and_predicts_the_same(legacy, classifier, digits):
    from skdigits.calibration import scale_probabilities

    X, _ = digits
    # Format 1 had no temperature: its files load with the network's own probabilities (temperature 1).
    network_own = scale_probabilities(classifier.predict_proba(X), 1 / classifier.temperature_)
    for load in LOADERS:
        with pytest.warns(LegacyFormatWarning, match="version 1 of the safe format.*save it again") as record:
            model = load(legacy)
        assert record[0].filename == __file__
        np.testing.assert_allclose(model.predict_proba(X), network_own, rtol=0, atol=1e-5)
        np.testing.assert_array_equal(model.predict(X), classifier.predict(X))
    # Saved again, it is format 2 and loads without the warning.
    again = save_model(model if isinstance(model, CNNDigitClassifier) else load_model(legacy), legacy.parent / "v2")
    with warnings.catch_warnings():
        warnings.simplefilter("error", LegacyFormatWarning)
        np.testing.assert_allclose(load_model(again).predict_proba(X), network_own, rtol=0, atol=1e-5)


def _replace(name, make):
    def edit(file):
        del file[name]
        make(file, name)
    return edit


def test_external_storage_that_would_read_a_local_file_isrefused(legacy, tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(10, dtype="<f4").tobytes())
    evil = _with_weights(legacy, tmp_path / "evil.skdigits", _replace(V1_WEIGHT, lambda f, n: f.create_dataset(
        n, shape=(10,), dtype="<f4", external=[(str(secret), 0, 40)])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        refused(evil, match="external storage")


def _in_subprocess(code, cwd, timeout=120):
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_model_or_as_external_target_is_refused_without_hanging(legacy, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    evil = _with_weights(legacy, tmp_path / "evil.skdigits", _replace(V1_WEIGHT, lambda f, n: f.create_dataset(
        n, shape=(10,), dtype="<f4", external=[(str(fifo), 0, 40)])))
    virtual = _with_weights(legacy, tmp_path / "virtual.skdigits", _replace(V1_WEIGHT, _virtual(fifo)))
    # In a child with a timeout: a hang fails the test instead of blocking the suite.
    out = _in_subprocess(f"""
        import warnings
        from skdigits import load_joblib, load_model, load_predictor
        from skdigits.exceptions import UnsafeModelError
        warnings.simplefilter("ignore")
        for path, loaders in [({str(fifo)!r}, (load_predictor, load_model, load_joblib)),
                              ({str(evil)!r}, (load_predictor, load_model)),
                              ({str(virtual)!r}, (load_predictor, load_model))]:
            for load in loaders:
                try:
                    load(path)
                except UnsafeModelError as exc:
                    print(type(exc).__name__, str(exc).splitlines()[0][:200])
        """, tmp_path)
    lines = out.splitlines()
    assert len(lines) == 7, out
    assert all("FIFO" in line for line in lines[:3]), out
    assert all("external storage" in line for line in lines[3:5]) and all("virtual" in line for line in lines[5:]), out


@pytest.mark.parametrize("attack, match", [
    ("soft link", "SoftLink.*never follows"),
    ("external link", "ExternalLink.*never follows"),
    ("virtual dataset", "virtual"),
    ("huge declared shape", r"float32\[1000000000\] where the architecture needs float32\[10\]|chunked"),
    ("float64 weights", r"float64\[10\] where the architecture needs float32\[10\]"),
    ("extra dataset", "which its architecture does not have"),
    ("missing dataset", "lacks the weights"),
    ("NaN weights", f"the array '{V1_WEIGHT}' of the network 'estimator.keras' holds 10 NaN or infinite weights"),
    ("never written, NaN fill value", f"the array '{V1_WEIGHT}' .* holds 10 NaN or infinite weights"),
])
def test_hdf5_features_of_legacy_networks_are_refused_before_reading(legacy, tmp_path, attack, match):
    import h5py

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["data"] = np.ones(10, dtype="<f4")
    makers = {
        "soft link": lambda f, n: f.__setitem__(n, h5py.SoftLink("/layers/dense/vars/0")),
        "external link": lambda f, n: f.__setitem__(n, h5py.ExternalLink(str(other), "/data")),
        "virtual dataset": _virtual(other),
        # Chunks never written: h5py would allocate 4 GB to read it.
        "huge declared shape": lambda f, n: f.create_dataset(n, shape=(10 ** 9,), dtype="<f4", chunks=(1024,)),
        "float64 weights": lambda f, n: f.create_dataset(n, data=np.zeros(10)),
        "extra dataset": lambda f, n: (f.create_dataset(n, data=np.zeros(10, "<f4")),
                                       f.create_dataset("layers/extra", data=np.zeros(3, "<f4"))),
        "missing dataset": lambda f, n: None,
        "NaN weights": lambda f, n: f.create_dataset(n, data=np.full(10, np.nan, "<f4")),
        # Contiguous and never allocated: HDF5 reads it as its fill value.
        "never written, NaN fill value": lambda f, n: f.create_dataset(n, shape=(10,), dtype="<f4", fillvalue=np.nan),
    }
    evil = _with_weights(legacy, tmp_path / "evil.skdigits", _replace(V1_WEIGHT, makers[attack]))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        refused(evil, match=match)
    assert time.perf_counter() - start < 30


def _virtual(source):
    import h5py

    def make(file, name):
        layout = h5py.VirtualLayout(shape=(10,), dtype="<f4")
        layout[:] = h5py.VirtualSource(str(source), "data", shape=(10,))
        file.create_virtual_dataset(name, layout)
    return make


def test_a_legacy_lambda_network_is_never_built(legacy, tmp_path):
    """Format 1's config.json is never parsed: a network with a Lambda layer cannot run, only be refused."""
    from skdigits._training.backend import keras

    marker = tmp_path / "pwned"
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Lambda(eval(f"lambda t: (open({str(marker)!r}, 'w'), t)[1]"))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x)))
    model.save(tmp_path / "evil.keras")
    marker.unlink()  # Keras ran the lambda once while building the model
    members = zip_members(legacy)
    members[V1_NETWORK] = (tmp_path / "evil.keras").read_bytes()
    evil = write_zip(tmp_path / "evil.skdigits", members)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        refused(evil, match="lacks the weights|does not have|where the architecture needs")
    assert not marker.exists()
