"""Hostile model files (format 2): each is refused with a skdigits error naming the file, fast, reading nothing else.

The files are crafted here as an attacker would: FIFOs, zip bombs, ensembles
that repeat one network, manifests with non-finite, wrongly typed or
duplicated values, tampered optimizer configs, deep JSON, non-finite or
encrypted or exotically compressed members, truncated files.
"""

import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest
from helpers import TINY, refused, small_digits, with_inner, with_manifest, write_zip, zip_members

from skdigits import CNNDigitClassifier, load_model, load_predictor, save_model
from skdigits.exceptions import BudgetExceededError, DataError, UnsafeModelError

LOADERS = [load_model, load_predictor]
NETWORK = "estimator.npz"


@pytest.fixture(scope="module")
def digits():
    return small_digits()


@pytest.fixture(scope="module")
def classifier(digits):
    return CNNDigitClassifier(**TINY).fit(*digits)


@pytest.fixture(scope="module")
def saved(classifier, tmp_path_factory):
    return save_model(classifier, tmp_path_factory.mktemp("v2") / "model.skdigits")


# ---------------------------------------------------------------- special files
@pytest.mark.parametrize("special, kind", [("/dev/null", "character device"), ("/dev/zero", "character device")])
def test_a_device_is_refused_before_it_is_opened(special, kind):
    if not os.path.exists(special):
        pytest.skip(f"no {special}")
    refused(special, match=kind)


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
    message = refused(bomb, BudgetExceededError, "MAX_ARCHIVE_BYTES")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "all members" in message
    assert peak < 50 << 20  # nothing inflated: 100 MiB per member


