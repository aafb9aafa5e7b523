"""Tests for skdigits.reports: CV and grid-search tables, text and Markdown rendering."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate
from sklearn.pipeline import Pipeline

from skdigits.reports import cross_validation_report, format_report, grid_search_report


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


class FakeCNN(ClassifierMixin, BaseEstimator):
    """A cheap stand-in with CNN-like tuple parameters; its accuracy depends on them."""

    def __init__(self, filters=(8,), optimizer="rmsprop", learning_rate=None):
        self.filters = filters
        self.optimizer = optimizer
        self.learning_rate = learning_rate

    def fit(self, X, y):
        C = 0.01 * sum(self.filters) * (2.0 if self.optimizer == "adam" else 1.0)
        self.model_ = LogisticRegression(C=C, max_iter=300).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


@pytest.fixture(scope="module")
def fake_search(digits):
    grid = {"cnn__filters": [(4,), (16, 32, 32)], "cnn__optimizer": ["rmsprop", "adam"]}
    return GridSearchCV(Pipeline([("cnn", FakeCNN())]), grid, cv=2).fit(*digits)


# ---- cross_validation_report -------------------------------------------------
def test_cv_report_matches_cross_validate(digits):
    X, y = digits
    est = LogisticRegression(max_iter=300)
    report = cross_validation_report(est, X, y, cv=3)
    expected = cross_validate(est, X, y, cv=3, scoring="accuracy")

    assert list(report.index) == ["fold 1", "fold 2", "fold 3", "mean", "std"]
    assert list(report.columns) == ["accuracy", "fit_time", "score_time"]
    np.testing.assert_allclose(report["accuracy"].iloc[:3], expected["test_score"])
    assert report.loc["mean", "accuracy"] == pytest.approx(expected["test_score"].mean())
    assert report.loc["std", "accuracy"] == pytest.approx(expected["test_score"].std())
    assert (report["fit_time"] > 0).all()


def test_cv_report_multi_metric_and_train_scores(digits):
    report = cross_validation_report(
        LogisticRegression(max_iter=300), *digits, cv=2,
        scoring=["accuracy", "f1_macro"], return_train_score=True,
    )
    assert list(report.columns) == [
        "accuracy", "f1_macro", "train_accuracy", "train_f1_macro", "fit_time", "score_time",
    ]
    assert (report.loc[["fold 1", "fold 2"], "train_accuracy"] >= 0.9).all()


def test_cv_report_callable_scoring_is_named_score(digits):
    report = cross_validation_report(LogisticRegression(max_iter=300), *digits, cv=2, scoring=None)
    assert report.columns[0] == "score"


def test_cv_report_rejects_non_scalar_outputs(digits):
    with pytest.raises(TypeError, match="return_estimator"):
        cross_validation_report(LogisticRegression(), *digits, cv=2, return_estimator=True)


def test_cv_report_composes_with_the_cnn_pipeline():
    """The real Keras pipeline runs under cross_validate and gives one row per fold."""
    from skdigits import make_digit_pipeline

    X, y = load_digits(return_X_y=True)
    pipe = make_digit_pipeline(
        image_shape=(8, 8), scale=16, filters=(8,), kernel_sizes=3, dense_units=16,
        epochs=1, augment=False, random_state=0,
    )
    report = cross_validation_report(pipe, X[:150], y[:150], cv=2)
    assert list(report.index) == ["fold 1", "fold 2", "mean", "std"]
    scores = report.loc[["fold 1", "fold 2"], "accuracy"]
    assert scores.between(0, 1).all() and scores.notna().all()
    assert "fold 2" in format_report(report)


# ---- grid_search_report ------------------------------------------------------
def test_grid_search_report_columns_rank_and_values(fake_search):
    search = fake_search
    report = grid_search_report(search)

    assert list(report.columns) == [
        "filters", "optimizer", "rank", "mean_score", "std_score", "mean_fit_time",
    ]
    assert report.index.name == "candidate"
    assert list(report["rank"]) == sorted(report["rank"])
    best = report.iloc[0]
    assert best["mean_score"] == pytest.approx(search.best_score_)
    assert {"filters": best["filters"], "optimizer": best["optimizer"]} == {
        k.split("__")[1]: v for k, v in search.best_params_.items()
    }
    # Tuples stay tuples, and each row matches cv_results_ for its candidate.
    assert set(report["filters"]) == {(4,), (16, 32, 32)}
    for candidate, row in report.iterrows():
        assert row["mean_score"] == search.cv_results_["mean_test_score"][candidate]
    assert report.attrs["metric"] == "score"


def test_grid_search_report_keeps_ambiguous_prefixes(digits):
    from sklearn.feature_selection import SelectFromModel

    pipe = Pipeline([
        ("select", SelectFromModel(LogisticRegression(max_iter=300))),
        ("clf", LogisticRegression(max_iter=300)),
    ])
    grid = {"select__estimator__C": [0.1], "clf__C": [0.1, 1.0], "clf__tol": [1e-3]}
    report = grid_search_report(GridSearchCV(pipe, grid, cv=2).fit(*digits))
    # Both "C"s keep their full names; the unique "tol" is shortened.
    assert list(report.columns[:3]) == ["clf__C", "tol", "select__estimator__C"]


def test_grid_search_report_list_of_grids_marks_missing_params(digits):
    search = GridSearchCV(
        LogisticRegression(max_iter=300), [{"C": [0.1, 1.0]}, {"tol": [1e-3]}], cv=2,
    ).fit(*digits)
    report = grid_search_report(search)
    assert list(report.columns[:2]) == ["C", "tol"]
    assert report["C"].isna().sum() == 1 and report["tol"].isna().sum() == 2
    # NA renders as a blank cell, not "nan" or "<NA>".
    text = format_report(report)
    assert "nan" not in text and "NA" not in text
    assert "0.001" in text


def test_short_param_names_only_when_unambiguous():
    from skdigits.reports import _short_param_names

    assert _short_param_names(["cnn__filters", "cnn__optimizer"]) == ["filters", "optimizer"]
    assert _short_param_names(["a__C", "b__C", "b__tol"]) == ["a__C", "b__C", "tol"]
    assert _short_param_names(["x__rank"]) == ["x__rank"]  # would clash with the rank column


def test_grid_search_report_randomized_with_train_scores(digits):
    search = RandomizedSearchCV(
        LogisticRegression(max_iter=300), {"C": [0.01, 0.1, 1.0]}, n_iter=2, cv=2,
        random_state=0, return_train_score=True,
    ).fit(*digits)
    report = grid_search_report(search)
    assert len(report) == 2
    assert "mean_train_score" in report.columns
    assert report["C"].dtype == object


def test_grid_search_report_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        grid_search_report(GridSearchCV(LogisticRegression(), {"C": [1.0]}))


def test_grid_search_report_multi_metric(digits):
    scoring = ["accuracy", "f1_macro"]
    kwargs = dict(cv=2, scoring=scoring)
    no_refit = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, refit=False, **kwargs)
    no_refit.fit(*digits)
    with pytest.raises(ValueError, match=r"several metrics.*pass metric="):
        grid_search_report(no_refit)
    with pytest.raises(ValueError, match="not one of"):
        grid_search_report(no_refit, metric="recall")
    report = grid_search_report(no_refit, metric="f1_macro")
    np.testing.assert_allclose(
        report.sort_index()["mean_score"], no_refit.cv_results_["mean_test_f1_macro"]
    )
    refit = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, refit="accuracy", **kwargs)
    report = grid_search_report(refit.fit(*digits))
    assert report.attrs["metric"] == "accuracy"
    assert report.iloc[0]["mean_score"] == pytest.approx(refit.best_score_)


# ---- format_report -----------------------------------------------------------
def test_format_report_text_and_markdown(fake_search):
    report = grid_search_report(fake_search)
    text = format_report(report)
    md = format_report(report, "markdown")

    for out in (text, md):
        assert "(16, 32, 32)" in out and "(4,)" in out
        assert "mean_score" in out
        # Scores with 4 decimals, fit times with 2.
        assert re.search(r"\b0\.\d{4}\b", out)
        assert f"{report['mean_fit_time'].iloc[0]:.2f}" in out
    md_lines = md.splitlines()
    assert len(md_lines) == len(report) + 2
    assert all(line.startswith("| ") and line.endswith(" |") for line in md_lines)
    assert {line.count("|") for line in md_lines} == {report.shape[1] + 2}
    # Parameters are left-aligned, numbers right-aligned.
    assert md_lines[1].split("|")[2].strip().startswith(":")
    assert md_lines[1].split("|")[4].strip().endswith(":")
    assert len(text.splitlines()) == len(report) + 1


def test_format_report_cv_rows_and_edge_values():
    index = ["fold 1", "mean", "std"]
    df = pd.DataFrame(
        {
            "p": pd.Series(["a|b", None, pd.NA], dtype=object, index=index),
            "accuracy": [0.5, np.nan, 1 / 3],
            "fit_time": [1.0, 2.345, 3.0],
        },
        index=index,
    )
    md = format_report(df, "markdown")
    assert "a\\|b" in md  # pipes escaped, table intact
    assert "0.3333" in md and "2.35" in md and "None" in md
    assert format_report(df.iloc[:0]).splitlines()[0].split() == ["p", "accuracy", "fit_time"]
    with pytest.raises(ValueError, match="fmt"):
        format_report(df, "html")
    with pytest.raises(TypeError, match="DataFrame"):
        format_report(df.to_dict())
