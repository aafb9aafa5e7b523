"""joblib and pickle round trips in this process, and the safe format's also in a fresh one.

A joblib file reused bit for bit in a fresh process is ``examples/persist_and_reuse.py``'s job, which
``tests/test_examples.py`` runs and checks.
"""

import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from helpers import FAST
from sklearn.base import clone

from skdigits import CNNDigitClassifier, make_digit_pipeline


def _run(script, cwd):
    """Run a script in a fresh interpreter; fail with its stderr if it fails."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("dump, load", [(joblib.dump, joblib.load),
                                        (lambda o, p: p.write_bytes(pickle.dumps(o)),
                                         lambda p: pickle.loads(p.read_bytes()))])
def test_fitted_and_unfitted_round_trip(small_digits, tmp_path, dump, load):
    X, y = small_digits
    unfitted = make_digit_pipeline(image_shape=(8, 8), scale=16, **FAST)
    path = tmp_path / "model.bin"
    dump(unfitted, path)
    assert load(path).get_params()["cnn__filters"] == FAST["filters"]

    fitted = clone(unfitted).fit(X, y)
    dump(fitted, path)
    again = load(path)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert again[-1].history_ == fitted[-1].history_
    np.testing.assert_array_equal(again.classes_, fitted.classes_)
    # A loaded model can be refitted, and is an independent copy.
    again.fit(X[:100], y[:100])
    np.testing.assert_array_equal(fitted.predict_proba(X), load(path).predict_proba(X))


def test_bare_classifier_round_trips(small_images, tmp_path):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST).fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X), clf.predict_proba(X))


# ---------------------------------------------------------------- the safe format
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

import pandas as pd  # noqa: E402

from skdigits import DigitImageTransformer, load_model, save_model  # noqa: E402
from skdigits.persistence import ModelVersionWarning  # noqa: E402


@pytest.fixture(scope="module")
def fitted_pipe(small_digits):
    X, y = small_digits
    return make_digit_pipeline(image_shape=(8, 8), scale=16, **FAST).fit(X, y)


def _rewrite(src, dst, change):
    """Copy a safe-format zip, letting ``change(members)`` edit its {name: bytes}."""
    with zipfile.ZipFile(src) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(dst, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return dst


def _edit_manifest(edit):
    def change(members):
        manifest = json.loads(members["manifest.json"])
        edit(manifest)
        members["manifest.json"] = json.dumps(manifest).encode()
    return change


def test_safe_format_round_trips_a_fitted_pipeline_bit_for_bit(fitted_pipe, small_digits, tmp_path):
    X, y = small_digits
    path = save_model(fitted_pipe, tmp_path / "model.skdigits")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert "manifest.json" in names and all(n.endswith((".json", ".npz")) for n in names)
        assert b"pickle" not in archive.read("manifest.json")
        # Each network is plain float32 arrays that numpy reads without pickle, named as Keras names them.
        with np.load(io.BytesIO(archive.read("estimator.cnn.npz")), allow_pickle=False) as arrays:
            weights = fitted_pipe[-1].model_.get_weights()
            assert list(arrays) == [w.path for w in fitted_pipe[-1].model_.weights]
            for array, weight in zip(arrays.values(), weights):
                np.testing.assert_array_equal(array, weight)
                assert array.dtype == np.dtype("<f4")
    again = load_model(path)
    np.testing.assert_array_equal(again.predict_proba(X), fitted_pipe.predict_proba(X))
    assert again.get_params(deep=True).keys() == fitted_pipe.get_params(deep=True).keys()
    assert again[-1].get_params() == fitted_pipe[-1].get_params()
    assert again[-1].history_ == fitted_pipe[-1].history_
    assert again.score(X, y) == fitted_pipe.score(X, y)
    # It trains on as a fitted classifier would: partial_fit adds an epoch, fit starts afresh.
    again[-1].partial_fit(again[0].transform(X), y)
    assert len(again[-1].history_["loss"]) == FAST["epochs"] + 1
    assert clone(again).fit(X, y).predict(X).shape == y.shape


@pytest.mark.parametrize("labels", [np.array(list("abcdefghij")), np.array(list("abcdefghij"), dtype=object),
                                    np.arange(10) * 2.0])
def test_safe_format_keeps_labels_and_feature_names(small_digits, tmp_path, labels):
    X, y = small_digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    clf_pipe = make_digit_pipeline(scale=16, **FAST).fit(frame, labels[y])
    again = load_model(save_model(clf_pipe, tmp_path / "m.skdigits"))
    np.testing.assert_array_equal(again.classes_, clf_pipe.classes_)
    assert again.predict(frame).dtype == clf_pipe.predict(frame).dtype
    np.testing.assert_array_equal(again[0].feature_names_in_, frame.columns)
    np.testing.assert_array_equal(again.predict(frame), clf_pipe.predict(frame))


def test_safe_format_round_trips_unfitted_estimators_and_a_bare_transformer(tmp_path, small_digits):
    X, _ = small_digits
    unfitted = make_digit_pipeline(filters=(16, 32), optimizer="adam", learning_rate=0.01, image_shape=(8, 8))
    again = load_model(save_model(unfitted, tmp_path / "u.skdigits"))
    assert again.get_params()["cnn__filters"] == (16, 32) and again.get_params()["images__image_shape"] == (8, 8)
    assert not hasattr(again[-1], "model_")
    images = DigitImageTransformer(scale=16).fit(X)
    loaded = load_model(save_model(images, tmp_path / "t.skdigits"))
    np.testing.assert_array_equal(loaded.transform(X), images.transform(X))


def test_safe_format_in_another_process_bit_for_bit(fitted_pipe, small_digits, tmp_path):
    X, _ = small_digits
    save_model(fitted_pipe, tmp_path / "model.skdigits")
    np.save(tmp_path / "X.npy", X)
    _run("""
        import numpy as np
        from skdigits import load_model
        np.save("proba.npy", load_model("model.skdigits").predict_proba(np.load("X.npy")))
        """, tmp_path)
    assert np.load(tmp_path / "proba.npy").tobytes() == fitted_pipe.predict_proba(X).tobytes()


def test_what_the_safe_format_cannot_hold_is_named(tmp_path, small_images):
    from sklearn.dummy import DummyClassifier

    with pytest.raises(TypeError, match="DummyClassifier.*save_joblib"):
        save_model(DummyClassifier(), tmp_path / "d.skdigits")
    X, y = small_images
    clf = CNNDigitClassifier(**{**FAST, "random_state": np.random.RandomState(0)}, callbacks=[]).fit(X, y)
    with pytest.warns(UserWarning, match="random_state=RandomState"):
        save_model(clf, tmp_path / "c.skdigits")
    assert load_model(tmp_path / "c.skdigits").random_state is None


@pytest.mark.parametrize("loader", ["load_model", "load_predictor"])
def test_version_mismatch_warns(fitted_pipe, tmp_path, loader):
    import skdigits

    load = getattr(skdigits, loader)
    path = save_model(fitted_pipe, tmp_path / "model.skdigits")
    old = _rewrite(path, tmp_path / "old.skdigits",
                   _edit_manifest(lambda m: m["versions"].update(keras="2.15.0")))
    with pytest.warns(ModelVersionWarning, match="keras 2.15.0") as record:
        load(old)
    assert record[0].filename == __file__  # it points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        load(path)


class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: the classic pickle attack."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _pickled_array(marker):
    """A ``.npy`` of dtype object whose pickle would create ``marker`` if numpy were allowed to unpickle it."""
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(marker), 1], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def _with_array(network, name, data):
    """A ``change`` for :func:`_rewrite` that replaces one array's ``.npy`` bytes in the network ``network``."""
    def change(members):
        with zipfile.ZipFile(io.BytesIO(members[network])) as inner:
            parts = {n: inner.read(n) for n in inner.namelist()}
        parts[name] = data
        rebuilt = io.BytesIO()
        with zipfile.ZipFile(rebuilt, "w") as inner:
            for n, part in parts.items():
                inner.writestr(n, part)
        members[network] = rebuilt.getvalue()
    return change


