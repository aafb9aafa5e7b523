"""The safe model format: one zip file of plain JSON and Keras' native ``.keras`` files.

Nothing in it is pickled. ``manifest.json`` names each estimator by one of a
short list of classes, with its parameters and fitted attributes as JSON
values; each network is a ``.keras`` file that Keras loads with
``safe_mode=True``. Loading refuses anything it does not recognise before any
object is built: unknown classes or parameters, extra zip members, Keras
configs that refer to modules outside Keras and skdigits, or Lambda layers.
"""

import io
import json
import zipfile

import numpy as np

FORMAT = "skdigits-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Far above any digit CNN (the default network's file is ~3.5 MB), far below a zip bomb.
_MAX_MEMBER_BYTES = 1 << 30
_MAX_MANIFEST_BYTES = 1 << 22
_KERAS_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
_ALLOWED_MODULE_PREFIXES = ("keras", "builtins", "skdigits.")
_REFUSED_LAYERS = {"Lambda", "TFSMLayer"}
_LABEL_KINDS = "biufU"


class UnsafeModelError(ValueError):
    """A model file that is damaged, foreign or tampered with; nothing in it was run."""


class UnsupportedModelError(ValueError):
    """A sound model file that this reader cannot serve (e.g. a network layer the NumPy predictor lacks)."""


# ---------------------------------------------------------------- JSON values
def labels_to_json(values):
    """Encode an array of class labels or feature names as ``{"dtype", "values"}``."""
    values = np.asarray(values)
    if values.dtype.kind == "O" and all(isinstance(v, str) for v in values.tolist()):
        return {"dtype": "str", "values": values.tolist()}
    if values.dtype.kind not in _LABEL_KINDS:
        raise TypeError(
            f"labels of dtype {values.dtype} cannot be stored in the safe format; "
            "use ints or strings as class labels, or save with joblib instead."
        )
    return {"dtype": values.dtype.str, "values": values.tolist()}


def labels_from_json(encoded):
    """Decode what :func:`labels_to_json` wrote."""
    dtype = encoded["dtype"]
    if dtype == "str":
        return np.asarray(encoded["values"], dtype=object)
    dtype = np.dtype(dtype)
    if dtype.kind not in _LABEL_KINDS:
        raise UnsafeModelError(f"label dtype {dtype} is not one the safe format writes.")
    return np.asarray(encoded["values"], dtype=dtype)


def params_to_json(params):
    """Encode constructor parameters: tuples become lists, Keras optimizers their config."""
    out = {}
    for name, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, np.generic):
            value = value.item()
        elif hasattr(value, "get_config") and hasattr(value, "apply_gradients"):  # an optimizer instance
            from skdigits._backend import keras

            value = {"keras_optimizer": keras.optimizers.serialize(value)}
        json.dumps(value, allow_nan=False)  # fails loudly on anything else
        out[name] = value
    return out


def params_from_json(encoded, known, *, optimizers=True):
    """Decode parameters, refusing names the class does not have.

    An optimizer's config is checked either way; ``optimizers=False`` keeps it
    as the checked config instead of building it with Keras (which imports
    TensorFlow).
    """
    unknown = sorted(set(encoded) - set(known))
    if unknown:
        raise UnsafeModelError(f"parameters {unknown} are not parameters of this estimator.")
    out = {}
    for name, value in encoded.items():
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict) and set(value) == {"keras_optimizer"}:
            config = value["keras_optimizer"]
            check_keras_config(config)
            if optimizers:
                from skdigits._backend import keras

                value = keras.optimizers.deserialize(config)
        elif isinstance(value, dict):
            raise UnsafeModelError(f"parameter {name!r} holds an object the safe format does not write.")
        out[name] = value
    return out


