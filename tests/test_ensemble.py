"""CNNEnsembleClassifier: seeded members, averaged probabilities, pipelines, persistence."""

import json
import zipfile

import numpy as np
import pytest
from helpers import FAST
from sklearn.base import is_classifier

from skdigits import CNNDigitClassifier, CNNEnsembleClassifier, load_model, make_digit_pipeline, save_model


@pytest.fixture(scope="module")
def ensemble(small_images):
    X, y = small_images
    return CNNEnsembleClassifier(CNNDigitClassifier(**FAST), n_estimators=3, random_state=0).fit(X, y)


def test_members_differ_only_in_their_seed(ensemble):
    assert is_classifier(ensemble)
    seeds = [m.random_state for m in ensemble.estimators_]
    assert len(set(seeds)) == 3
    for member in ensemble.estimators_:
        assert {k: v for k, v in member.get_params().items() if k != "random_state"} == \
            {k: v for k, v in ensemble.estimator.get_params().items() if k != "random_state"}
    assert ensemble.estimator.random_state == FAST["random_state"]  # the template is not touched
    np.testing.assert_array_equal(ensemble.classes_, np.arange(10))
    assert ensemble.n_features_in_ == 64


def test_probabilities_are_the_members_mean(ensemble, small_images):
    X, _ = small_images
    members = np.stack([m.predict_proba(X) for m in ensemble.estimators_])
    assert not np.allclose(members[0], members[1])
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba, members.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(ensemble.predict(X), ensemble.classes_[proba.argmax(axis=1)])


def test_an_int_random_state_reproduces_the_ensemble(ensemble, small_images):
    X, y = small_images
    again = CNNEnsembleClassifier(CNNDigitClassifier(**FAST), n_estimators=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), ensemble.predict_proba(X))
    other = CNNEnsembleClassifier(CNNDigitClassifier(**FAST), n_estimators=3, random_state=1).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), ensemble.predict_proba(X))


def test_a_fitted_ensemble_round_trips_joblib(ensemble, small_images, tmp_path):
    from skdigits import load_joblib, save_joblib

    X, y = small_images
    again = load_joblib(save_joblib(ensemble, tmp_path / "ensemble.joblib"))
    np.testing.assert_array_equal(again.predict_proba(X), ensemble.predict_proba(X))
    assert all(m.model_.compiled for m in again.estimators_)  # members can train on


def test_pipeline_members_are_seeded_and_round_trip_the_safe_format(small_digits, tmp_path):
    X, y = small_digits
    pipe = make_digit_pipeline(image_shape=(8, 8), scale=16, **FAST)
    ensemble = CNNEnsembleClassifier(pipe, n_estimators=2, random_state=0).fit(X, y)
    assert len({m[-1].random_state for m in ensemble.estimators_}) == 2
    path = save_model(ensemble, tmp_path / "ensemble.skdigits")
    again = load_model(path)
    np.testing.assert_array_equal(again.predict_proba(X), ensemble.predict_proba(X))
    assert again.get_params(deep=True).keys() == ensemble.get_params(deep=True).keys()
    # Unfitted ensembles, with and without a template, round-trip too.
    for unfitted in (CNNEnsembleClassifier(n_estimators=4), CNNEnsembleClassifier(pipe, random_state=3)):
        loaded = load_model(save_model(unfitted, tmp_path / "unfitted.skdigits"))
        assert repr(loaded) == repr(unfitted)


def test_a_nested_ensemble_in_a_file_is_refused(ensemble, tmp_path):
    path = save_model(ensemble, tmp_path / "ensemble.skdigits")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["estimator"]["estimator"] = {"class": "CNNEnsembleClassifier", "params": {}, "estimator": None}
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "nested.skdigits", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="refused: estimator.estimator nests an ensemble"):
        load_model(tmp_path / "nested.skdigits")
