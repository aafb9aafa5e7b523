"""Hostile model files: each is refused with a skdigits error naming the file, fast, reading nothing else.

The files are crafted here as an attacker would: HDF5 features that read
other files (format 1), FIFOs, zip bombs, ensembles that repeat one network,
manifests with non-finite, wrongly typed or duplicated values, deep JSON,
encrypted or exotically compressed members, truncated files.
"""

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile

import numpy as np
import pytest

from skdigits import CNNDigitClassifier, load_model, load_predictor, save_model
from skdigits.exceptions import BudgetExceededError, LegacyFormatWarning, SkdigitsError, UnsafeModelError

TINY = dict(filters=(4,), kernel_sizes=3, dense_units=8, epochs=1, batch_size=32, random_state=0)
LOADERS = [load_model, load_predictor]
NETWORK = "estimator.npz"
V1_NETWORK = "estimator.keras"
V1_WEIGHT = "layers/dense_1/vars/1"  # the output layer's bias: 10 float32


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:200] / 16).astype(np.float32).reshape(-1, 8, 8, 1), y[:200]


@pytest.fixture(scope="module")
def classifier(digits):
    return CNNDigitClassifier(**TINY).fit(*digits)


@pytest.fixture(scope="module")
def saved(classifier, tmp_path_factory):
    return save_model(classifier, tmp_path_factory.mktemp("v2") / "model.skdigits")


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _with_manifest(src, dst, edit):
    """Copy a model file, letting ``edit(manifest)`` change its parsed manifest."""
    members = _members(src)
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    return _write(dst, members)


def _refused(path, error=UnsafeModelError, match=""):
    """Both loaders refuse ``path`` with ``error`` naming it; return the last message."""
    for load in LOADERS:
        with pytest.raises(error, match=match) as info:
            load(path)
        assert str(path) in str(info.value)
        assert isinstance(info.value, SkdigitsError) and isinstance(info.value, ValueError)
    return str(info.value)


# ---------------------------------------------------------------- format 1 (legacy) files and HDF5
def _save_v1(classifier, path):
    """Write ``classifier`` as skdigits' format 1 did: a Keras .keras network in the zip."""
    from skdigits.network import without_optimizer
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
    return _write(path, {"manifest.json": json.dumps(manifest).encode(), V1_NETWORK: keras_path.read_bytes()})


@pytest.fixture(scope="module")
def legacy(classifier, tmp_path_factory):
    return _save_v1(classifier, tmp_path_factory.mktemp("v1") / "legacy.skdigits")


def _with_inner(src, dst, member, edit):
    """Copy a model file, letting ``edit(parts)`` change the {name: bytes} of its inner zip ``member``."""
    members = _members(src)
    with zipfile.ZipFile(io.BytesIO(members[member])) as inner:
        parts = {n: inner.read(n) for n in inner.namelist()}
    edit(parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for name, data in parts.items():
            inner.writestr(name, data)
    members[member] = buffer.getvalue()
    return _write(dst, members)


def _with_weights(src, dst, edit):
    """Copy a format-1 file, letting ``edit(h5py_file)`` change its network's model.weights.h5."""
    import h5py

    def edit_parts(parts):
        weights = dst.parent / "weights.h5"
        weights.write_bytes(parts["model.weights.h5"])
        with h5py.File(weights, "r+") as file:
            edit(file)
        parts["model.weights.h5"] = weights.read_bytes()
    return _with_inner(src, dst, V1_NETWORK, edit_parts)


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


def test_external_storage_that_would_read_a_local_file_is_refused(legacy, tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(10, dtype="<f4").tobytes())
    evil = _with_weights(legacy, tmp_path / "evil.skdigits", _replace(V1_WEIGHT, lambda f, n: f.create_dataset(
        n, shape=(10,), dtype="<f4", external=[(str(secret), 0, 40)])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        _refused(evil, match="external storage")


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
    }
    evil = _with_weights(legacy, tmp_path / "evil.skdigits", _replace(V1_WEIGHT, makers[attack]))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        _refused(evil, match=match)
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
    from skdigits._backend import keras

    marker = tmp_path / "pwned"
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Lambda(eval(f"lambda t: (open({str(marker)!r}, 'w'), t)[1]"))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x)))
    model.save(tmp_path / "evil.keras")
    marker.unlink()  # Keras ran the lambda once while building the model
    members = _members(legacy)
    members[V1_NETWORK] = (tmp_path / "evil.keras").read_bytes()
    evil = _write(tmp_path / "evil.skdigits", members)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        _refused(evil, match="lacks the weights|does not have|where the architecture needs")
    assert not marker.exists()


