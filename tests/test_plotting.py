"""Tests for skdigits.plotting: figures built without pyplot, with the expected content."""

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no GUI in tests

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skdigits.plotting import (
    plot_confusion_matrix,
    plot_digits,
    plot_grid_search,
    plot_learning_curves,
    plot_top_errors,
)
from skdigits.reports import grid_search_report

HISTORY = {
    "loss": [1.2, 0.6, 0.4, 0.3],
    "accuracy": [0.6, 0.8, 0.88, 0.91],
    "val_loss": [0.9, 0.5, 0.45, 0.44],
    "val_accuracy": [0.7, 0.85, 0.87, 0.88],
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:60], y[:60]  # pixels 0..16, 8x8


@pytest.fixture(autouse=True)
def no_pyplot_figures():
    yield
    assert plt.get_fignums() == [], "a pyplot figure was created"


def saved_png(fig, tmp_path, name, min_kb=5):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > min_kb * 1024
    return path


def texts(fig):
    """Every visible string of a figure: titles, labels, tick labels, legends, annotations."""
    out = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return [t for t in out if t]


def test_import_skdigits_stays_light():
    import subprocess
    import sys

    code = "import skdigits, sys; print(skdigits.plot_digits.__module__, 'matplotlib' in sys.modules)"
    lazy = "import skdigits, sys; print(sorted({'matplotlib', 'pandas', 'tensorflow'} & set(sys.modules)))"
    def run(src):
        return subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, check=True).stdout

    assert run(lazy) == "[]\n"
    assert run(code) == "skdigits.plotting True\n"


# ---- learning curves ---------------------------------------------------------
def test_learning_curves_two_panels_with_validation(tmp_path):
    fig = plot_learning_curves(HISTORY)
    assert isinstance(fig, Figure)
    top, bottom = fig.axes
    assert top.get_ylabel() == "Loss" and bottom.get_ylabel() == "Accuracy"
    assert bottom.get_xlabel() == "Epoch"
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["Training loss", "Validation loss"]
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == [
        "Training accuracy", "Validation accuracy",
    ]
    x, y = top.get_lines()[1].get_data()
    assert list(x) == [1, 2, 3, 4] and list(y) == HISTORY["val_loss"]
    saved_png(fig, tmp_path, "curves")


def test_learning_curves_from_pipeline_and_training_only():
    class Fitted(BaseEstimator):
        history_ = {"loss": [0.5, 0.3], "accuracy": [0.8, 0.9]}

    fig = plot_learning_curves(Pipeline([("model", Fitted())]))
    assert len(fig.axes) == 2
    assert all(len(ax.get_lines()) == 1 for ax in fig.axes)  # no validation curves
    assert len(plot_learning_curves({"loss": [1.0, 0.5]}).axes) == 1  # loss only


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"accuracy": [0.5]}, "no 'loss'"),
        ({"loss": []}, "non-empty"),
        ({"loss": [1.0, 0.5], "val_loss": [1.0]}, "different lengths"),
        ({"loss": ["a", "b"]}, "numbers"),
        (object(), "Cannot find a training history"),
    ],
)
def test_learning_curves_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        plot_learning_curves(bad)


# ---- digit gallery -----------------------------------------------------------
def test_plot_digits_titles_and_mistakes_in_red(digits, tmp_path):
    X, y = digits
    predicted = y.copy()
    predicted[[1, 4]] = (y[[1, 4]] + 1) % 10
    fig = plot_digits(X, predicted, true=y, n=10, ncols=5)

    assert len(fig.axes) == 10
    titles = [ax.title for ax in fig.axes]
    assert titles[0].get_text() == f"pred {y[0]}, true {y[0]}"
    assert titles[1].get_text() == f"pred {predicted[1]}, true {y[1]}"
    red = [i for i, t in enumerate(titles) if matplotlib.colors.same_color(t.get_color(), "tab:red")]
    assert red == [1, 4]
    assert "2 of 10 wrong" in " ".join(t.get_text() for t in fig.texts)  # get_suptitle() needs matplotlib 3.8
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (8, 8)
    saved_png(fig, tmp_path, "digits")


def test_plot_digits_accepts_stacks_dataframes_and_any_scale(digits):
    X, y = digits
    stack = (X / 16.0).reshape(-1, 8, 8, 1)
    fig = plot_digits(stack, y, n=3)
    assert [ax.get_title() for ax in fig.axes] == [f"pred {v}" for v in y[:3]]
    np.testing.assert_allclose(fig.axes[0].get_images()[0].get_array(), stack[0, :, :, 0])
    assert len(plot_digits(pd.DataFrame(X), pd.Series(y), n=100).axes) == len(X)  # n capped


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(predicted=np.zeros(5)), "one label per image"),
        (dict(true=np.zeros(3)), "one label per image"),
        (dict(n=0), "n=0"),
        (dict(ncols=2.5), "ncols"),
    ],
)
def test_plot_digits_bad_input(digits, kwargs, match):
    X, y = digits
    args = dict(predicted=y) | kwargs
    with pytest.raises(ValueError, match=match):
        plot_digits(X, **args)


def test_plot_digits_rejects_non_square_rows():
    with pytest.raises(ValueError, match="square"):
        plot_digits(np.zeros((2, 10)), [0, 1])


