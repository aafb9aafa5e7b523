"""Matplotlib figures: learning curves, digit grids, confusion matrix, errors, grid search.

Every function builds a :class:`matplotlib.figure.Figure` directly instead
of going through ``pyplot``: no global figure state, no GUI backend, nothing
to close. Show one in Jupyter by leaving it as a cell's value, or save it
with ``fig.savefig("curves.png")``.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from skdigits.reports import _format_value, grid_search_report
from skdigits.utils.shapes import resolve_image_shape

__all__ = [
    "plot_learning_curves",
    "plot_digits",
    "plot_confusion_matrix",
    "plot_top_errors",
    "plot_grid_search",
]

_MISTAKE = "tab:red"


# ---- learning curves --------------------------------------------------------
def plot_learning_curves(history):
    """Plot loss (top) and accuracy (bottom) per epoch, training and validation.

    Parameters
    ----------
    history : dict, estimator or keras History
        A ``history_`` dict of per-epoch lists (``"loss"`` required;
        ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"`` drawn when
        present), or a fitted :class:`~skdigits.CNNDigitClassifier`, a
        Pipeline ending in one, a fitted search whose ``best_estimator_`` is
        one, or a Keras ``History``.

    Returns
    -------
    matplotlib.figure.Figure
        Two stacked panels sharing the epoch axis (one panel when the history
        has no accuracy).

    Raises
    ------
    ValueError
        If there is no history, it has no ``"loss"``, or its series are
        empty, non-numeric or of different lengths.

    Examples
    --------
    >>> from skdigits import plot_learning_curves
    >>> fig = plot_learning_curves({"loss": [0.9, 0.4], "accuracy": [0.7, 0.9]})
    >>> len(fig.axes)
    2
    """
    curves = _check_history(_find_history(history))
    epochs = np.arange(1, len(curves["loss"]) + 1)
    panels = [("loss", "Loss")]
    if "accuracy" in curves:
        panels.append(("accuracy", "Accuracy"))

    fig = Figure(figsize=(7, 2.8 * len(panels) + 0.4), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (key, label) in zip(axes, panels):
        name = label.lower()
        ax.plot(epochs, curves[key], "o-", color="tab:blue", ms=3, label=f"Training {name}")
        if "val_" + key in curves:
            ax.plot(epochs, curves["val_" + key], "o-", color="tab:red", ms=3, label=f"Validation {name}")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    axes[0].set_title("Learning curves")
    axes[-1].set_xlabel("Epoch")
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _find_history(obj):
    if isinstance(obj, Mapping):
        return obj
    if hasattr(obj, "best_estimator_"):  # a fitted search
        obj = obj.best_estimator_
    if hasattr(obj, "steps"):  # a Pipeline: the network is the last step
        obj = obj.steps[-1][1]
    if isinstance(getattr(obj, "history_", None), Mapping):
        return obj.history_
    if isinstance(getattr(obj, "history", None), Mapping):  # keras.callbacks.History
        return obj.history
    raise ValueError(
        f"Cannot find a training history in {type(obj).__name__}: pass a history_ dict, "
        "or a fitted CNNDigitClassifier (or a Pipeline ending in one)."
    )


def _check_history(history):
    if "loss" not in history:
        raise ValueError(f"The history has no 'loss' (keys: {sorted(history)}); is the model fitted?")
    # Older Keras spelled accuracy "acc".
    aliases = {"accuracy": ("accuracy", "acc"), "val_accuracy": ("val_accuracy", "val_acc")}
    curves = {}
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        name = next((k for k in aliases.get(key, (key,)) if k in history), None)
        if name is None:
            continue
        try:
            values = np.asarray(history[name], dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"history[{name!r}] must be a list of numbers.") from None
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"history[{name!r}] must be a non-empty list of per-epoch numbers.")
        curves[key] = values
    lengths = {key: len(v) for key, v in curves.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"History series have different lengths: {lengths}.")
    return curves


# ---- image galleries --------------------------------------------------------
def plot_digits(X, predicted, true=None, *, n=25, ncols=5, image_shape=None):
    """Show the first ``n`` digits, each titled with its predicted (and true) label.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
        Pixel rows (array or DataFrame) or an image stack, at any scale
        (0..255, 0..1, ...): images are drawn on one shared grey scale.
    predicted : array-like of shape (n_samples,)
        Predicted labels.
    true : array-like of shape (n_samples,), default=None
        True labels. When given, titles read ``"pred 7, true 1"`` and
        mistakes are drawn in red.
    n : int, default=25
        How many digits to show (at most ``n_samples``).
    ncols : int, default=5
        Digits per row.
    image_shape : None or tuple of (int, int), default=None
        Layout of flat rows; None means square (784 -> 28x28).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per digit shown.

    Raises
    ------
    ValueError
        If the inputs have different lengths, are empty, or ``n`` or
        ``ncols`` is not a positive int.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits import plot_digits
    >>> fig = plot_digits(np.zeros((4, 784)), [1, 2, 3, 4], true=[1, 2, 0, 4])
    >>> [ax.get_title() for ax in fig.axes][2]
    'pred 3, true 0'
    """
    images = _as_images(X, image_shape)
    predicted = _labels(predicted, "predicted", len(images))
    if true is not None:
        true = _labels(true, "true", len(images))
    n = min(_positive_int(n, "n"), len(images))
    titles, colors = [], []
    for i in range(n):
        if true is None:
            titles.append(f"pred {_format_value(predicted[i])}")
            colors.append("black")
        else:
            titles.append(f"pred {_format_value(predicted[i])}, true {_format_value(true[i])}")
            colors.append("black" if predicted[i] == true[i] else _MISTAKE)
    fig = _gallery(images[:n], titles, colors, _positive_int(ncols, "ncols"))
    if true is not None:
        wrong = sum(c == _MISTAKE for c in colors)
        fig.suptitle(f"Predictions: {wrong} of {n} wrong (in red)")
    return fig


def plot_top_errors(X, y_true, proba, classes=None, n=6, *, ncols=3, image_shape=None):
    """Show the most confident mistakes: wrong predictions with the highest probability.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
        The images, as for :func:`plot_digits`.
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, e.g. from ``predict_proba``.
    classes : array-like of shape (n_classes,), default=None
        The label of each column of ``proba`` (the model's ``classes_``);
        None means ``0 .. n_classes - 1``.
    n : int, default=6
        How many mistakes to show, at most.
    ncols : int, default=3
        Images per row.
    image_shape : None or tuple of (int, int), default=None
        Layout of flat rows; None means square.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per mistake shown, titled ``"pred 4 (0.97)"`` over
        ``"true 9 (0.02)"`` (the probabilities the model gave each label).
        With no mistakes, a single blank axes saying so.

    Raises
    ------
    ValueError
        If the lengths disagree, ``proba`` is not 2-D, or ``classes`` does not
        match its columns.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits import plot_top_errors
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> fig = plot_top_errors(np.zeros((3, 4)), [0, 0, 1], proba)
    >>> [ax.get_title() for ax in fig.axes]
    ['pred 1 (0.80)\\ntrue 0 (0.20)', 'pred 0 (0.60)\\ntrue 1 (0.40)']
    """
    images = _as_images(X, image_shape)
    y_true = _labels(y_true, "y_true", len(images))
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or len(proba) != len(images):
        raise ValueError(
            f"proba must have shape (n_samples, n_classes) = ({len(images)}, k); got {proba.shape}."
        )
    classes = np.arange(proba.shape[1]) if classes is None else np.asarray(classes)
    if classes.shape != (proba.shape[1],):
        raise ValueError(f"classes has {classes.size} labels but proba has {proba.shape[1]} columns.")
    n = _positive_int(n, "n")

    best = proba.argmax(axis=1)
    predicted = classes[best]
    confidence = proba[np.arange(len(proba)), best]
    wrong = np.flatnonzero(predicted != y_true)
    if wrong.size == 0:
        fig = Figure(figsize=(5, 2), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"No mistakes: all {len(images)} images are classified correctly.",
                ha="center", va="center", transform=ax.transAxes)
        return fig
    # Stable sort: among equal confidences, the earlier image comes first.
    shown = wrong[np.argsort(-confidence[wrong], kind="stable")][:n]
    column = {label: j for j, label in enumerate(classes.tolist())}
    titles = []
    for i in shown:
        j = column.get(y_true[i].item() if hasattr(y_true[i], "item") else y_true[i])
        true_p = "" if j is None else f" ({proba[i, j]:.2f})"
        titles.append(
            f"pred {_format_value(predicted[i])} ({confidence[i]:.2f})\n"
            f"true {_format_value(y_true[i])}{true_p}"
        )
    fig = _gallery(images[shown], titles, [_MISTAKE] * len(shown), _positive_int(ncols, "ncols"))
    fig.suptitle(f"Most confident mistakes ({len(shown)} of {wrong.size})")
    return fig


def _gallery(images, titles, colors, ncols):
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    # One grey scale for all: faint digits look faint, at any pixel scale.
    vmin, vmax = float(images.min()), float(images.max())
    if vmax <= vmin:
        vmax = vmin + 1.0
    fig = Figure(figsize=(max(1.7 * ncols, 4.0), 1.9 * nrows + 0.4), layout="constrained")
    for k, (image, title, color) in enumerate(zip(images, titles, colors)):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        ax.imshow(image, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(title, color=color, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def _as_images(X, image_shape):
    X = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
    try:
        X = X.astype(float)
    except (TypeError, ValueError):
        raise ValueError("X must hold numeric pixel values.") from None
    if X.ndim == 4 and X.shape[-1] == 1:
        X = X[..., 0]
    if X.ndim == 2:
        X = X.reshape(len(X), *resolve_image_shape(X.shape[1], image_shape))
    if X.ndim != 3:
        raise ValueError(
            f"X must be pixel rows (n, n_pixels) or images (n, h, w) or (n, h, w, 1); got shape {X.shape}."
        )
    if len(X) == 0:
        raise ValueError("X holds no images.")
    return X


def _labels(values, name, n_samples):
    values = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if values.ndim != 1 or len(values) != n_samples:
        raise ValueError(f"{name} must have one label per image ({n_samples}); got shape {values.shape}.")
    return values


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} is not valid; pass a positive int.")
    return int(value)


# ---- confusion matrix -------------------------------------------------------
def plot_confusion_matrix(y_true, y_pred, labels=None, normalize=None):
    """Plot the confusion matrix of predictions, with counts or rates in each cell.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (rows of the matrix).
    y_pred : array-like of shape (n_samples,)
        Predicted labels (columns).
    labels : array-like, default=None
        Labels to show, in order; None uses the sorted labels present in
        either input.
    normalize : {None, "true", "pred", "all"}, default=None
        None shows counts; otherwise rates over true labels (rows),
        predicted labels (columns) or all samples.

    Returns
    -------
    matplotlib.figure.Figure
        One matrix axes and its colour bar, drawn by scikit-learn's
        :class:`~sklearn.metrics.ConfusionMatrixDisplay`.

    Raises
    ------
    ValueError
        If the inputs are empty or differ in length, or ``normalize`` is not
        one of the choices above.

    Examples
    --------
    >>> from skdigits import plot_confusion_matrix
    >>> fig = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    >>> fig.axes[0].get_xlabel()
    'Predicted label'
    """
    from sklearn.metrics import ConfusionMatrixDisplay

    y_true = np.asarray(y_true)
    y_true = _labels(y_true, "y_true", len(y_true))
    y_pred = _labels(y_pred, "y_pred", len(y_true))
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred are empty.")
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize={normalize!r} is not valid; pass None, 'true', 'pred' or 'all'.")
    fig = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.add_subplot()
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, normalize=normalize, ax=ax,
        cmap="Blues", colorbar=True, values_format=".2f" if normalize else "d",
    )
    if normalize is None:  # counts: no fractional ticks on the colour bar
        fig.axes[-1].yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Confusion matrix" + (f" (normalized over {normalize})" if normalize else ""))
    return fig


# ---- grid search ------------------------------------------------------------
def plot_grid_search(search_or_report, x="filters", hue="optimizer"):
    """Plot mean cross-validation scores (± std over folds) of a grid search.

    Parameters
    ----------
    search_or_report : GridSearchCV, RandomizedSearchCV or pandas.DataFrame
        A fitted search, or the DataFrame from
        :func:`~skdigits.grid_search_report` (columns ``"mean_score"`` and,
        for error bars, ``"std_score"``).
    x : str, default="filters"
        The parameter along the x axis, one tick per value. A pipeline
        prefix is optional: ``"filters"`` and ``"cnn__filters"`` both match.
    hue : str or None, default="optimizer"
        The parameter drawn as one line per value; None draws one line.

    Returns
    -------
    matplotlib.figure.Figure
        One axes. Where the search varied other parameters too, each point
        is the best candidate (highest mean score) for its ``(x, hue)``
        pair, and the title says so.

    Raises
    ------
    ValueError
        If a parameter is not in the report (or matches several columns),
        or the report has no ``"mean_score"``.
    sklearn.exceptions.NotFittedError
        If the search is not fitted.

    Examples
    --------
    >>> from skdigits import grid_search_report, plot_grid_search
    >>> fig = plot_grid_search(search, x="filters", hue="optimizer")  # doctest: +SKIP
    """
    report = search_or_report
    if not isinstance(report, pd.DataFrame):
        report = grid_search_report(report)
    if "mean_score" not in report.columns:
        raise ValueError("The report has no 'mean_score' column; pass grid_search_report(search).")
    x_col = _find_column(report, x)
    hue_col = None if hue is None else _find_column(report, hue)
    if hue_col == x_col:
        raise ValueError(f"x and hue name the same parameter {x_col!r}.")
    used = [c for c in (x_col, hue_col) if c is not None]
    data = report.dropna(subset=used + ["mean_score"])
    if data.empty:
        raise ValueError(f"No candidate of the search sets {used}.")
    # Best candidate per (x, hue) pair, keyed by display text (values may be unhashable).
    data = data.assign(_x=data[x_col].map(_format_value),
                       _hue=data[hue_col].map(_format_value) if hue_col else "")
    data = data.sort_values("mean_score", ascending=False, kind="stable").drop_duplicates(["_x", "_hue"])
    x_keys = _ordered(data, x_col, "_x")
    hue_keys = _ordered(data, hue_col, "_hue") if hue_col else [""]

    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    width = 0.08  # horizontal dodge so overlapping error bars stay apart
    for k, key in enumerate(hue_keys):
        rows = data[data["_hue"] == key].set_index("_x").reindex(x_keys)
        pos = np.arange(len(x_keys)) + (k - (len(hue_keys) - 1) / 2) * width
        std = rows["std_score"].to_numpy(float) if "std_score" in rows else None
        ax.errorbar(pos, rows["mean_score"].to_numpy(float), yerr=std, marker="o", capsize=4,
                    label=key if hue_col else None)
    ax.set_xticks(np.arange(len(x_keys)), x_keys)
    if len(x_keys) > 4 and max(map(len, x_keys)) > 10:
        ax.tick_params(axis="x", labelrotation=30)
    metric = report.attrs.get("metric", "score")
    ax.set_xlabel(x_col)
    ax.set_ylabel(f"Mean CV {metric}")
    ax.grid(axis="y", alpha=0.3)
    if hue_col:
        ax.legend(title=hue_col, loc="best")
    others = [c for c in report.columns[: list(report.columns).index("rank")]
              if c not in used] if "rank" in report.columns else []
    varied = [c for c in others if report[c].map(_format_value).nunique() > 1]
    title = "Grid search: mean score ± std over folds"
    if varied:
        title += f"\n(best over {', '.join(varied)})"
    ax.set_title(title)
    return fig


def _find_column(report, name):
    if name in report.columns:
        return name
    short = name.rsplit("__", 1)[-1]
    matches = [c for c in report.columns if str(c).rsplit("__", 1)[-1] == short]
    if len(matches) != 1:
        params = [c for c in report.columns if c not in ("rank", "mean_score", "std_score",
                                                         "mean_train_score", "mean_fit_time")]
        what = "matches several columns" if matches else "is not a parameter of the report"
        raise ValueError(f"{name!r} {what}; parameters: {params}.")
    return matches[0]


def _ordered(data, column, key_column):
    """Display keys in the natural order of their values, else in order of appearance."""
    firsts = data.drop_duplicates(key_column)
    try:
        order = sorted(range(len(firsts)), key=lambda i: firsts[column].iloc[i])
    except TypeError:  # mixed types such as None and numbers
        order = range(len(firsts))
    return [firsts[key_column].iloc[i] for i in order]
