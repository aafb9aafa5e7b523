"""``skdigits search``: grid-search network widths and optimizers; save the best model and a plot."""


from skdigits.cli import options
from skdigits.cli.inputs import SAMPLE, load_labelled
from skdigits.cli.progress import announcing_fits
from skdigits.cli.session import epochs_phrase

NAME = "search"
HELP = "grid-search network widths and optimizers"
DESCRIPTION = (
    "Grid-search convolution widths and optimizers with cross-validation, print the\n"
    "candidates best first, and save in DIR: the best model refitted on all the data\n"
    "(best_model.skdigits, or --model), grid_search.png and search_report.md.\n\n"
    "example: skdigits search --filters 32,64,64 16,32,32 --optimizers rmsprop adam"
)


def add_arguments(parser):
    """Add the options of ``skdigits search`` to its ``parser``."""
    options.add_training_options(parser)
    options.add_network_options(parser, search=True)
    options.add_parallel_options(parser)
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    options.add_train_csv(data)
    options.add_model_path(data, saving=True, default_name="best_model.skdigits")


def run(args, session):
    """Run ``skdigits search``, with the parsed ``args`` and the running ``session``; return the exit status."""
    model_path = session.path(args.model, "best_model.skdigits")
    plot_path = session.path(None, "grid_search.png")
    report_path = session.path(None, "search_report.md")
    n_jobs = session.n_jobs()
    options.check_optimizers(args.optimizers, "--optimizers")
    session.info(f"Loading {args.train or SAMPLE}...")
    X, y, source = load_labelled(args.train, "--train")
    options.check_folds(args.folds, y)

    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from skdigits.persistence import save_model
    from skdigits.pipeline import make_digit_pipeline
    from skdigits.plotting import plot_grid_search
    from skdigits.reports import _format_value, format_report, grid_search_report

    in_process = n_jobs in (None, 1)
    params = options.classifier_params(args, verbose=session.keras_verbose if in_process else 0)
    del params["filters"]  # searched, not fixed
    grid = {"cnn__filters": list(dict.fromkeys(args.filters)),
            "cnn__optimizer": list(dict.fromkeys(args.optimizers))}
    if in_process:
        params["callbacks"] = [announcing_fits(session, _fit_labels(grid, args.folds, len(X)))]
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    search = GridSearchCV(make_digit_pipeline(**params), grid, scoring="accuracy", cv=folds,
                          n_jobs=n_jobs, verbose=0 if args.quiet else 1, error_score="raise")
    n_candidates = len(grid["cnn__filters"]) * len(grid["cnn__optimizer"])
    epochs = epochs_phrase(args.epochs, len(X) - len(X) // args.folds, params["precision"])
    session.info(f"Searching {n_candidates} candidates x {args.folds} folds on {len(X):,} digits, "
                 f"{epochs} each, then refitting the best on all of them...")
    search_time = session.fit(search, X, y)
    report = grid_search_report(search)
    search.best_estimator_.set_params(cnn__callbacks=None)  # the announcer is this command's, not the model's
    session.save(model_path, save_model, search.best_estimator_)
    session.save_figure(plot_grid_search(report), plot_path)
    best = {key.removeprefix("cnn__"): value for key, value in search.best_params_.items()}
    best_text = ", ".join(f"{k}={_format_value(v)}" for k, v in best.items())  # as the table shows them
    summary = f"Best: {best_text} (mean accuracy {search.best_score_:.4f})"
    session.save_text(f"# skdigits search\n\n{summary} on {source} ({len(X):,} digits, {args.folds} folds).\n\n"
                      f"{format_report(report, 'markdown')}\n", report_path)
    ranking = [{"candidate": int(index), **row} for index, row in report.to_dict(orient="index").items()]
    result = {"command": "search", "data": source, "n_samples": len(X), "folds": args.folds,
              "ranking": ranking, "best_params": best, "best_score": search.best_score_,
              "search_seconds": search_time, "model": model_path, "files": [model_path, plot_path, report_path]}
    session.emit(result, f"{format_report(report)}\n\n{summary}\n"
                         f"Saved the best model to {model_path}; plot: {plot_path}; report: {report_path}")
    return 0


def _fit_labels(grid, folds, n_samples):
    """The label of every fit GridSearchCV runs, in its order: each candidate's folds, then the refit."""
    from sklearn.model_selection import ParameterGrid

    candidates = list(ParameterGrid(grid))
    for number, candidate in enumerate(candidates, start=1):
        shown = ", ".join(f"{name.removeprefix('cnn__')}={_shown(value)}" for name, value in candidate.items())
        for fold in range(1, folds + 1):
            yield f"Candidate {number}/{len(candidates)} ({shown}), fold {fold}/{folds}..."
    yield f"Refitting the best candidate on all {n_samples:,} digits..."


def _shown(value):
    from skdigits.reports import _format_value

    return _format_value(value)