# ---- confusion matrix --------------------------------------------------------
def test_confusion_matrix_counts_and_normalized(tmp_path):
    y_true = [0, 0, 1, 1, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 0]
    fig = plot_confusion_matrix(y_true, y_pred)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # matrix and colour bar
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    assert ax.get_title() == "Confusion matrix"
    cells = [t.get_text() for t in ax.texts]
    assert cells == ["1", "1", "0", "0", "2", "0", "1", "0", "2"]
    saved_png(fig, tmp_path, "confusion")

    fig = plot_confusion_matrix(y_true, y_pred, labels=[2, 1, 0], normalize="true")
    ax = fig.axes[0]
    assert "normalized over true" in ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "1", "0"]
    assert ax.texts[0].get_text() == "0.67"


def test_confusion_matrix_bad_input():
    with pytest.raises(ValueError, match="one label per image"):
        plot_confusion_matrix([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="normalize"):
        plot_confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="empty"):
        plot_confusion_matrix([], [])


# ---- top errors --------------------------------------------------------------
def test_top_errors_orders_by_confidence(digits, tmp_path):
    X, y = digits
    proba = np.full((len(y), 10), 0.01)
    proba[np.arange(len(y)), y] = 0.91  # right, except:
    wrong = {3: 0.55, 7: 0.95, 11: 0.75}
    for i, p in wrong.items():
        proba[i] = (1 - p) / 9
        proba[i, (y[i] + 1) % 10] = p
    fig = plot_top_errors(X, y, proba, n=2)

    assert len(fig.axes) == 2
    first, second = (ax.get_title() for ax in fig.axes)
    assert first == f"pred {(y[7] + 1) % 10} (0.95)\ntrue {y[7]} (0.01)"
    assert second.startswith(f"pred {(y[11] + 1) % 10} (0.75)")
    assert "2 of 3" in " ".join(t.get_text() for t in fig.texts)  # get_suptitle() needs matplotlib 3.8
    saved_png(fig, tmp_path, "errors")


def test_top_errors_string_classes_and_no_mistakes(digits):
    X, y = digits
    classes = np.array([f"d{k}" for k in range(10)])
    proba = np.eye(10)[y]
    fig = plot_top_errors(X, classes[y], proba, classes=classes)
    assert len(fig.axes) == 1
    assert "No mistakes" in " ".join(texts(fig))

    labels = classes[y].copy()
    labels[0] = "d9" if labels[0] != "d9" else "d0"
    fig = plot_top_errors(X, labels, proba, classes=classes)
    assert fig.axes[0].get_title().startswith(f"pred {classes[y[0]]} (1.00)\ntrue {labels[0]}")


def test_top_errors_bad_input(digits):
    X, y = digits
    with pytest.raises(ValueError, match="shape"):
        plot_top_errors(X, y, np.ones((len(y) - 1, 10)))
    with pytest.raises(ValueError, match="columns"):
        plot_top_errors(X, y, np.ones((len(y), 10)), classes=[0, 1])


# ---- grid search -------------------------------------------------------------
class FakeCNN(ClassifierMixin, BaseEstimator):
    """No training: its score is a known function of its parameters, plus fold noise."""

    def __init__(self, filters=(8,), optimizer="rmsprop", epochs=1):
        self.filters = filters
        self.optimizer = optimizer
        self.epochs = epochs

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def score(self, X, y):
        base = 0.5 + 0.002 * sum(self.filters) + 0.1 * (self.optimizer == "adam") + 0.01 * self.epochs
        return base + 0.02 * np.sin(X.sum())


@pytest.fixture(scope="module")
def search(digits):
    grid = {
        "cnn__filters": [(8,), (16, 32), (32, 64, 64)],
        "cnn__optimizer": ["rmsprop", "adam"],
        "cnn__epochs": [1, 2],
    }
    return GridSearchCV(Pipeline([("cnn", FakeCNN())]), grid, cv=3).fit(*digits)


def test_grid_search_plot_from_search_and_report(search, tmp_path):
    fig = plot_grid_search(search)
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == ["(8,)", "(16, 32)", "(32, 64, 64)"]
    assert ax.get_legend().get_title().get_text() == "optimizer"
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["adam", "rmsprop"]
    assert ax.get_xlabel() == "filters" and "score" in ax.get_ylabel()
    assert "best over epochs" in ax.get_title()

    # Each plotted mean is the best candidate over epochs for that (filters, optimizer).
    report = grid_search_report(search)
    best = report.groupby(["optimizer", report["filters"].map(str)])["mean_score"].max()
    plotted = {
        text.get_text(): container.lines[0].get_ydata()
        for text, container in zip(ax.get_legend().get_texts(), ax.containers)
    }
    for optimizer, ys in plotted.items():
        expected = [best[(optimizer, f)] for f in ["(8,)", "(16, 32)", "(32, 64, 64)"]]
        np.testing.assert_allclose(ys, expected)
    saved_png(fig, tmp_path, "grid")

    # The report, with a prefixed name, and no hue.
    fig = plot_grid_search(report, x="cnn__filters", hue=None)
    assert len(fig.axes[0].containers) == 1 and fig.axes[0].get_legend() is None


def test_grid_search_plot_bad_input(search):
    with pytest.raises(ValueError, match="'dropout' is not a parameter"):
        plot_grid_search(search, x="dropout")
    with pytest.raises(ValueError, match="same parameter"):
        plot_grid_search(search, x="filters", hue="cnn__filters")
    with pytest.raises(ValueError, match="mean_score"):
        plot_grid_search(pd.DataFrame({"filters": [1]}))
    with pytest.raises(NotFittedError):
        plot_grid_search(GridSearchCV(FakeCNN(), {"epochs": [1]}))
