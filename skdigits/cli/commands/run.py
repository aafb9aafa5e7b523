"""``skdigits run``: train, predict, and write the model, submission, figures and report."""

import json
import os
import time

from skdigits.cli import options
from skdigits.cli.inputs import SAMPLE, load_labelled, load_unlabelled
from skdigits.cli.session import jsonable
from skdigits.exceptions import InvalidParameterError

NAME = "run"
HELP = "the whole job: train, predict, write the submission, model, figures and report"
DESCRIPTION = (
    "Train the CNN with augmentation, predict the test set and write into --output-dir:\n"
    "submission.csv, model.skdigits, learning_curves.png, test_digits.png, confusion_matrix.png,\n"
    "top_errors.png, report.md and report.json.\n\n"
    "With no --train, it trains on the embedded sample of 5,000 real MNIST digits, holds out a\n"
    "stratified 20% (--holdout) as the test set and reports its accuracy (the documentation's\n"
    "benchmarks page gives its time).\n\n"
    "With --train train.csv --test test.csv (Kaggle's files), the model it saves and submits trains on\n"
    "every digit of train.csv: a first fit, on train.csv less the held-out part, measures the accuracy it\n"
    "reports; a second fit, on all of train.csv with the same settings, makes the submission (ImageId\n"
    "from 1). --no-refit submits the first fit and skips the second; --holdout 0\n"
    "--validation-split 0 trains once, on everything, and measures nothing."
)
_FILES = ("model.skdigits", "submission.csv", "learning_curves.png", "test_digits.png",
          "confusion_matrix.png", "top_errors.png", "report.md", "report.json")


def add_arguments(parser):
    """Add the options of ``skdigits run`` to its ``parser``."""
    options.add_training_options(parser)
    options.add_network_options(parser)
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    options.add_train_csv(data)
    data.add_argument("--test", metavar="CSV",
                      help="digits to predict for the submission, Kaggle's test.csv (default: the held-out part)")
    data.add_argument("--holdout", type=options.fraction, default=0.2, metavar="FRACTION",
                      help="stratified part of the training data kept out of the first fit to measure accuracy "
                           "(default: %(default)s; 0 measures none and needs --test)")
    options.add_validation_split(data, 0.1)
    options.add_refit(data)


def run(args, session):
    """Run ``skdigits run``, with the parsed ``args`` and the running ``session``; return the exit status."""
    if args.holdout == 0 and args.test is None:
        raise InvalidParameterError(
            "--holdout 0 leaves nothing to predict; pass --test test.csv or a --holdout above 0.")
    start = time.perf_counter()
    paths = {name: session.path(None, name) for name in _FILES}

    session.info(f"Loading {args.train or SAMPLE}...")
    X_all, y_all, source = load_labelled(args.train, "--train")
    X_test = load_unlabelled(args.test) if args.test else None
    from sklearn.model_selection import train_test_split

    X, y = X_all, y_all
    if args.holdout:
        X, X_hold, y, y_hold = train_test_split(X_all, y_all, test_size=args.holdout, stratify=y_all,
                                                random_state=args.random_state)
    load_time = time.perf_counter() - start

    from skdigits.cli.refit import fit_measured_then_all
    from skdigits.datasets.digit_recognizer import write_submission
    from skdigits.persistence import save_model
    from skdigits.plotting import plot_confusion_matrix, plot_digits, plot_learning_curves, plot_top_errors
    from skdigits.reports import classification_summary, format_run_report

    params = options.classifier_params(args, verbose=session.keras_verbose)
    # Without --test the held-out part is what is predicted, so the model must not train on it.
    refit = X_test is not None and args.refit and (X is not X_all or bool(params.get("validation_split")))
    fits = fit_measured_then_all(session, params, X, y, *((X_all, y_all) if refit else ()))
    model = fits.final
    session.save(paths["model.skdigits"], save_model, model)

    t = time.perf_counter()
    result = {"command": "run", "data": {"train": source, "test": args.test or "held-out part"},
              "n_trained": fits.n_trained, "refit": fits.refitted}
    table = None
    if args.holdout:
        measured = fits.measured
        proba = measured.predict_proba(X_hold)
        pred_hold = measured.classes_[proba.argmax(axis=1)]
        accuracy, table, report_text = classification_summary(y_hold, pred_hold)
        result.update(n_holdout=len(X_hold), accuracy=accuracy, per_class=table.to_dict(orient="index"),
                      accuracy_of=(f"a first fit with the same settings, which trained on {fits.n_measured:,} of "
                                   "the other digits; not the saved model" if fits.refitted else "the saved model"))
    else:
        result["accuracy_of"] = "not measured (--holdout 0)"
    if X_test is None:
        X_test, predictions, truth = X_hold, pred_hold, y_hold
    else:
        predictions, truth = model.predict(X_test), None
    predict_time = time.perf_counter() - t
    session.save(paths["submission.csv"], write_submission, predictions)
    result["n_predicted"] = len(predictions)

    t = time.perf_counter()
    session.info("Drawing figures...")
    session.save_figure(plot_learning_curves(fits.measured), paths["learning_curves.png"])
    session.save_figure(plot_digits(X_test, predictions, truth), paths["test_digits.png"])
    if args.holdout:
        session.save_figure(plot_confusion_matrix(y_hold, pred_hold), paths["confusion_matrix.png"])
        session.save_figure(plot_top_errors(X_hold, y_hold, proba, model.classes_, n=12, ncols=6),
                            paths["top_errors.png"])
    figure_time = time.perf_counter() - t

    result["settings"] = {**session.settings(fits.measured), "holdout": args.holdout}
    result["timings"] = {"load_seconds": load_time, **fits.seconds, "predict_seconds": predict_time,
                         "figures_seconds": figure_time, "total_seconds": time.perf_counter() - start}
    files = [p for p in paths.values() if p in session.written] + [paths["report.md"], paths["report.json"]]
    result["files"] = files
    session.save_text(format_run_report(result, table), paths["report.md"])
    session.save_text(json.dumps(jsonable(result), indent=2, allow_nan=False) + "\n", paths["report.json"])

    trained = f"Trained on {fits.n_trained:,} digits ({source}) in {sum(fits.seconds.values()):.0f} s"
    lines = [trained + (f", in two fits: the submitted model on all {len(X_all):,} digits." if fits.refitted
                        else ".")]
    if args.holdout:
        n_right = int(round(accuracy * len(y_hold)))
        of = f", by a first fit that trained on {fits.n_measured:,} others" if fits.refitted else ""
        lines += [f"Held-out accuracy: {accuracy:.4f} ({n_right:,} of {len(y_hold):,} digits{of})", "",
                  report_text.rstrip()]
    lines += ["", f"Submission: {paths['submission.csv']} ({len(predictions):,} predictions)",
              f"Wrote {len(files)} files to {args.output_dir}: " + ", ".join(os.path.basename(f) for f in files),
              f"Total time: {result['timings']['total_seconds']:.0f} s"]
    session.emit(result, "\n".join(lines))
    return 0
