"""The estimators inside scikit-learn's meta-tools: Pipeline, CV, grid search."""

import numpy as np
import pandas as pd
import pytest
from helpers import FAST
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import Pipeline

from skdigits import CNNDigitClassifier, DigitImageTransformer, make_digit_pipeline
from skdigits._training.backend import keras


def _pipe(**params):
    return Pipeline(
        [("images", DigitImageTransformer(scale=16)), ("cnn", CNNDigitClassifier(**{**FAST, **params}))]
    )


def test_pipeline_is_a_classifier_and_cv_is_stratified(small_digits):
    X, y = small_digits
    pipe = _pipe()
    assert is_classifier(pipe) and is_classifier(pipe[-1])
    assert isinstance(check_cv(3, y, classifier=is_classifier(pipe)), StratifiedKFold)


def test_cross_val_score_on_a_dataframe(small_digits):
    X, y = small_digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    pipe = _pipe(filters=(16, 32), dense_units=64, dropout=0.2, epochs=8, optimizer="adam", learning_rate=0.01)
    scores = cross_val_score(pipe, frame, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(scores > 0.7), scores


def test_make_digit_pipeline_routes_parameters():
    pipe = make_digit_pipeline(image_shape=(8, 8), scale=16, epochs=3, filters=(8,))
    assert [name for name, _ in pipe.steps] == ["images", "cnn"]
    assert pipe.get_params()["images__scale"] == 16
    assert pipe.get_params()["cnn__epochs"] == 3
    pipe.set_params(cnn__optimizer="adam", cnn__filters=(4, 8))
    assert pipe[-1].optimizer == "adam" and pipe[-1].filters == (4, 8)


def test_clone_and_params_round_trip(small_images):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST, optimizer=keras.optimizers.Adam(0.01))
    fitted = clone(clf).fit(X, y)
    fresh = clone(fitted)
    assert not hasattr(fresh, "model_")
    assert fresh.get_params().keys() == clf.get_params().keys()
    assert fresh.set_params(epochs=1) is fresh and fresh.epochs == 1
    with pytest.raises(ValueError, match="Invalid parameter 'nope'"):
        fresh.set_params(nope=1)
    assert "filters" in repr(CNNDigitClassifier(filters=(16,)))


def test_html_repr():
    html = make_digit_pipeline(epochs=3)._repr_html_()
    assert "CNNDigitClassifier" in html and "DigitImageTransformer" in html


def test_issue_snippet_on_real_mnist(mnist_sample):
    X, y = mnist_sample
    X, y = X[:600], y[:600]
    pipe = Pipeline([("images", DigitImageTransformer()),
                     ("cnn", CNNDigitClassifier(filters=(8, 16), dense_units=64, dropout=0.2, epochs=5,
                                                batch_size=32, random_state=0))])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert np.all(scores > 0.6), scores
