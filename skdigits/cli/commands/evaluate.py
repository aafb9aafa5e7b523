"""``skdigits evaluate``: accuracy, per-class report and confusion matrix of a saved model."""

from skdigits.cli import options
from skdigits.cli.inputs import load_labelled, load_model_for_prediction, pixels_for, require_digit_classes

NAME = "evaluate"
HELP = "score a saved model on labelled digits"
DESCRIPTION = (
    "Score a saved model on a labelled CSV file (Kaggle's train.csv format): accuracy,\n"
    "per-class precision/recall/F1, and confusion_matrix.png and top_errors.png in DIR."
)


def add_arguments(parser):
    """Add the options of ``skdigits evaluate`` to its ``parser``."""
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="CSV", required=True,
                      help="labelled digits to score on, with a label column (required)")
    options.add_model_path(data, saving=False)


def run(args, session):
    """Run ``skdigits evaluate``, with the parsed ``args`` and the running ``session``; return the exit status."""
    matrix_path = session.path(None, "confusion_matrix.png")
    errors_path = session.path(None, "top_errors.png")
    model_path, model = load_model_for_prediction(args, session)
    require_digit_classes(model, model_path, f"scoring it on the digit labels of {args.data}")
    X, y, _ = load_labelled(args.data, "--data")
    X = pixels_for(model, X)

    import pandas as pd
    from sklearn.metrics import confusion_matrix

    from skdigits.plotting import plot_confusion_matrix, plot_top_errors
    from skdigits.reports import classification_summary, format_report

    proba = model.predict_proba(X)
    predictions = model.classes_[proba.argmax(axis=1)]
    accuracy, table, report_text = classification_summary(y, predictions)
    labels = sorted(set(y.tolist()) | set(predictions.tolist()))
    matrix = pd.DataFrame(confusion_matrix(y, predictions, labels=labels), index=labels, columns=labels)
    matrix.index.name = "true\\pred"
    session.save_figure(plot_confusion_matrix(y, predictions, labels=labels), matrix_path)
    session.save_figure(plot_top_errors(X, y, proba, model.classes_, n=12, ncols=6), errors_path)
    result = {"command": "evaluate", "model": model_path, "data": args.data, "n_samples": len(y),
              "accuracy": accuracy, "per_class": table.to_dict(orient="index"),
              "confusion_matrix": {"labels": labels, "matrix": matrix.to_numpy()},
              "files": [matrix_path, errors_path]}
    n_right = int(round(accuracy * len(y)))
    session.emit(result, "\n".join([
        f"Accuracy: {accuracy:.4f} ({n_right:,} of {len(y):,} digits)", "", report_text.rstrip(), "",
        "Confusion matrix (rows: true, columns: predicted):", format_report(matrix), "",
        f"Figures: {matrix_path}, {errors_path}"]))
    return 0
