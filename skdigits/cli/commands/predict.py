"""``skdigits predict``: predict a CSV file with a saved model and write a Kaggle submission."""

from skdigits.cli import options
from skdigits.cli.inputs import load_model_for_prediction, load_unlabelled

NAME = "predict"
HELP = "predict a CSV file with a saved model and write a submission"
DESCRIPTION = (
    "Predict every digit of a CSV file (Kaggle's test.csv format; a label column is\n"
    "ignored) and write a Kaggle submission: ImageId,Label with ImageId from 1."
)


def add_arguments(parser):
    """Add the options of ``skdigits predict``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser.
    """
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    data.add_argument("--test", metavar="CSV", required=True, help="the digits to predict (required)")
    options.add_model_path(data, saving=False)
    data.add_argument("--submission", metavar="PATH", help="the submission to write (default: DIR/submission.csv)")


def run(args, session):
    """Run ``skdigits predict``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : skdigits.cli.session.Session
        The running command.

    Returns
    -------
    int
        The exit status, 0.
    """
    submission = session.path(args.submission, "submission.csv")
    model_path, model = load_model_for_prediction(args, session)
    X = load_unlabelled(args.test)

    import numpy as np

    from skdigits.datasets import write_submission

    predictions = model.predict(X)
    session.save(submission, write_submission, predictions)
    labels, counts = np.unique(predictions, return_counts=True)
    result = {"command": "predict", "model": model_path, "test": args.test, "submission": submission,
              "n_predicted": len(predictions), "counts": dict(zip(labels.tolist(), counts.tolist()))}
    spread = "  ".join(f"{label}: {count}" for label, count in result["counts"].items())
    session.emit(result, f"Wrote {submission} ({len(predictions):,} predictions).\nPredicted digits: {spread}")
    return 0