# ---------------------------------------------------------------- special files
@pytest.mark.parametrize("special, kind", [("/dev/null", "character device"), ("/dev/zero", "character device")])
def test_a_device_is_refused_before_it_is_opened(special, kind):
    if not os.path.exists(special):
        pytest.skip(f"no {special}")
    _refused(special, match=kind)


def test_a_missing_file_stays_file_not_found(tmp_path):
    for load in LOADERS:
        with pytest.raises(FileNotFoundError, match="no such model file"):
            load(tmp_path / "absent.skdigits")


# ---------------------------------------------------------------- zip bombs and budgets of the archive
def _deflated_zeros(path, members, size):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        chunk = bytes(1 << 20)
        for name in members:
            with archive.open(name, "w") as f:
                for _ in range(size >> 20):
                    f.write(chunk)
    return path


def test_a_zip_bomb_of_many_deflated_members_is_refused_before_inflating(tmp_path):
    import tracemalloc

    names = [f"estimator.member{i}.npz" for i in range(3)]
    bomb = _deflated_zeros(tmp_path / "bomb.skdigits", names, 100 << 20)  # 300 MiB of zeros in ~300 KB
    assert os.path.getsize(bomb) < 2 << 20
    tracemalloc.start()
    start = time.perf_counter()
    message = _refused(bomb, BudgetExceededError, "MAX_ARCHIVE_BYTES")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "all members" in message and time.perf_counter() - start < 5
    assert peak < 50 << 20


def test_too_many_members_are_refused(tmp_path):
    _refused(_write(tmp_path / "many.skdigits", {f"m{i}": b"" for i in range(300)}), BudgetExceededError,
             "300 members .* MAX_MEMBERS=256")


def _patch_central_directory(path, name, field_offset, change):
    """Change a 2-byte field of ``name``'s outer central directory entry (offsets as in the zip specification)."""
    data = bytearray(path.read_bytes())
    at = struct.unpack_from("<L", data, data.rindex(b"PK\x05\x06") + 16)[0]
    while data[at:at + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + name_length] == name.encode():
            old = struct.unpack_from("<H", data, at + field_offset)[0]
            struct.pack_into("<H", data, at + field_offset, change(old))
            path.write_bytes(bytes(data))
            return path
        at += 46 + name_length + extra + comment
    raise AssertionError(f"{name} not found")


def test_an_encrypted_member_is_refused(saved, tmp_path):
    evil = tmp_path / "encrypted.skdigits"
    evil.write_bytes(saved.read_bytes())
    _patch_central_directory(evil, NETWORK, 8, lambda flags: flags | 0x1)
    _refused(evil, match=f"{NETWORK}' of the file is encrypted")


def test_an_unsupported_compression_method_is_refused(saved, tmp_path):
    evil = tmp_path / "lzma.skdigits"
    evil.write_bytes(saved.read_bytes())
    _patch_central_directory(evil, NETWORK, 10, lambda method: 14)  # LZMA
    _refused(evil, match="compression method 14")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_file_is_refused(saved, tmp_path, keep):
    data = saved.read_bytes()
    evil = tmp_path / "truncated.skdigits"
    evil.write_bytes(data[:int(len(data) * keep)])
    _refused(evil, match="not a zip archive|truncated|damaged")


