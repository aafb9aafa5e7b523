"""``skdigits export``: write a saved model as ONNX or a TensorFlow SavedModel, scaling and calibration included."""

import os

from skdigits.cli import options

NAME = "export"
HELP = "export a saved model as ONNX or a TensorFlow SavedModel (raw pixels in, calibrated probabilities out)"
DESCRIPTION = (
    "Export a model saved by `skdigits train` (or skdigits.save_model) as one graph that\n"
    "takes raw pixel rows, float32 (n, 784) with values 0-255 as in Kaggle's CSV, and returns\n"
    "the calibrated probabilities of predict_proba, one column per class: the pixel scaling,\n"
    "the network and the fitted temperature are all inside. --format onnx writes one file\n"
    "for onnxruntime (needs: pip install 'skdigits[export]'); --format savedmodel creates a\n"
    "folder for TensorFlow Serving or the TensorFlow.js converter, and never replaces one."
)
_DEFAULT_NAMES = {"onnx": "model.onnx", "savedmodel": "model_savedmodel"}


def add_arguments(parser):
    """Add the options of ``skdigits export`` to its ``parser``."""
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    options.add_model_path(data, saving=False)
    data.add_argument("--format", choices=tuple(_DEFAULT_NAMES), default="onnx",
                      help="onnx: one .onnx file; savedmodel: a new folder (default: %(default)s)")
    data.add_argument("--output", metavar="PATH",
                      help="the file or folder to write (default: DIR/model.onnx or DIR/model_savedmodel)")


def run(args, session):
    """Run ``skdigits export``, with the parsed ``args`` and the running ``session``; return the exit status."""
    output = _output_path(args, session)
    model_path = args.model or os.path.join(args.output_dir, "model.skdigits")
    if os.path.isfile(model_path) and os.path.lexists(output) and os.path.samefile(model_path, output):
        from skdigits.exceptions import InvalidParameterError

        raise InvalidParameterError(f"--output {output} is the model file itself, which the export would replace; "
                                    "write the export to another path.")
    session.info(f"Loading model {model_path}...")

    from sklearn.exceptions import NotFittedError

    from skdigits.exceptions import DataError
    from skdigits.export import export_model
    from skdigits.export.onnx_file import class_labels
    from skdigits.export.plan import plan_of
    from skdigits.persistence import load_model

    model = load_model(model_path)
    try:
        plan = plan_of(model)  # refuses before TensorFlow builds anything
    except NotFittedError:
        raise DataError(f"{model_path}: the model was saved unfitted; train it first (skdigits train).") from None
    session.info(f"Exporting it as {args.format}...")
    session.save(output, lambda path: export_model(model, path, format=args.format))
    classes = class_labels(plan.classes)
    # "files", as every command that writes; "input" and "output" are the graph's tensors.
    result = {"command": "export", "model": model_path, "format": args.format, "files": [output],
              "input": {"name": "pixels", "dtype": "float32", "shape": [None, plan.n_features]},
              "output": {"name": "probabilities", "dtype": "float32", "shape": [None, len(classes)]},
              "classes": classes}
    session.emit(result, f"Wrote {output}: input 'pixels' float32 (n, {plan.n_features}), output 'probabilities' "
                         f"float32 (n, {len(classes)}), columns in the order of the classes {classes}.")
    return 0


def _output_path(args, session):
    """The output, checked before the model is loaded: a file as every output, or a folder that must be new."""
    if args.format == "onnx":
        from skdigits.export.onnx_file import require_onnx

        require_onnx()  # a missing extra is said before the model loads, not after
        return session.path(args.output, _DEFAULT_NAMES["onnx"])
    from skdigits.export.saved_model import check_new_folder

    path = args.output or os.path.join(session.output_dir(), _DEFAULT_NAMES["savedmodel"])
    check_new_folder(path)
    return path