# ---------------------------------------------------------------- Keras files
def check_keras_config(config):
    """Refuse Keras configs that name code outside Keras and skdigits, or Lambda layers."""
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            module = node.get("module")
            if module is not None and not (
                isinstance(module, str) and (module == "keras" or module.startswith(_ALLOWED_MODULE_PREFIXES))
            ):
                raise UnsafeModelError(f"the network refers to the module {module!r}, outside Keras and skdigits.")
            registered = node.get("registered_name")
            # Keras registers its own classes with an empty package (">Functional").
            if isinstance(registered, str) and ">" in registered and registered.split(">")[0] not in ("", "skdigits"):
                raise UnsafeModelError(f"the network needs the unknown custom class {registered!r}.")
            if node.get("class_name") in _REFUSED_LAYERS:
                raise UnsafeModelError(f"the network holds a {node['class_name']} layer, which can run code.")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def keras_to_bytes(model):
    """Serialise a Keras model to the bytes of a ``.keras`` file, leaving its optimizer out.

    The file holds the architecture and the weights, not the optimizer's
    state (which would double its size): loaded, the network is uncompiled.
    """
    import os
    import tempfile

    from skdigits.network import without_optimizer

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.keras")
        without_optimizer(model).save(path)
        with open(path, "rb") as f:
            return f.read()


def read_keras_members(data):
    """Return the members of a ``.keras`` file's bytes as ``{name: bytes}``, after checking them and its config.

    Refuses (:class:`UnsafeModelError`) anything but a zip of ``config.json``
    and optionally ``metadata.json`` and ``model.weights.h5``, oversized
    members, and configs that :func:`check_keras_config` refuses. Nothing is
    built; ``config.json`` is returned parsed, as a dict.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnsafeModelError("a network inside the file is not a .keras archive.") from None
    with archive:
        names = set(archive.namelist())
        if not names <= _KERAS_MEMBERS or "config.json" not in names:
            raise UnsafeModelError(f"a network archive holds unexpected members {sorted(names - _KERAS_MEMBERS)}.")
        _check_sizes(archive)
        members = {name: archive.read(name) for name in names}
    members["config.json"] = json.loads(members["config.json"])
    check_keras_config(members["config.json"])
    return members


def keras_from_bytes(data):
    """Load a ``.keras`` file's bytes with ``safe_mode=True`` after checking its members and config."""
    read_keras_members(data)

    import os
    import tempfile

    import skdigits.augmentation  # noqa: F401  (registers RandomDigitAffine with Keras)
    from skdigits._backend import keras

    # keras.saving.load_model takes a path (its file-object loader is private).
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.keras")
        with open(path, "wb") as f:
            f.write(data)
        return keras.saving.load_model(path, safe_mode=True)


# ---------------------------------------------------------------- the outer zip
def _check_sizes(archive):
    for info in archive.infolist():
        if info.file_size > _MAX_MEMBER_BYTES:
            raise UnsafeModelError(f"the member {info.filename!r} would unpack to {info.file_size:,} bytes.")


def write_archive(path, manifest, networks):
    """Write ``manifest`` and the ``.keras`` bytes of ``networks`` (name -> bytes) to ``path``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, allow_nan=False))
        for name, data in networks.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)


def read_archive(path):
    """Return ``(manifest, read_member)`` of a safe-format file, refusing anything unexpected."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise UnsafeModelError("the file is not a zip archive, so not a model in skdigits' safe format.") from None
    with archive:
        names = archive.namelist()
        if MANIFEST not in names:
            raise UnsafeModelError(f"the archive has no {MANIFEST}, so it is not a model saved by skdigits.")
        _check_sizes(archive)
        if archive.getinfo(MANIFEST).file_size > _MAX_MANIFEST_BYTES:
            raise UnsafeModelError(f"{MANIFEST} is too large to be a model description.")
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except (ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise UnsafeModelError(f"{MANIFEST} is not valid JSON ({exc}).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise UnsafeModelError(f"{MANIFEST} does not describe a {FORMAT!r} file.")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise UnsafeModelError(
                f"format version {manifest.get('format_version')!r} is not {FORMAT_VERSION}; "
                "this skdigits cannot read it (upgrade skdigits?)."
            )
        expected = {MANIFEST} | set(manifest.get("networks", []))
        extra = sorted(set(names) - expected)
        if extra:
            raise UnsafeModelError(f"the archive holds unexpected members {extra}.")
        networks = {}
        for name in manifest.get("networks", []):
            try:
                networks[name] = archive.read(name)
            except KeyError:
                raise UnsafeModelError(f"the archive lacks the network {name!r}.") from None
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise UnsafeModelError(f"the network {name!r} is damaged ({exc}).") from None
    return manifest, networks
