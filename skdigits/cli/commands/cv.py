"""``skdigits cv``: cross-validate the CNN and print the scores of every fold."""

import contextlib
import sys

from skdigits.cli import options
from skdigits.cli.inputs import SAMPLE, load_labelled
from skdigits.cli.progress import announcing_fits
from skdigits.cli.session import epochs_phrase

NAME = "cv"
HELP = "cross-validate the CNN and print the scores of every fold"
DESCRIPTION = (
    "Cross-validate the CNN (stratified, shuffled folds) and print the accuracy of every fold,\n"
    "with mean and std; the table is also saved as cv_report.md in DIR."
)


def add_arguments(parser):
    """Add the options of ``skdigits cv`` to its ``parser``."""
    options.add_training_options(parser)
    options.add_network_options(parser)
    options.add_parallel_options(parser)
    options.add_output_options(parser)
    options.add_train_csv(parser.add_argument_group("data"))


def run(args, session):
    """Run ``skdigits cv``, with the parsed ``args`` and the running ``session``; return the exit status."""
    report_path = session.path(None, "cv_report.md")
    n_jobs = session.n_jobs()
    session.info(f"Loading {args.train or SAMPLE}...")
    X, y, source = load_labelled(args.train, "--train")
    options.check_folds(args.folds, y)

    from sklearn.model_selection import StratifiedKFold

    from skdigits.pipeline import make_digit_pipeline
    from skdigits.reports import cross_validation_report, format_report

    in_process = n_jobs in (None, 1)
    params = options.classifier_params(args, verbose=session.keras_verbose if in_process else 0)
    if in_process:
        params["callbacks"] = [announcing_fits(session, (f"Fold {k}/{args.folds}..."
                                                         for k in range(1, args.folds + 1)))]
    model = make_digit_pipeline(**params)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    session.info(f"Cross-validating on {len(X):,} digits: {args.folds} folds of "
                 f"{epochs_phrase(args.epochs, len(X) - len(X) // args.folds, params['precision'])}...")
    with contextlib.redirect_stdout(sys.stderr):
        report = cross_validation_report(model, X, y, cv=folds, n_jobs=n_jobs, error_score="raise")
    mean, std = report.loc["mean", "accuracy"], report.loc["std", "accuracy"]
    summary = f"Accuracy: {mean:.4f} +/- {std:.4f} over {args.folds} folds"
    session.save_text(f"# skdigits cv\n\n{summary} ({source}, {len(X):,} digits).\n\n"
                      f"{format_report(report, 'markdown')}\n", report_path)
    result = {"command": "cv", "data": source, "n_samples": len(X), "folds": args.folds,
              "mean_accuracy": mean, "std_accuracy": std, "report": report.to_dict(orient="index"),
              "settings": session.settings(model), "files": [report_path]}
    session.emit(result, f"{format_report(report)}\n\n{summary}\nReport: {report_path}")
    return 0
