"""``skdigits predict``: predict a CSV file (writing a Kaggle submission) or image files with a saved model."""

from skdigits.cli import options
from skdigits.cli.inputs import load_model_for_prediction, load_unlabelled, pixels_for, require_digit_classes

NAME = "predict"
HELP = "predict a CSV file (writing a submission) or your own image files with a saved model"
DESCRIPTION = (
    "Predict every digit of a CSV file (Kaggle's test.csv format; a label column is\n"
    "ignored) and write a Kaggle submission: ImageId,Label with ImageId from 1; --proba FILE\n"
    "also writes each digit's probabilities (ImageId, then a column per class), for blending.\n\n"
    "Or predict image files of your own handwriting (--images: PNG, JPEG, BMP, GIF, TIFF,\n"
    "WebP, or folders of them): each is normalised as MNIST was (grey, white ink on black,\n"
    "fitted into 20x20 and centred in 28x28) and the table of file, label and probability\n"
    "is printed (--output FILE also writes it as CSV; --json prints a JSON list)."
)


def add_arguments(parser):
    """Add the options of ``skdigits predict`` to its ``parser``."""
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    what = data.add_mutually_exclusive_group(required=True)
    what.add_argument("--test", metavar="CSV", help="the digits to predict, Kaggle's test.csv")
    what.add_argument("--images", metavar="PATH", nargs="+", help="image files or folders of them")
    options.add_model_path(data, saving=False)
    data.add_argument("--submission", metavar="PATH",
                      help="with --test: the submission to write (default: DIR/submission.csv)")
    data.add_argument("--proba", metavar="CSV",
                      help="with --test: also write the probabilities, ImageId and one column per class")
    data.add_argument("--output", metavar="CSV", help="with --images: also write the table as CSV")


def run(args, session):
    """Run ``skdigits predict``, with the parsed ``args`` and the running ``session``; return the exit status."""
    from skdigits.exceptions import InvalidParameterError

    if args.images and args.submission:
        raise InvalidParameterError("--submission goes with --test; with --images, use --output FILE.csv.")
    if args.test and args.output:
        raise InvalidParameterError("--output goes with --images; with --test, use --submission FILE.csv.")
    if args.images and args.proba:
        raise InvalidParameterError("--proba goes with --test; with --images, --output FILE.csv has the "
                                    "probability of each file's label.")
    return _predict_images(args, session) if args.images else _predict_csv(args, session)


def _predict_csv(args, session):
    submission = session.path(args.submission, "submission.csv")
    proba_path = session.path(args.proba, None) if args.proba else None
    model_path, model = load_model_for_prediction(args, session)
    require_digit_classes(model, model_path, "a Kaggle submission")
    X = load_unlabelled(args.test)

    import numpy as np

    from skdigits.datasets.digit_recognizer import write_submission

    proba = model.predict_proba(pixels_for(model, X))
    predictions = np.asarray(model.classes_)[proba.argmax(axis=1)]  # predict(), without a second pass
    session.save(submission, write_submission, predictions)
    if proba_path:
        session.save_text(_probabilities_csv(proba, model.classes_), proba_path)
    labels, counts = np.unique(predictions, return_counts=True)
    result = {"command": "predict", "model": model_path, "test": args.test, "submission": submission,
              "proba": proba_path,
              "n_predicted": len(predictions), "counts": dict(zip(labels.tolist(), counts.tolist()))}
    spread = "  ".join(f"{label}: {count}" for label, count in result["counts"].items())
    session.emit(result, f"Wrote {submission} ({len(predictions):,} predictions).\nPredicted digits: {spread}")
    return 0


def _predict_images(args, session):
    output = session.path(args.output, None) if args.output else None
    from skdigits.images.files import predict_image_files
    from skdigits.utils.terminal import printable

    model_path, model = load_model_for_prediction(args, session)
    rows = predict_image_files(model, args.images)
    if output:
        session.save_text(_csv_table(rows), output)
    # File names (from a folder's listing) and labels (from the model file) with control characters escaped:
    # a newline in a name cannot forge a row, nor an escape sequence reach the terminal. CSV and JSON escape theirs.
    shown = [(printable(row["file"]), printable(row["label"])) for row in rows]
    width = max(len("file"), *(len(name) for name, _ in shown))
    lines = [f"{'file':<{width}}  label  probability"]
    lines += [f"{name:<{width}}  {label:>5}  {row['probability']:11.4f}" for (name, label), row in zip(shown, rows)]
    session.emit(rows, "\n".join(lines) + (f"\nWrote {output}" if output else ""))
    return 0


def _csv_table(rows):
    import csv
    import io

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["file", "label", "probability"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def _probabilities_csv(proba, classes):
    """``ImageId`` from 1, then each class's probability (9 significant digits: float32 exactly)."""
    header = ",".join(["ImageId", *(str(label) for label in classes)])
    rows = (",".join([str(i), *(f"{p:.9g}" for p in row)]) for i, row in enumerate(proba.tolist(), start=1))
    return "\n".join([header, *rows]) + "\n"

