"""Writing a plan's function as one ONNX file, through tf2onnx, atomically."""

import json
import logging

from skdigits.exceptions import InvalidParameterError

__all__ = ["OPSET", "write_onnx", "require_onnx", "class_labels"]

#: The ONNX opset written: 17 runs on onnxruntime 1.13 and newer, and has every operator the network needs.
OPSET = 17


def require_onnx():
    """Import tf2onnx, or say which extra installs it.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If tf2onnx or onnx is not installed (``format="onnx"`` cannot be served).
    """
    try:
        import onnx  # noqa: F401 (tf2onnx needs it; checked here for a clear message)
        import tf2onnx
    except ImportError as exc:
        raise InvalidParameterError(
            f"format='onnx' needs tf2onnx and onnx ({exc}); install them with: pip install 'skdigits[export]'"
        ) from None
    return tf2onnx


def class_labels(classes):
    """The labels as plain JSON values (NumPy scalars become Python ones)."""
    return [label.item() if hasattr(label, "item") else label for label in classes]


def write_onnx(function, plan, path):
    """Convert ``function`` to ONNX and write it to ``path``, replacing it only when complete.

    Parameters
    ----------
    function : tf.function
        From :func:`skdigits.export.graph.probabilities_function`.
    plan : skdigits.export.plan.Plan
        Its plan, for the metadata (the classes, the input width).
    path : str or os.PathLike
        The ``.onnx`` file; see :func:`skdigits.utils.atomic.atomic_write`.
    """
    from importlib.metadata import version

    from skdigits.utils.atomic import atomic_write

    tf2onnx = require_onnx()
    converter_log = logging.getLogger("tf2onnx")
    level = converter_log.level
    converter_log.setLevel(logging.ERROR)  # it logs every rewrite at INFO: noise for a user, not progress
    try:
        model, _ = tf2onnx.convert.from_function(function, input_signature=function.input_signature, opset=OPSET)
    finally:
        converter_log.setLevel(level)
    # The labels of the output's columns travel with the file: without them a column is only an index.
    metadata = {"skdigits.classes": json.dumps(class_labels(plan.classes)),
                "skdigits.n_features": str(plan.n_features),
                "skdigits.version": version("skdigits")}
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "skdigits"
    for tensor in (*model.graph.input, *model.graph.output):
        tensor.type.tensor_type.shape.dim[0].dim_param = "n"  # tf2onnx names the batch dimension "unk__43"
    data = model.SerializeToString()
    with atomic_write(path, "wb") as file:
        file.write(data)