@pytest.mark.parametrize("loader", ["load_model", "load_predictor"])
@pytest.mark.parametrize("attack", [
    "pickle bomb", "pickled array", "unknown class", "foreign keras module", "extra member",
    "unknown parameter", "object parameter", "truncated", "not a zip",
])
def test_tampered_model_files_are_refused_and_run_nothing(fitted_pipe, tmp_path, attack, loader):
    import skdigits

    marker = tmp_path / "pwned"
    path = save_model(fitted_pipe, tmp_path / "model.skdigits")
    evil = tmp_path / "evil.skdigits"
    network = "estimator.cnn.npz"
    if attack == "pickle bomb":
        evil.write_bytes(pickle.dumps(_Payload(marker)))
        match = "joblib/pickle file"
    elif attack == "pickled array":
        _rewrite(path, evil, _with_array(network, "dense/bias.npy", _pickled_array(marker)))
        match = r"'dense/bias' .* is object\[2\] where the architecture needs float32\[16\]"
    elif attack == "unknown class":
        _rewrite(path, evil, _edit_manifest(lambda m: m["estimator"]["steps"][1].update({"class": "os.system"})))
        match = "names the class 'os.system'"
    elif attack == "foreign keras module":
        _rewrite(path, evil, _edit_manifest(lambda m: m["estimator"]["steps"][1]["params"].update(
            optimizer={"keras_optimizer": {"module": "os", "class_name": "system", "config": {}}})))
        match = r"optimizer.keras_optimizer.module is 'os'; a saved optimizer is in the module 'keras.optimizers'"
    elif attack == "extra member":
        _rewrite(path, evil, lambda m: m.update({"payload.pkl": pickle.dumps(_Payload(marker))}))
        match = "unexpected members"
    elif attack == "unknown parameter":
        _rewrite(path, evil, _edit_manifest(lambda m: m["estimator"]["steps"][1]["params"].update(loss="x")))
        match = "not parameters"
    elif attack == "object parameter":
        _rewrite(path, evil, _edit_manifest(
            lambda m: m["estimator"]["steps"][1]["params"].update(optimizer={"module": "os", "class_name": "system"})))
        match = "object the safe format does not write"
    elif attack == "truncated":
        evil.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
        match = "not a zip archive"
    else:
        evil.write_bytes(b"PK\x03\x04" + b"\0" * 100)
        match = "not a zip archive"
    with pytest.raises(ValueError, match=match) as info:
        getattr(skdigits, loader)(evil)
    assert str(evil) in str(info.value)
    assert not marker.exists(), "loading ran code from the file"