def test_too_many_members_arerefused(tmp_path):
    refused(write_zip(tmp_path / "many.skdigits", {f"m{i}": b"" for i in range(300)}), BudgetExceededError,
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


def test_an_encrypted_member_isrefused(saved, tmp_path):
    evil = tmp_path / "encrypted.skdigits"
    evil.write_bytes(saved.read_bytes())
    _patch_central_directory(evil, NETWORK, 8, lambda flags: flags | 0x1)
    refused(evil, match=f"{NETWORK}' of the file is encrypted")


def test_an_unsupported_compression_method_isrefused(saved, tmp_path):
    evil = tmp_path / "lzma.skdigits"
    evil.write_bytes(saved.read_bytes())
    _patch_central_directory(evil, NETWORK, 10, lambda method: 14)  # LZMA
    refused(evil, match="compression method 14")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_file_isrefused(saved, tmp_path, keep):
    data = saved.read_bytes()
    evil = tmp_path / "truncated.skdigits"
    evil.write_bytes(data[:int(len(data) * keep)])
    refused(evil, match="not a zip archive|truncated|damaged")


def test_a_corrupted_member_isrefused(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    at = data.index(b"PK\x03\x04", data.index(NETWORK.encode()) - 40)
    data[at + 200:at + 400] = bytes(200)  # inside the stored .npz: CRC mismatch
    evil = tmp_path / "corrupt.skdigits"
    evil.write_bytes(bytes(data))
    refused(evil, match="damaged|Bad CRC|header")


def test_a_file_over_the_file_budget_is_refused_before_reading(saved, tmp_path, monkeypatch):
    from skdigits.persistence import budgets

    monkeypatch.setattr(budgets, "MAX_FILE_BYTES", 1000)
    refused(saved, BudgetExceededError, "MAX_FILE_BYTES=1,000")


# ---------------------------------------------------------------- ensembles that repeat one network
def _ensemble_manifest(saved, members):
    manifest = json.loads(zip_members(saved)["manifest.json"])
    member = manifest["estimator"]
    fitted = {"n_features_in_": 64, "classes_": member["fitted"]["classes_"], "members": [member] * members}
    manifest["estimator"] = {"class": "CNNEnsembleClassifier",
                             "params": {"n_estimators": members, "n_jobs": None, "random_state": 0},
                             "estimator": None, "fitted": fitted}
    return manifest


@pytest.fixture
def work(monkeypatch):
    """Count what the loaders do: manifests parsed (and their bytes), networks read, weight arrays read."""
    from skdigits.persistence import manifest, reader, weights

    done = {"manifests": 0, "manifest_bytes": 0, "networks": 0, "weights": 0}

    def counting(module, name, key, size=None):
        original = getattr(module, name)

        def counted(*args, **kwargs):
            done[key] += 1
            if size:
                done[size] += len(args[0])
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, counted)

    counting(manifest, "parse_json", "manifests", "manifest_bytes")
    counting(reader._Networks, "read", "networks")
    counting(weights, "read_npz", "weights")
    return done


def test_an_ensemble_of_12000_members_sharing_one_network_is_refused_before_any_member_is_read(saved, tmp_path,
                                                                                             monkeypatch, work):
    """Loading it took 69 s before the budgets. The refusals are counted in work done, not in seconds."""
    from skdigits.persistence import budgets

    members = zip_members(saved)
    members["manifest.json"] = json.dumps(_ensemble_manifest(saved, 12_000)).encode()
    assert len(members["manifest.json"]) > budgets.MAX_MANIFEST_BYTES
    evil = write_zip(tmp_path / "12000.skdigits", members)
    refused(evil, BudgetExceededError, "MAX_MANIFEST_BYTES")
    assert work == {"manifests": 0, "manifest_bytes": 0, "networks": 0, "weights": 0}  # not even parsed
    # Within a larger manifest budget, the ensemble's own budget refuses it before any member is built.
    monkeypatch.setattr(budgets, "MAX_MANIFEST_BYTES", 64 << 20)
    refused(evil, BudgetExceededError, "12,000 items in estimator.fitted.members .*MAX_ENSEMBLE_MEMBERS=32")
    assert work == {"manifests": 2, "manifest_bytes": 2 * len(members["manifest.json"]), "networks": 0, "weights": 0}


def test_two_members_sharing_one_network_arerefused(saved, tmp_path):
    members = zip_members(saved)
    members["manifest.json"] = json.dumps(_ensemble_manifest(saved, 2)).encode()
    refused(write_zip(tmp_path / "shared.skdigits", members), match="already another classifier's")


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
    (_set(*ESTIMATOR_FITTED, "classes_", "values", [1] * 10), UnsafeModelError,
     r"holds the label 1 twice \(values\[0\] and values\[1\], equal as int64\)"),
    (_set(*ESTIMATOR_FITTED, "classes_", "values", [1]), UnsafeModelError, "not at least 2 distinct labels"),
    # Float labels: finite once cast to their dtype, and distinct once cast (-0.0 == 0.0; float32 rounding).
    (_set(*ESTIMATOR_FITTED, "classes_", {"dtype": "float32", "values": [*range(9), 1e300]}), UnsafeModelError,
     r"classes_.values\[9\] is 1e\+300, which is infinite as float32"),
    (_set(*ESTIMATOR_FITTED, "classes_", {"dtype": "float64", "values": [0.0, -0.0, *range(1, 9)]}),
     UnsafeModelError, r"holds the label -0.0 twice \(values\[0\] and values\[1\], equal as float64\)"),
    (_set(*ESTIMATOR_FITTED, "classes_", {"dtype": "float32", "values": [*range(8), 1.0000001, 1.00000001]}),
     UnsafeModelError, r"holds the label 1.0 twice \(values\[1\] and values\[9\], equal as float32\)"),
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
    # A budget, or the parameter's own range once the constraints share the budgets (skdigits.utils.limits).
    (_set("estimator", "params", "dense_units", 10 ** 6), DataError,
     r"MAX_DENSE_UNITS|'dense_units' parameter .* \[1, 65536\]"),
    (_set("estimator", "params", "filters", [4, [4]]), UnsafeModelError, "nests lists|'filters' parameter"),
    (_set("estimator", "params", "epochs", 0), UnsafeModelError, "epochs"),
    (_set("estimator", "params", "epochs", True), UnsafeModelError, "epochs"),
    (_set("format_version", 3), UnsafeModelError, r"format version 3 is not the one this skdigits reads \(2\)"),
    (_set("format_version", 1), UnsafeModelError, "format version 1 is not the one this skdigits reads"),
    (_set("format_version", True), UnsafeModelError, "format version True"),
    (_set("versions", {"keras": {"a": 1}}), UnsafeModelError, "expected a string"),
    (_set("networks", [NETWORK, NETWORK]), UnsafeModelError, "lists a network more than once"),
])
def test_manifest_values_are_type_checked(saved, tmp_path, edit, error, match):
    evil = with_manifest(saved, tmp_path / "evil.skdigits", edit)
    refused(evil, error, match)


