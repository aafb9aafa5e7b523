"""class_weight: scikit-learn's semantics in the classifier, its pipelines, searches, ensembles and the format."""

import numpy as np
import pytest
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV

from skdigits import (
    CNNDigitClassifier,
    CNNEnsembleClassifier,
    load_model,
    load_predictor,
    load_sample,
    make_digit_pipeline,
    save_model,
)
from skdigits.exceptions import DataError, InvalidParameterError, UnsafeModelError

SMALL = dict(filters=(16,), dense_units=32, epochs=4, verbose=0)


@pytest.fixture(scope="module")
def imbalanced():
    """Real digits 3, 5 and 8, with twenty times fewer 5s to train on; 100 of each held out."""
    X, y = (np.asarray(a) for a in load_sample())
    rng = np.random.RandomState(0)
    train, test = [], []
    for label, n in [(3, 300), (5, 15), (8, 300)]:
        idx = rng.permutation(np.flatnonzero(y == label))
        train.append(idx[:n])
        test.append(idx[n:n + 100])
    train, test = np.concatenate(train), np.concatenate(test)
    return X[train], y[train], X[test], y[test]


@pytest.mark.slow
def test_balanced_class_weight_raises_the_recall_of_the_rare_class(imbalanced):
    X, y, X_test, y_test = imbalanced
    recall = {}
    for class_weight in (None, "balanced"):
        pipe = make_digit_pipeline(**SMALL, class_weight=class_weight, random_state=1).fit(X, y)
        recall[class_weight] = recall_score(y_test, pipe.predict(X_test), labels=[5], average=None)[0]
    assert recall["balanced"] > recall[None], recall


def test_a_dict_weighs_its_classes_and_leaves_the_others_at_1(imbalanced):
    from skdigits.utils.validation import class_sample_weights

    _, y, _, _ = imbalanced
    weights = class_sample_weights({5: 20.0}, y)
    assert set(weights[y == 5]) == {20.0} and set(weights[y != 5]) == {1.0}
    balanced = class_sample_weights("balanced", y)
    assert np.allclose([balanced[y == c].sum() for c in (3, 5, 8)], len(y) / 3)  # each class weighs the same


def test_class_weight_multiplies_sample_weight_and_is_grid_searchable(imbalanced):
    X, y, _, _ = imbalanced
    _, _, weights = CNNDigitClassifier(class_weight={5: 10.0})._validate_sample_weight(X, y, np.full(len(y), 0.5))
    assert set(weights[y == 5]) == {5.0} and set(weights[y != 5]) == {0.5}
    pipe = make_digit_pipeline(**{**SMALL, "epochs": 1}, random_state=0)
    search = GridSearchCV(pipe, {"cnn__class_weight": [None, "balanced", {5: 10.0}]}, cv=2).fit(X, y)
    assert [p["cnn__class_weight"] for p in search.cv_results_["params"]] == [None, "balanced", {5: 10.0}]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("class_weight, error, match", [
    ({5: -1.0}, DataError, r"class_weight\[5\] is -1.0; a class's weight must be a number >= 0"),
    ({5: float("inf")}, DataError, "that float32 holds"),
    ({5: 1e300}, DataError, "that float32 holds"),
    ({5: True}, DataError, "must be a number"),
    ({"5": 2.0}, DataError, r"class_weight names \[\"'5'\"\], which are not classes of y"),
    ({3: 0.0, 5: 0.0, 8: 0.0}, DataError, "every training sample weight 0"),
    ("weird", InvalidParameterError, "class_weight"),
    ([1, 2, 3], InvalidParameterError, "class_weight"),
])
def test_bad_class_weights_are_refused_naming_them(imbalanced, class_weight, error, match):
    X, y, _, _ = imbalanced
    with pytest.raises(error, match=match):
        make_digit_pipeline(**{**SMALL, "epochs": 1}, class_weight=class_weight).fit(X[::10], y[::10])


@pytest.mark.parametrize("labels", ["ints", "strings"])
def test_class_weight_is_saved_in_the_safe_format(imbalanced, tmp_path, labels):
    X, y, X_test, _ = imbalanced
    y = y if labels == "ints" else np.array([f"digit {d}" for d in y])
    rare = y[np.flatnonzero(y == y[300])[0]]  # a 5, in either kind of label
    member = make_digit_pipeline(**{**SMALL, "epochs": 1}, class_weight={rare: 20.0}, random_state=0)
    ensemble = CNNEnsembleClassifier(member, n_estimators=2, random_state=0).fit(X, y)
    path = save_model(ensemble, tmp_path / "weighted.skdigits")
    loaded = load_model(path)
    weights = loaded.estimators_[0][-1].get_params()["class_weight"]
    assert weights == {rare: 20.0} and type(next(iter(weights))) is type(rare.item())
    np.testing.assert_allclose(load_predictor(path).predict_proba(X_test[:20]), ensemble.predict_proba(X_test[:20]),
                               atol=1e-5)


def _rewrite_class_weight(path, out, value):
    import json
    import zipfile

    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["estimator"]["steps"][1]["params"]["class_weight"] = value
                data = json.dumps(manifest).encode()
            target.writestr(info, data)
    return out


@pytest.mark.parametrize("value, match", [
    ({"labels": {"dtype": "int64", "values": [5]}, "weights": [1e300]}, "overflows in float32"),
    ({"labels": {"dtype": "int64", "values": [5]}, "weights": [-2.0]}, r"weights\[0\]"),
    ({"labels": {"dtype": "int64", "values": [5, 5]}, "weights": [2.0, 3.0]}, "2 labels \\(1 distinct\\)"),
    ({"labels": {"dtype": "int64", "values": [5]}, "weights": [2.0, 3.0]}, "1 labels .* and 2 weights"),
    ({"labels": {"dtype": "int64", "values": [5]}}, "weights"),
    ({"5": 2.0}, "labels"),
])
def test_a_tampered_class_weight_in_a_file_is_refused(imbalanced, tmp_path, value, match):
    X, y, _, _ = imbalanced
    pipe = make_digit_pipeline(**{**SMALL, "epochs": 1}, class_weight={5: 2.0}, random_state=0).fit(X[::7], y[::7])
    path = save_model(pipe, tmp_path / "model.skdigits")
    evil = _rewrite_class_weight(path, tmp_path / "evil.skdigits", value)
    for load in (load_model, load_predictor):
        with pytest.raises(UnsafeModelError, match=match):
            load(evil)
