"""Writing a plan's function as one ONNX file, through tf2onnx, atomically."""

import json
import logging
import re

from skdigits.exceptions import InvalidParameterError
from skdigits.utils.versions import installed_versions

__all__ = ["OPSET", "write_onnx", "require_onnx", "class_labels"]

#: The ONNX opset written: 17 runs on onnxruntime 1.13 and newer, and has every operator the network needs.
OPSET = 17


def require_onnx():
    """Import tf2onnx, or say which extra installs it, or why the installed one cannot be used.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If tf2onnx or onnx is not installed, or is installed but fails to
        import (``format="onnx"`` cannot be served).
    """
    try:
        import onnx  # noqa: F401 (tf2onnx needs it; checked here for a clear message)
        import tf2onnx
    except ModuleNotFoundError as exc:
        if exc.name not in ("onnx", "tf2onnx"):
            raise InvalidParameterError(_broken_install_message(exc)) from exc
        raise InvalidParameterError(
            f"format='onnx' needs tf2onnx and onnx ({exc}); install them with: pip install 'skdigits[export]'"
        ) from None
    except Exception as exc:  # installed, but at versions that do not work together
        raise InvalidParameterError(_broken_install_message(exc)) from exc
    return tf2onnx


# onnx 1.19 and newer use ml_dtypes' float4 types, new in ml-dtypes 0.5; TensorFlow 2.16-2.18 pin older
# ml-dtypes. onnx 1.19.0 does not declare the floor (the export extra excludes it, but it may be installed).
_ONNX_NEEDS_NEW_ML_DTYPES = (1, 19)
_ML_DTYPES_WITH_FLOAT4 = (0, 5)


def _broken_install_message(exc, versions=None):
    """What to do when tf2onnx or onnx is installed but fails to import with ``exc``."""
    versions = _installed_versions() if versions is None else versions
    listed = ", ".join(f"{name} {version or 'not installed'}" for name, version in versions.items())
    cause = f"format='onnx' needs tf2onnx and onnx, which fail to import here ({type(exc).__name__}: {exc}; {listed})"
    onnx, ml_dtypes = _release(versions.get("onnx")), _release(versions.get("ml-dtypes"))
    if onnx and ml_dtypes and onnx >= _ONNX_NEEDS_NEW_ML_DTYPES and ml_dtypes < _ML_DTYPES_WITH_FLOAT4:
        return (f"{cause}. onnx 1.19 and newer need ml-dtypes 0.5 or newer, which this TensorFlow does not allow; "
                "install an onnx that works with it: pip install 'onnx==1.17.*'")
    return (f"{cause}. `pip check` names the versions that conflict; skdigits is tested with onnx 1.17 and "
            "tf2onnx 1.17 on TensorFlow 2.16, and with the newest of all three")


def _installed_versions():
    return installed_versions(("onnx", "tf2onnx", "ml-dtypes", "tensorflow"))


def _release(text):
    """``"1.19.0"`` -> ``(1, 19)``; None for None or an unreadable version."""
    match = re.match(r"(\d+)\.(\d+)", text or "")
    return (int(match[1]), int(match[2])) if match else None


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