def test_a_network_over_the_parameter_budget_is_refused_before_allocating(saved, tmp_path, work):
    """Each size is within its own budget, but 1024x1024 images make a dense kernel of 4 billion floats."""
    def edit(manifest):
        fitted = manifest["estimator"]["fitted"]
        fitted.update(image_shape_=[1024, 1024], n_features_in_=1024 * 1024)
        fitted["network"]["architecture"]["image_shape"] = [1024, 1024]
        manifest["estimator"]["params"]["dense_units"] = 1024
        fitted["network"]["architecture"]["dense_units"] = 1024
    refused(with_manifest(saved, tmp_path / "huge.skdigits", edit), BudgetExceededError,
             r"1,073,753,138 parameters in the network .* MAX_PARAMETERS=67,108,864")
    assert (work["networks"], work["weights"]) == (2, 0)  # both loaders checked its architecture, read no weight


def test_duplicate_pipeline_steps_and_json_keys_arerefused(classifier, digits, tmp_path):
    from sklearn.pipeline import Pipeline

    from skdigits import DigitImageTransformer

    X, y = digits
    pipe = Pipeline([("images", DigitImageTransformer(scale=1.0)), ("cnn", CNNDigitClassifier(**TINY))]).fit(X, y)
    path = save_model(pipe, tmp_path / "pipe.skdigits")
    evil = with_manifest(path, tmp_path / "steps.skdigits", lambda m: m["estimator"]["steps"][0].update(name="cnn"))
    refused(evil, match="invalid step names")
    members = zip_members(path)
    text = members["manifest.json"].decode()
    members["manifest.json"] = text.replace('"format": "skdigits-model",',
                                            '"format": "skdigits-model", "format": "skdigits-model",').encode()
    refused(write_zip(tmp_path / "keys.skdigits", members), match=r"repeats the keys \['format'\]")


@pytest.mark.parametrize("text, error, match", [
    ("[" * 100_000 + "]" * 100_000, BudgetExceededError, "100,000 levels of nesting.*MAX_JSON_DEPTH=32"),
    ('{"format": "skdigits-model", "x": 1e400}', UnsafeModelError, "overflows to infinity"),
    ('{"format": "skdigits-model", "x": -Infinity}', UnsafeModelError, "-Infinity, which is not a finite"),
    ('{"format": "skdigits-model", "x": ' + "9" * 5000 + "}", UnsafeModelError, "not valid JSON"),
    ('{"format": "skdigits-model", "x": "\\ud800\xff"}', UnsafeModelError, "not UTF-8|not valid JSON"),
    ("not json", UnsafeModelError, "not valid JSON"),
])
def test_hostile_json_is_refused_without_a_traceback(saved, tmp_path, text, error, match):
    members = zip_members(saved)
    members["manifest.json"] = text.encode("utf-8", "surrogatepass") if "\\ud800" not in text else \
        text.encode("latin-1")
    refused(write_zip(tmp_path / "json.skdigits", members), error, match)


def test_a_manifest_over_its_budget_is_refused_before_inflating(saved, tmp_path):
    members = zip_members(saved)
    members["manifest.json"] = b" " * (5 << 20)
    refused(write_zip(tmp_path / "big.skdigits", members), BudgetExceededError, "MAX_MANIFEST_BYTES")


# ---------------------------------------------------------------- network arrays
def _with_npz(src, dst, edit):
    """Copy a model file, letting ``edit(parts)`` change its network's {``.npy`` name: bytes}."""
    return with_inner(src, dst, NETWORK, edit)


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
    refused(_with_npz(saved, tmp_path / "evil.skdigits", edit), match=match)


