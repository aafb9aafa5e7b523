"""Cross-validation and grid-search results as small, printable DataFrames.

Reports are plain :class:`pandas.DataFrame` objects, so they slice, sort and
save like any other; :func:`format_report` renders them as aligned text or
as a Markdown table (without ``tabulate``, which is not a dependency).
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_validate

__all__ = ["cross_validation_report", "grid_search_report", "classification_summary", "format_run_report",
           "format_report"]

# cross_validate outputs that are not one number per fold; a table cannot hold them.
_NON_SCALAR_OPTIONS = ("return_estimator", "return_indices")
_SCORE_COLUMNS = ("rank", "mean_score", "std_score", "mean_train_score", "mean_fit_time")


def cross_validation_report(
    estimator, X, y, *, cv=5, scoring="accuracy", n_jobs=None, **cross_validate_kwargs
):
    """Cross-validate an estimator and tabulate the scores of every fold.

    A thin layer over :func:`sklearn.model_selection.cross_validate`: the
    scores are the ones it returns, never recomputed.

    Parameters
    ----------
    estimator : estimator object
        The estimator or pipeline to evaluate, e.g. from
        :func:`skdigits.make_digit_pipeline`.
    X : array-like of shape (n_samples, n_features)
        The data to fit.
    y : array-like of shape (n_samples,)
        The target labels.
    cv : int, cross-validation generator or iterable, default=5
        As in :func:`~sklearn.model_selection.cross_validate`. An int uses
        stratified folds for classifiers.
    scoring : str, callable, list, tuple, dict or None, default="accuracy"
        As in :func:`~sklearn.model_selection.cross_validate`. Each metric
        gets one column, named after it (``"score"`` for a callable or None).
    n_jobs : int or None, default=None
        Folds to fit in parallel. With TensorFlow models, prefer the default
        ``"loky"`` joblib backend (the forking one hangs once TF is loaded).
    **cross_validate_kwargs : dict
        Other arguments of :func:`~sklearn.model_selection.cross_validate`,
        such as ``return_train_score=True`` (adds ``train_<metric>``
        columns), ``params`` or ``error_score``.

    Returns
    -------
    pandas.DataFrame
        One row per fold (index ``"fold 1"``, ``"fold 2"``, ...) then the rows
        ``"mean"`` and ``"std"`` (population std, ``ddof=0``, as in
        ``GridSearchCV.cv_results_``). Columns: one per metric, optional
        ``train_<metric>`` columns, then ``"fit_time"`` and ``"score_time"``
        in seconds. A failed fold (``error_score=np.nan``) makes its
        summary NaN rather than being silently skipped.

    Raises
    ------
    TypeError
        If ``return_estimator`` or ``return_indices`` is requested: they are
        not numbers, so call ``cross_validate`` directly for them.

    See Also
    --------
    format_report : Render the report as text or Markdown.
    grid_search_report : Tabulate a fitted grid search.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdigits import cross_validation_report, format_report
    >>> X, y = load_digits(return_X_y=True)
    >>> report = cross_validation_report(LogisticRegression(max_iter=2000), X / 16, y, cv=3)
    >>> list(report.index)
    ['fold 1', 'fold 2', 'fold 3', 'mean', 'std']
    >>> print(format_report(report, "markdown"))  # doctest: +SKIP
    """
    bad = [name for name in _NON_SCALAR_OPTIONS if cross_validate_kwargs.get(name)]
    if bad:
        raise TypeError(
            f"cross_validation_report() cannot tabulate {', '.join(bad)}; "
            "call sklearn.model_selection.cross_validate directly for them."
        )
    results = cross_validate(estimator, X, y, cv=cv, scoring=scoring, n_jobs=n_jobs, **cross_validate_kwargs)

    # A single metric comes back as "test_score"; name it after the metric.
    single_name = scoring if isinstance(scoring, str) else "score"
    columns = {}
    for prefix, label in (("test_", ""), ("train_", "train_")):
        for key, values in results.items():
            if key.startswith(prefix):
                name = key[len(prefix):]
                columns[label + (single_name if name == "score" else name)] = values
    columns["fit_time"] = results["fit_time"]
    columns["score_time"] = results["score_time"]

    folds = pd.DataFrame(columns, dtype=float)
    folds.index = [f"fold {i}" for i in range(1, len(folds) + 1)]
    summary = pd.DataFrame(
        [folds.mean(skipna=False), folds.std(ddof=0, skipna=False)], index=["mean", "std"]
    )
    return pd.concat([folds, summary])


def grid_search_report(search, *, metric=None):
    """Tabulate the candidates of a fitted grid or randomized search, best first.

    Parameters
    ----------
    search : GridSearchCV, RandomizedSearchCV or similar
        A fitted scikit-learn hyper-parameter search (any object with a
        ``cv_results_`` in scikit-learn's format, e.g. the halving searches).
    metric : str or None, default=None
        Which metric to report for a multi-metric search. None uses the
        search's ``refit`` metric; ignored for single-metric searches.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, sorted by rank (ties keep candidate order),
        indexed by the candidate's position in ``cv_results_`` (index name
        ``"candidate"``). Columns: one per searched parameter (object dtype,
        values as given, e.g. tuples), then ``"rank"``, ``"mean_score"``,
        ``"std_score"``, ``"mean_train_score"`` (only with
        ``return_train_score=True``) and ``"mean_fit_time"`` (seconds).
        A parameter missing from a candidate (a list of grids) is ``pd.NA``.

        Parameter columns drop their pipeline prefix (``"cnn__filters"``
        becomes ``"filters"``) when the short name is unambiguous: unique
        among the searched parameters and not one of the score columns.
        Otherwise the full name is kept. ``attrs["metric"]`` holds the
        metric's name.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the search has not been fitted.
    ValueError
        If the search is multi-metric and neither ``metric`` nor a string
        ``refit`` names the metric to report, or ``metric`` is unknown.

    See Also
    --------
    format_report : Render the report as text or Markdown.
    skdigits.plotting.plot_grid_search : Plot the report's mean scores.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skdigits import grid_search_report, make_digit_pipeline
    >>> search = GridSearchCV(make_digit_pipeline(epochs=5),
    ...                       {"cnn__filters": [(32, 64, 64), (16, 32, 32)]})
    >>> search.fit(X, y)  # doctest: +SKIP
    >>> grid_search_report(search)  # doctest: +SKIP
    """
    results = getattr(search, "cv_results_", None)
    if results is None:
        raise NotFittedError(
            f"This {type(search).__name__} instance is not fitted yet (it has no cv_results_). "
            "Call fit() on it before grid_search_report()."
        )
    metric = _pick_metric(search, results, metric)
    suffix = "score" if "mean_test_score" in results else metric

    param_keys = [key for key in results if key.startswith("param_")]
    names = _short_param_names([key[len("param_"):] for key in param_keys])
    table = {name: _param_column(results[key]) for name, key in zip(names, param_keys)}
    table["rank"] = np.asarray(results[f"rank_test_{suffix}"], dtype=int)
    table["mean_score"] = np.asarray(results[f"mean_test_{suffix}"], dtype=float)
    table["std_score"] = np.asarray(results[f"std_test_{suffix}"], dtype=float)
    if f"mean_train_{suffix}" in results:
        table["mean_train_score"] = np.asarray(results[f"mean_train_{suffix}"], dtype=float)
    table["mean_fit_time"] = np.asarray(results["mean_fit_time"], dtype=float)

    report = pd.DataFrame(table)
    report.index.name = "candidate"
    report = report.sort_values("rank", kind="stable")
    report.attrs["metric"] = metric
    return report


def _pick_metric(search, results, metric):
    if "mean_test_score" in results:  # single metric
        scoring = getattr(search, "scoring", None)
        return scoring if isinstance(scoring, str) else "score"
    available = sorted(key[len("mean_test_"):] for key in results if key.startswith("mean_test_"))
    if metric is None:
        refit = getattr(search, "refit", None)
        if not isinstance(refit, str):
            raise ValueError(
                f"This search scored several metrics {available} with refit={refit!r}; "
                f"pass metric=<one of {available}> to choose the one to report."
            )
        metric = refit
    if metric not in available:
        raise ValueError(f"metric={metric!r} is not one of the search's metrics {available}.")
    return metric


def _short_param_names(full_names):
    """Drop "step__" prefixes where the short name stays unique and is no score column."""
    short = [name.rsplit("__", 1)[-1] for name in full_names]
    return [
        s if short.count(s) == 1 and s not in _SCORE_COLUMNS else full
        for s, full in zip(short, full_names)
    ]


def _param_column(values):
    # cv_results_ masks a parameter absent from a candidate's grid; object
    # dtype keeps tuples and mixed values (and ints as ints) as given.
    data = np.ma.getdata(values)
    mask = np.ma.getmaskarray(values)
    column = np.empty(len(data), dtype=object)
    for i, (value, missing) in enumerate(zip(data, mask)):
        column[i] = pd.NA if missing else value
    return pd.Series(column, dtype=object)


# ---- predictions -----------------------------------------------------------
def classification_summary(y_true, y_pred):
    """Accuracy and the per-class precision, recall and F1 of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.

    Returns
    -------
    accuracy : float
        Fraction of the predictions that are right.
    table : pandas.DataFrame
        The classification report of scikit-learn, one row per class then
        the averages (index ``"class"``); columns precision, recall,
        f1-score and support.
    text : str
        The same report as :func:`sklearn.metrics.classification_report`
        prints it, with 4 decimals.

    See Also
    --------
    format_report : Render the table as text or Markdown.

    Examples
    --------
    >>> from skdigits import classification_summary
    >>> accuracy, table, _ = classification_summary([0, 1, 1, 2], [0, 1, 2, 2])
    >>> accuracy
    0.75
    >>> table.loc["1", "recall"]
    0.5
    """
    from sklearn.metrics import accuracy_score, classification_report

    text = classification_report(y_true, y_pred, digits=4, zero_division=0)
    table = pd.DataFrame(classification_report(y_true, y_pred, output_dict=True, zero_division=0)).T
    table = table.drop(index="accuracy", errors="ignore")
    table["support"] = table["support"].astype(int)
    table.index.name = "class"
    return float(accuracy_score(y_true, y_pred)), table, text


def format_run_report(result, table=None):
    """Render the result of ``skdigits run`` (its ``report.json``) as a Markdown document.

    Parameters
    ----------
    result : dict
        The run's result, with the keys ``data`` (``train``, ``test``),
        ``n_trained`` (the digits the saved network trained on), ``refit``,
        ``accuracy_of`` (which fit the accuracy measures, or that none
        was measured), ``n_predicted``, ``settings``, ``timings`` (seconds
        by step, each key ending in ``_seconds``) and ``files``, plus
        ``accuracy`` and ``n_holdout`` when a part was held out.
    table : pandas.DataFrame or None, default=None
        The per-class report of the held-out part, from
        :func:`classification_summary`.

    Returns
    -------
    str
        The Markdown document, ending in a newline.

    See Also
    --------
    classification_summary : The per-class table.
    """
    import os

    lines = ["# skdigits run", "",
             f"- Training data: {result['data']['train']}; the saved model trained on {result['n_trained']:,} digits"
             + (", in a second fit on all of them" if result["refit"] else ""),
             f"- Predicted: {result['data']['test']} ({result['n_predicted']:,} digits), see submission.csv"]
    if table is not None:
        lines += [f"- Held-out accuracy: **{result['accuracy']:.4f}** on {result['n_holdout']:,} digits, "
                  f"of {result['accuracy_of']}",
                  "", "## Per-class results (held-out part)", "", format_report(table, "markdown")]
    else:
        lines.append(f"- Accuracy: {result['accuracy_of']}")
    settings = pd.DataFrame({"value": list(result["settings"].values())},
                            index=pd.Index(list(result["settings"]), name="setting"), dtype=object)
    timings = pd.DataFrame({"time": list(result["timings"].values())},
                           index=pd.Index([k.removesuffix("_seconds") for k in result["timings"]], name="step"))
    lines += ["", "## Settings", "", format_report(settings, "markdown"),
              "", "## Timings", "", format_report(timings, "markdown"), "", "## Files", ""]
    lines += [f"- `{os.path.basename(f)}`" for f in result["files"]]
    return "\n".join(lines) + "\n"


# ---- text and Markdown rendering ------------------------------------------
def format_report(df, fmt="text"):
    """Render a report as an aligned text table or a Markdown table.

    Works on any DataFrame; the reports of this module come out best.
    Float columns whose name ends in ``"time"`` are seconds, shown with
    2 decimals; other float columns are scores, shown with 4. Integer columns
    are shown as they are. Other values (parameters) are shown readably:
    tuples as ``(32, 64, 64)``, floats in ``%g`` style, missing values blank,
    whitespace in long representations collapsed.

    Parameters
    ----------
    df : pandas.DataFrame
        The table, e.g. from :func:`cross_validation_report` or
        :func:`grid_search_report`. Its index becomes the first column.
    fmt : {"text", "markdown"}, default="text"
        ``"text"`` aligns columns with spaces, for a terminal or a log;
        ``"markdown"`` writes a GitHub-flavoured pipe table, numbers
        right-aligned.

    Returns
    -------
    str
        The table, without a trailing newline.

    Raises
    ------
    ValueError
        If ``fmt`` is not one of the choices above.
    TypeError
        If ``df`` is not a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from skdigits import format_report
    >>> df = pd.DataFrame({"filters": [(32, 64)], "mean_score": [0.98765], "mean_fit_time": [12.3456]})
    >>> print(format_report(df, "markdown"))
    |     | filters  | mean_score | mean_fit_time |
    | --: | :------- | ---------: | ------------: |
    |   0 | (32, 64) |     0.9877 |         12.35 |
    """
    if fmt not in ("text", "markdown"):
        raise ValueError(f"fmt={fmt!r} is not valid; pass 'text' or 'markdown'.")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"format_report() needs a pandas DataFrame, got {type(df).__name__}.")

    index_name = df.index.name if df.index.name is not None else ""
    headers = [str(index_name)] + [str(c) for c in df.columns]
    cells = [[_format_value(v) for v in df.index]]
    numeric = [pd.api.types.is_numeric_dtype(df.index.dtype)]
    for name in df.columns:
        column = df[name]
        is_num = pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
        numeric.append(is_num)
        if is_num and pd.api.types.is_float_dtype(column.dtype):
            decimals = 2 if str(name).endswith("time") else 4
            cells.append([_format_float(v, decimals) for v in column])
        else:
            cells.append([_format_value(v) for v in column])
    if fmt == "markdown":
        headers = [_escape(h) for h in headers]
        cells = [[_escape(c) for c in col] for col in cells]
    least = 3 if fmt == "markdown" else 0  # room for the "--:" alignment marks
    widths = [max([len(h), least] + [len(c) for c in col]) for h, col in zip(headers, cells)]

    def line(row):
        return [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)]

    lines = [line(headers)] + [line(row) for row in zip(*cells)]
    if fmt == "text":
        return "\n".join("  ".join(parts).rstrip() for parts in lines)
    # Markdown alignment row: numbers right-aligned, everything else left.
    rule = ["-" * (w - 1) + ":" if num else ":" + "-" * (w - 1) for w, num in zip(widths, numeric)]
    return "\n".join("| " + " | ".join(parts) + " |" for parts in [lines[0], rule] + lines[1:])


def _format_value(value):
    """A short, readable string for one table cell (tuples, floats, NA)."""
    if value is None:
        return "None"
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return f"{float(value):g}"
    if isinstance(value, tuple):
        inner = ", ".join(_format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return " ".join(str(value).split())


def _format_float(value, decimals):
    return "" if pd.isna(value) else f"{value:.{decimals}f}"


def _escape(text):
    return text.replace("|", "\\|")