def test_a_corrupted_member_is_refused(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    at = data.index(b"PK\x03\x04", data.index(NETWORK.encode()) - 40)
    data[at + 200:at + 400] = bytes(200)  # inside the stored .npz: CRC mismatch
    evil = tmp_path / "corrupt.skdigits"
    evil.write_bytes(bytes(data))
    _refused(evil, match="damaged|Bad CRC|header")


def test_a_file_over_the_file_budget_is_refused_before_reading(saved, tmp_path, monkeypatch):
    from skdigits.persistence import budgets

    monkeypatch.setattr(budgets, "MAX_FILE_BYTES", 1000)
    _refused(saved, BudgetExceededError, "MAX_FILE_BYTES=1,000")


# ---------------------------------------------------------------- ensembles that repeat one network
def _ensemble_manifest(saved, members):
    manifest = json.loads(_members(saved)["manifest.json"])
    member = manifest["estimator"]
    fitted = {"n_features_in_": 64, "classes_": member["fitted"]["classes_"], "members": [member] * members}
    manifest["estimator"] = {"class": "CNNEnsembleClassifier",
                             "params": {"n_estimators": members, "n_jobs": None, "random_state": 0},
                             "estimator": None, "fitted": fitted}
    return manifest


def test_an_ensemble_of_12000_members_sharing_one_network_is_refused_fast(saved, tmp_path, monkeypatch):
    from skdigits.persistence import budgets

    members = _members(saved)
    members["manifest.json"] = json.dumps(_ensemble_manifest(saved, 12_000)).encode()
    evil = _write(tmp_path / "12000.skdigits", members)
    start = time.perf_counter()
    _refused(evil, BudgetExceededError, "MAX_MANIFEST_BYTES|MAX_ENSEMBLE_MEMBERS")
    # Within a larger manifest budget, the ensemble's own budget refuses it before any member is built.
    monkeypatch.setattr(budgets, "MAX_MANIFEST_BYTES", 64 << 20)
    _refused(evil, BudgetExceededError, "12,000 items in estimator.fitted.members .*MAX_ENSEMBLE_MEMBERS=32")
    assert time.perf_counter() - start < 30  # 4 refusals; loading it took 69 s before the budgets, on an idle machine


def test_two_members_sharing_one_network_are_refused(saved, tmp_path):
    members = _members(saved)
    members["manifest.json"] = json.dumps(_ensemble_manifest(saved, 2)).encode()
    _refused(_write(tmp_path / "shared.skdigits", members), match="already another classifier's")


# ---------------------------------------------------------------- manifests: types, finiteness, names
def _set(*keys_and_value):
    *keys, value = keys_and_value

    def edit(manifest):
        node = manifest
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return edit


ESTIMATOR_FITTED = ("estimator", "fitted")


@pytest.mark.parametrize("edit, error, match", [
    (_set("estimator", "params", "dropout", float("inf")), UnsafeModelError, "Infinity, which is not a finite"),
    (_set("estimator", "params", "learning_rate", float("nan")), UnsafeModelError, "NaN, which is not a finite"),
    (_set(*ESTIMATOR_FITTED, "classes_", "values", [{"a": 1}] * 10), UnsafeModelError, r"values\[0\] is \{'a': 1\}"),
    (_set(*ESTIMATOR_FITTED, "classes_", "values", [True, False] * 5), UnsafeModelError, r"values\[0\] is True"),
    (_set(*ESTIMATOR_FITTED, "classes_", "dtype", "object"), UnsafeModelError, "int, float or str dtype only"),
    (_set(*ESTIMATOR_FITTED, "classes_", "values", [1] * 10), UnsafeModelError, "not at least 2 distinct labels"),
    (_set(*ESTIMATOR_FITTED, "image_shape_", [-8, -8]), UnsafeModelError, r"image_shape_ is -8; expected an int"),
    (_set(*ESTIMATOR_FITTED, "image_shape_", [10 ** 30, 1]), BudgetExceededError, "MAX_IMAGE_SIDE=1,024"),
    (_set(*ESTIMATOR_FITTED, "image_shape_", [4, 16]), UnsafeModelError, "does not match"),
    (_set(*ESTIMATOR_FITTED, "image_shape_", "8x8"), UnsafeModelError, r"expected \[height, width\]"),
    (_set(*ESTIMATOR_FITTED, "seed", 1.5), UnsafeModelError, "seed is 1.5; expected an int"),
    (_set(*ESTIMATOR_FITTED, "history_", {"loss": ["x"]}), UnsafeModelError, "expected a finite number"),
    (_set(*ESTIMATOR_FITTED, "network", "architecture", "dense_units", 9), UnsafeModelError,
     "architecture does not match"),
    (_set(*ESTIMATOR_FITTED, "network", "architecture", "dense_units", 10 ** 9), BudgetExceededError,
     "MAX_DENSE_UNITS"),
    (_set(*ESTIMATOR_FITTED, "network", "architecture", "filters", [4, 4]), UnsafeModelError,
     "1 kernel sizes|does not match"),
    (_set(*ESTIMATOR_FITTED, "network", "file", "other.npz"), UnsafeModelError, "'other.npz' is missing"),
    (_set(*ESTIMATOR_FITTED, "surprise", 1), UnsafeModelError, r"has unknown keys \['surprise'\]"),
    (_set("estimator", "params", "dense_units", 10 ** 6), BudgetExceededError, "MAX_DENSE_UNITS"),
    (_set("estimator", "params", "filters", [4, [4]]), UnsafeModelError, "nests lists|'filters' parameter"),
    (_set("estimator", "params", "epochs", 0), UnsafeModelError, "epochs"),
    (_set("estimator", "params", "epochs", True), UnsafeModelError, "epochs"),
    (_set("format_version", 3), UnsafeModelError, "format version 3 is not one this skdigits reads"),
    (_set("format_version", True), UnsafeModelError, "format version True"),
    (_set("versions", {"keras": {"a": 1}}), UnsafeModelError, "expected a string"),
    (_set("networks", [NETWORK, NETWORK]), UnsafeModelError, "lists a network more than once"),
])
def test_manifest_values_are_type_checked(saved, tmp_path, edit, error, match):
    evil = _with_manifest(saved, tmp_path / "evil.skdigits", edit)
    _refused(evil, error, match)


def test_a_network_over_the_parameter_budget_is_refused_before_allocating(saved, tmp_path):
    """Each size is within its own budget, but 1024x1024 images make a dense kernel of 4 billion floats."""
    def edit(manifest):
        fitted = manifest["estimator"]["fitted"]
        fitted.update(image_shape_=[1024, 1024], n_features_in_=1024 * 1024)
        fitted["network"]["architecture"]["image_shape"] = [1024, 1024]
        manifest["estimator"]["params"]["dense_units"] = 1024
        fitted["network"]["architecture"]["dense_units"] = 1024
    start = time.perf_counter()
    _refused(_with_manifest(saved, tmp_path / "huge.skdigits", edit), BudgetExceededError,
             r"1,073,753,138 parameters in the network .* MAX_PARAMETERS=67,108,864")
    assert time.perf_counter() - start < 5


def test_duplicate_pipeline_steps_and_json_keys_are_refused(classifier, digits, tmp_path):
    from sklearn.pipeline import Pipeline

    from skdigits import DigitImageTransformer

    X, y = digits
    pipe = Pipeline([("images", DigitImageTransformer(scale=1.0)), ("cnn", CNNDigitClassifier(**TINY))]).fit(X, y)
    path = save_model(pipe, tmp_path / "pipe.skdigits")
    evil = _with_manifest(path, tmp_path / "steps.skdigits", lambda m: m["estimator"]["steps"][0].update(name="cnn"))
    _refused(evil, match="invalid step names")
    members = _members(path)
    text = members["manifest.json"].decode()
    members["manifest.json"] = text.replace('"format": "skdigits-model",',
                                            '"format": "skdigits-model", "format": "skdigits-model",').encode()
    _refused(_write(tmp_path / "keys.skdigits", members), match=r"repeats the keys \['format'\]")


@pytest.mark.parametrize("text, error, match", [
    ("[" * 100_000 + "]" * 100_000, BudgetExceededError, "100,000 levels of nesting.*MAX_JSON_DEPTH=32"),
    ('{"format": "skdigits-model", "x": 1e400}', UnsafeModelError, "overflows to infinity"),
    ('{"format": "skdigits-model", "x": -Infinity}', UnsafeModelError, "-Infinity, which is not a finite"),
    ('{"format": "skdigits-model", "x": ' + "9" * 5000 + "}", UnsafeModelError, "not valid JSON"),
    ('{"format": "skdigits-model", "x": "\\ud800\xff"}', UnsafeModelError, "not UTF-8|not valid JSON"),
    ("not json", UnsafeModelError, "not valid JSON"),
])
def test_hostile_json_is_refused_without_a_traceback(saved, tmp_path, text, error, match):
    members = _members(saved)
    members["manifest.json"] = text.encode("utf-8", "surrogatepass") if "\\ud800" not in text else \
        text.encode("latin-1")
    _refused(_write(tmp_path / "json.skdigits", members), error, match)


def test_a_manifest_over_its_budget_is_refused_before_inflating(saved, tmp_path):
    members = _members(saved)
    members["manifest.json"] = b" " * (5 << 20)
    _refused(_write(tmp_path / "big.skdigits", members), BudgetExceededError, "MAX_MANIFEST_BYTES")


# ---------------------------------------------------------------- network arrays
def _with_npz(src, dst, edit):
    """Copy a model file, letting ``edit(parts)`` change its network's {``.npy`` name: bytes}."""
    return _with_inner(src, dst, NETWORK, edit)


def _npy(array_or_header, data=b""):
    if isinstance(array_or_header, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, array_or_header, allow_pickle=True)
        return buffer.getvalue()
    header = array_or_header.encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


BIAS = "probabilities/bias.npy"


@pytest.mark.parametrize("edit, match", [
    (lambda p: p.pop(BIAS), r"lacks the arrays \['probabilities/bias.npy'\]"),
    (lambda p: p.update({"extra.npy": p[BIAS]}), r"unexpected members \['extra.npy'\]"),
    (lambda p: p.update({BIAS: _npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }")}),
     r"declares|float32\[1000000000\] where the architecture needs float32\[10\]"),
    (lambda p: p.update({BIAS: _npy(np.zeros(10))}), r"float64\[10\] where the architecture needs float32\[10\]"),
    (lambda p: p.update({BIAS: _npy(np.array([None] * 10, dtype=object))}), "object"),
    (lambda p: p.update({BIAS: _npy(np.zeros((10, 1), "<f4"))}), r"float32\[10, 1\] where"),
    (lambda p: p.update({BIAS: _npy(np.zeros(10, ">f4"))}), r">f4\[10\]|float32\[10\] where"),
    (lambda p: p.update({BIAS: p[BIAS][:-4]}), "does not hold exactly 40 bytes"),
    (lambda p: p.update({BIAS: b"\x93NUMPY\x03\x00garbage"}), "damaged .npy header"),
    (lambda p: p.update({BIAS: b"\x93NUMPY\x01\x00\x10\x00" + b"__import__('os')\n"}), "damaged .npy header"),
])
def test_network_arrays_are_checked_against_the_architecture_before_reading(saved, tmp_path, edit, match):
    _refused(_with_npz(saved, tmp_path / "evil.skdigits", edit), match=match)


def test_every_error_names_the_file_and_says_nothing_ran(saved, tmp_path):
    message = _refused(_with_manifest(saved, tmp_path / "evil.skdigits", _set("estimator", "class", "os.system")))
    assert "names the class 'os.system'" in message and message.endswith("Nothing from the file was run.")