def test_every_error_names_the_file_and_says_nothing_ran(saved, tmp_path):
    message = refused(with_manifest(saved, tmp_path / "evil.skdigits", _set("estimator", "class", "os.system")))
    assert "names the class 'os.system'" in message and message.endswith("Nothing from the file was run.")


# ---------------------------------------------------------------- optimizer configs and callbacks
def _keras_optimizer(config):
    return _set("estimator", "params", "optimizer", {"keras_optimizer": config})


def _adam(**config):
    return {"module": "keras.optimizers", "class_name": "Adam", "config": {"learning_rate": 0.001, **config},
            "registered_name": None}


def _schedule(kind, **config):
    return {"module": "keras.optimizers.schedules", "class_name": kind, "config": config, "registered_name": None}


OPTIMIZER = r"estimator.params.optimizer.keras_optimizer"


@pytest.mark.parametrize("edit, match", [
    (_keras_optimizer({"module": "builtins", "class_name": "function", "config": {"fn": "eval"},
                       "registered_name": "function"}), rf"{OPTIMIZER}.module is 'builtins'"),
    (_keras_optimizer({**_adam(), "module": "kerasevil"}), rf"{OPTIMIZER}.module is 'kerasevil'"),
    (_keras_optimizer({**_adam(), "module": "keras.src.saving.serialization_lib"}), "module is 'keras.src.saving"),
    (_keras_optimizer("adam"), rf"{OPTIMIZER} is a str, not an object"),
    (_keras_optimizer({"class_name": "__lambda__", "config": {"code": "print(1)"}}), r"lacks \['module'\]"),
    (_keras_optimizer({**_adam(), "class_name": "Lambda"}), "class_name is 'Lambda', which is not one of Keras'"),
    (_keras_optimizer({**_adam(), "class_name": "Nope"}), "class_name is 'Nope', which is not one of Keras'"),
    (_keras_optimizer({**_adam(), "registered_name": "evil>Adam"}), "registered_name is 'evil>Adam'"),
    (_keras_optimizer({**_adam(), "build_config": {}}), r"has unknown keys \['build_config'\]"),
    (_keras_optimizer(_adam(code="print(1)")), r"config has unknown keys \['code'\]"),
    (_keras_optimizer(_adam(learning_rate="abc")), "learning_rate is 'abc'; expected a float > 0"),
    (_keras_optimizer(_adam(learning_rate=1)), "learning_rate is 1; expected a float > 0"),
    (_keras_optimizer(_adam(learning_rate=-0.1)), r"learning_rate is -0.1; expected a number > 0"),
    (_keras_optimizer(_adam(learning_rate=1e308)), "learning_rate is 1e\\+308; expected a finite number"),
    (_keras_optimizer(_adam(amsgrad="yes")), "amsgrad is 'yes'; expected true or false"),
    (_keras_optimizer(_adam(name="a/b")), "name is 'a/b'; a Keras name holds no '/'"),
    (_keras_optimizer(_adam(clipnorm=1.0, clipvalue=1.0)), r"sets \['clipnorm', 'clipvalue'\]"),
    (_keras_optimizer(_adam(gradient_accumulation_steps=1)), r"gradient_accumulation_steps is 1; expected an int"),
    (_keras_optimizer(_adam(learning_rate=_schedule("ExponentialDecay", initial_learning_rate=1.0, decay_steps=0,
                                                    decay_rate=0.5))), "learning_rate.config.decay_steps is 0"),
    (_keras_optimizer(_adam(learning_rate=_schedule("ExponentialDecay", initial_learning_rate=1.0)), ),
     r"lacks \['decay_steps', 'decay_rate'\], which a ExponentialDecay needs"),
    (_keras_optimizer(_adam(learning_rate={**_schedule("CosineDecay"), "module": "keras.optimizers"})),
     "learning_rate.module is 'keras.optimizers'; a saved learning-rate schedule is in"),
    (_keras_optimizer(_adam(learning_rate=_schedule("PiecewiseConstantDecay", boundaries=[10], values=[0.1]))),
     "1 boundaries and 1 values"),
    (_set("estimator", "params", "optimizer", "evil"), r"optimizer is 'evil', which is not one of Keras'"),
    (_set("estimator", "params", "optimizer", {"keras_optimizer": _adam(), "more": 1}),
     "optimizer holds an object the safe format does not write"),
    (_set("estimator", "params", "callbacks", [1, 2]), r"callbacks is \[1, 2\]; save_model writes callbacks as null"),
])
def test_an_optimizer_config_is_checked_strictly_by_both_loaders_before_keras_sees_it(saved, tmp_path, monkeypatch,
                                                                                     edit, match):
    """Once accepted by load_predictor (and `skdigits predict`) and ending in Keras tracebacks in load_model."""
    from skdigits._training.backend import keras

    def never(*args, **kwargs):
        raise AssertionError("keras.optimizers.deserialize was called on a refused config")

    monkeypatch.setattr(keras.optimizers, "deserialize", never)
    message = refused(with_manifest(saved, tmp_path / "evil.skdigits", edit), match=match)
    assert message.endswith("Nothing from the file was run.")