def test_a_failed_save_keeps_the_existing_file(fitted_pipe, tmp_path, monkeypatch):
    from skdigits.persistence import writer

    path = save_model(fitted_pipe, tmp_path / "model.skdigits")
    before = path.read_bytes()

    def broken(target, manifest, networks):
        with open(target, "wb") as f:
            f.write(b"PK\x03\x04 half")
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_archive", broken)
    with pytest.raises(OSError, match="disk full"):
        save_model(fitted_pipe, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.skdigits"]


def test_the_payloads_above_are_live(tmp_path):
    """Guards the test above: each payload does run when loaded the unsafe way."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()
    marker.unlink()
    np.load(io.BytesIO(_pickled_array(marker)), allow_pickle=True)
    assert marker.exists()


# ---------------------------------------------------------------- file size
@pytest.mark.parametrize("save", ["save_joblib", "save_model"])
def test_a_saved_default_network_is_at_most_1_2x_its_weights(tmp_path, save):
    """Issue goal: file size / the weights' bytes <= 1.2, for the default network on 28x28 digits."""
    import skdigits

    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(100, 28 * 28)).astype(np.uint8)
    y = np.arange(100) % 10
    pipe = make_digit_pipeline(epochs=1, batch_size=50, random_state=0).fit(X, y)  # filters (32, 64, 64), dense 256
    weight_bytes = sum(w.nbytes for w in pipe[-1].model_.get_weights())
    assert weight_bytes > 3e6  # the weights dominate: 861,898 float32 parameters
    path = getattr(skdigits, save)(pipe, tmp_path / "model")
    ratio = os.path.getsize(path) / weight_bytes
    assert ratio <= 1.2, f"{save}: the file is {ratio:.2f}x the weights' bytes"


@pytest.mark.parametrize("fmt", ["joblib", "safe"])
def test_a_loaded_classifier_trains_on_with_a_fresh_optimizer(small_images, tmp_path, fmt):
    """Files leave the optimizer state out; the loaded network gets a fresh optimizer (and its loss) and trains on."""
    import skdigits

    X, y = small_images
    clf = CNNDigitClassifier(**FAST, optimizer="adam", learning_rate=0.005, label_smoothing=0.1).fit(X, y)
    save, load = (skdigits.save_joblib, skdigits.load_joblib) if fmt == "joblib" else (save_model, load_model)
    loaded = load(save(clf, tmp_path / "model"))
    assert int(clf.model_.optimizer.iterations) > 0  # saving did not touch the original
    assert type(loaded.model_.optimizer).__name__ == "Adam"
    assert float(loaded.model_.optimizer.learning_rate) == pytest.approx(0.005)
    assert int(loaded.model_.optimizer.iterations) == 0
    assert loaded.label_smoothing == 0.1 and loaded.model_.loss.label_smoothing == 0.1
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    loaded.partial_fit(X, y)
    assert len(loaded.history_["loss"]) == FAST["epochs"] + 1
    assert int(loaded.model_.optimizer.iterations) == -(-len(X) // FAST["batch_size"])


def test_deepcopy_keeps_the_optimizer_state_and_pickle_drops_it(small_images):
    import copy

    X, y = small_images
    clf = CNNDigitClassifier(**FAST, label_smoothing=0.1).fit(X, y)
    steps = int(clf.model_.optimizer.iterations)
    duplicate = copy.deepcopy(clf)
    assert duplicate.model_ is not clf.model_
    assert int(duplicate.model_.optimizer.iterations) == steps
    for mine, theirs in zip(clf.model_.optimizer.variables, duplicate.model_.optimizer.variables):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    unpickled = pickle.loads(pickle.dumps(clf))
    assert int(unpickled.model_.optimizer.iterations) == 0
    for other in (duplicate, unpickled):
        np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))