def test_a_built_in_optimizer_with_a_schedule_loads_in_both_loaders(saved, tmp_path, digits):
    from skdigits._training.backend import keras

    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.9)
    config = keras.optimizers.serialize(keras.optimizers.SGD(schedule, momentum=0.9, clipnorm=1.0))
    path = with_manifest(saved, tmp_path / "sgd.skdigits", _keras_optimizer(config))
    model = load_model(path)
    assert isinstance(model.optimizer, keras.optimizers.SGD) and model.optimizer.get_config()["momentum"] == 0.9
    np.testing.assert_array_equal(load_predictor(path).predict(digits[0]), model.predict(digits[0]))


def test_keras_refusing_a_checked_optimizer_config_is_an_unsafe_model_error(saved, tmp_path, monkeypatch):
    from skdigits._training.backend import keras

    def refuse(config, custom_objects=None):
        raise ValueError("Argument `decay_steps` must be > 0")

    path = with_manifest(saved, tmp_path / "adam.skdigits", _keras_optimizer(_adam()))
    monkeypatch.setattr(keras.optimizers, "deserialize", refuse)
    with pytest.raises(UnsafeModelError, match=r"adam.skdigits: refused: estimator.params.optimizer: Keras cannot "
                                                r"build this optimizer \(ValueError: Argument `decay_steps`"):
        load_model(path)
    monkeypatch.setattr(keras.optimizers, "deserialize", lambda config, custom_objects=None: "adam")
    with pytest.raises(UnsafeModelError, match="Keras does not make an optimizer of this config"):
        load_model(path)


# ---------------------------------------------------------------- non-finite weights
@pytest.mark.parametrize("name, value", [("conv1/kernel", np.nan), ("probabilities/bias", np.inf),
                                         ("dense/bias", -np.inf)])
def test_non_finite_weights_are_refused_naming_the_array(saved, tmp_path, name, value):
    """A NaN network predicts one class for every image: `skdigits predict` wrote an all-0 submission."""
    def edit(parts):
        array = np.load(io.BytesIO(parts[f"{name}.npy"]))
        array.flat[-1] = value
        parts[f"{name}.npy"] = _npy(array)
    evil = _with_npz(saved, tmp_path / "nan.skdigits", edit)
    refused(evil, match=f"the array '{name}' of the network 'estimator.npz' holds 1 NaN or infinite weights")


def test_finite_weights_that_overflow_give_a_data_error_not_class_0(saved, tmp_path, digits):
    def edit(parts):
        for name in ("dense/kernel", "probabilities/kernel"):  # their products overflow float32
            shape = np.load(io.BytesIO(parts[f"{name}.npy"])).shape
            parts[f"{name}.npy"] = _npy(np.full(shape, 3e38, dtype="<f4"))
    huge = _with_npz(saved, tmp_path / "huge.skdigits", edit)
    predictor = load_predictor(huge)  # finite weights: only predicting tells
    for predict in (predictor.predict, predictor.predict_proba):
        with pytest.raises(DataError, match=rf"the network of {huge} \(estimator\) gives non-finite probabilities "
                                            r"for \d+ of 200 images .*its weights are unusable"):
            predict(digits[0])