# ---- strided, unpadded networks with block dropout in the safe format -------------------------

STRIDED = dict(filters=(4, 4, 8), kernel_sizes=(3, 3, 2), downsample="stride", padding="valid", block_dropout=0.1,
               batch_norm=True, dense_units=8, epochs=1, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def strided_file(small_images, tmp_path_factory):
    """A fitted strided classifier (8x8 -> 6 unpadded -> 3 strided -> 2 strided) and its safe-format file."""
    X, y = small_images
    clf = CNNDigitClassifier(**STRIDED).fit(X, y)
    return clf, save_model(clf, tmp_path_factory.mktemp("strided") / "clf.skdigits")


def _architecture(manifest):
    return manifest["estimator"]["fitted"]["network"]["architecture"]


@pytest.mark.parametrize("loader", ["load_model", "load_predictor"])
def test_a_strided_network_round_trips(strided_file, small_images, loader):
    import skdigits

    clf, path = strided_file
    X, _ = small_images
    np.testing.assert_allclose(getattr(skdigits, loader)(path).predict_proba(X), clf.predict_proba(X), rtol=0,
                               atol=1e-6 if loader == "load_model" else 1e-5)


@pytest.mark.parametrize("loader", ["load_model", "load_predictor"])
def test_an_architecture_lacking_a_field_is_refused(fitted_pipe, tmp_path, loader):
    import skdigits
    from skdigits.exceptions import UnsafeModelError

    path = save_model(fitted_pipe, tmp_path / "model.skdigits")

    def drop(manifest):
        for name in ("downsample", "padding", "block_dropout"):
            del manifest["estimator"]["steps"][1]["fitted"]["network"]["architecture"][name]

    old = _rewrite(path, tmp_path / "old.skdigits", _edit_manifest(drop))
    with pytest.raises(UnsafeModelError, match=r"architecture lacks .*'block_dropout'"):
        getattr(skdigits, loader)(old)


def _set_both(name, value):
    """Set a parameter and its architecture field alike, so that only their own checks can refuse them."""
    def edit(manifest):
        manifest["estimator"]["params"][name] = value
        _architecture(manifest)[name] = value
    return edit


@pytest.mark.parametrize("loader", ["load_model", "load_predictor"])
@pytest.mark.parametrize("edit, match", [
    (lambda m: _architecture(m).update(downsample="avg-pool"),
     r"architecture.downsample is 'avg-pool'; expected one of 'max-pool', 'stride'"),
    (lambda m: _architecture(m).update(padding=1), r"architecture.padding is 1; expected one of 'same', 'valid'"),
    (lambda m: _architecture(m).update(block_dropout="0.1"), r"architecture.block_dropout is '0.1'; expected a finite"),
    (lambda m: _architecture(m).update(padding="same"), "architecture does not match the classifier's parameters"),
    (lambda m: m["estimator"]["params"].update(downsample="avg-pool"), "downsample"),
    (_set_both("kernel_sizes", [9, 3, 2]), r"8x8 images: unpadded, conv1 \(9x9\) has no pixels left"),
])
def test_the_strided_options_in_a_file_are_checked(strided_file, tmp_path, edit, match, loader):
    import skdigits
    from skdigits.exceptions import UnsafeModelError

    _, path = strided_file
    evil = _rewrite(path, tmp_path / "evil.skdigits", _edit_manifest(edit))
    with pytest.raises(UnsafeModelError, match=match):
        getattr(skdigits, loader)(evil)


@pytest.mark.parametrize("name", ["temperature_scaling", "block_dropout", "epochs"])
def test_a_file_lacking_a_parameter_is_refused_naming_it(fitted_pipe, tmp_path, name):
    """One format version: a parameter missing from the manifest is never filled in with a guess."""
    from skdigits import load_predictor

    path = save_model(fitted_pipe, tmp_path / "now.skdigits")

    def without(manifest):
        del manifest["estimator"]["steps"][1]["params"][name]

    for load in (load_model, load_predictor):
        with pytest.raises(ValueError, match=rf"params lacks \['{name}'\]"):
            load(_rewrite(path, tmp_path / f"no-{name}.skdigits", _edit_manifest(without)))
