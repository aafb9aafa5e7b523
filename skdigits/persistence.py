"""Save and load models: a safe format that runs no code, and joblib.

Two formats, both written atomically (to a temporary file in the same folder,
then renamed), so a failure or Ctrl-C never leaves a half-written file and
never damages an existing one:

* :func:`save_model` / :func:`load_model`: skdigits' **safe format**, one zip
  file (``.skdigits`` by convention) of plain JSON and Keras' native
  ``.keras`` networks, loaded with ``safe_mode=True``. No pickle anywhere:
  loading a file from a stranger cannot run code. It holds
  :class:`DigitImageTransformer`, :class:`CNNDigitClassifier`,
  :class:`CNNEnsembleClassifier`, and Pipelines of them.
* :func:`save_joblib` / :func:`load_joblib`: joblib (pickle), for any
  estimator, including pipelines with other scikit-learn steps.

.. warning::
   joblib (like pickle) runs code while it loads a file. Only load joblib
   files you made yourself or got from someone you trust; share models in
   the safe format.

Importing this module does not import TensorFlow; saving or loading a
network does.
"""

import numbers
import os
import warnings

from skdigits._atomic import atomic_save

__all__ = ["save_model", "load_model", "save_joblib", "load_joblib", "ModelVersionWarning"]

# How a joblib file can start: a pickle (protocol 2+) or one of joblib's compressors.
_PICKLE_MAGIC = b"\x80"
_COMPRESSED_MAGICS = {
    b"\x78": "zlib",
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ": "xz",
    b"\x5d\x00\x00": "lzma",
    b"\x04\x22\x4d\x18": "lz4",
}
_ZIP_MAGIC = b"PK\x03\x04"
_VERSIONED = ("skdigits", "keras", "tensorflow", "scikit-learn", "numpy")


def _is_joblib(start):
    """Whether a file's first bytes are those of a pickle or a joblib-compressed file."""
    return start.startswith(_PICKLE_MAGIC) or any(start.startswith(m) for m in _COMPRESSED_MAGICS)


class ModelVersionWarning(UserWarning):
    """A model file was written by other versions of skdigits or its libraries."""


# ---------------------------------------------------------------- the safe format
def save_model(estimator, path):
    """Save an estimator in skdigits' safe format: JSON and ``.keras``, no pickle.

    Parameters
    ----------
    estimator : DigitImageTransformer, CNNDigitClassifier, CNNEnsembleClassifier or Pipeline
        Fitted or not. A Pipeline may hold only those kinds of step (as
        :func:`skdigits.make_digit_pipeline` builds it); an ensemble's
        members may be classifiers or such Pipelines.
    path : str or os.PathLike
        The file to write, by convention ending in ``.skdigits``; replaced
        if it exists. Its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``estimator`` (or a step) is of another class, or a parameter or
        label cannot be written as JSON (save it with :func:`save_joblib`).

    Warns
    -----
    UserWarning
        When ``callbacks`` or a ``RandomState`` are dropped: they are code or
        state, not values; the loaded model has ``None`` in their place.

    See Also
    --------
    load_model : Read the file back, running no code from it.
    save_joblib : The joblib format, for any estimator.

    Notes
    -----
    A network is saved with its weights but without its optimizer's state
    (RMSprop's running averages would double the file). A loaded classifier
    predicts exactly as the saved one, and ``partial_fit`` trains on from its
    weights with a fresh optimizer made from its parameters.

    Examples
    --------
    >>> import os, tempfile
    >>> from skdigits import DigitImageTransformer, load_model, save_model
    >>> path = os.path.join(tempfile.mkdtemp(), "images.skdigits")
    >>> _ = save_model(DigitImageTransformer(scale=16.0), path)
    >>> load_model(path)
    DigitImageTransformer(scale=16.0)
    """
    from pathlib import Path

    from skdigits import _safe_format as fmt

    networks = {}
    manifest = {
        "format": fmt.FORMAT,
        "format_version": fmt.FORMAT_VERSION,
        "versions": _versions(),
        "estimator": _describe(estimator, networks, "estimator"),
        "networks": sorted(networks),
    }
    atomic_save(path, lambda temp: fmt.write_archive(temp, manifest, networks))
    return Path(path)


def load_model(path):
    """Load a model saved by :func:`save_model`, running no code from the file.

    The file is checked before anything is built: only the classes
    :class:`DigitImageTransformer`, :class:`CNNDigitClassifier`,
    :class:`CNNEnsembleClassifier` and ``Pipeline``, only their own parameters, and only Keras networks made of
    Keras' and skdigits' layers (Keras loads them with ``safe_mode=True``).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.skdigits`` file.

    Returns
    -------
    estimator object
        The saved estimator, ready to ``predict`` (or to ``fit``, if it was
        saved unfitted).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is empty, truncated, a joblib/pickle file (load that
        with :func:`load_joblib` if you trust it), or anything else than a
        model in the safe format, or if it was tampered with. The message
        names the file and the problem; nothing from the file was run.

    Warns
    -----
    ModelVersionWarning
        When the file was written with another major or minor version of
        skdigits, Keras, TensorFlow, scikit-learn or NumPy.

    See Also
    --------
    save_model : Write such a file.
    load_joblib : Load a joblib file (runs code from it).

    Examples
    --------
    >>> from skdigits import load_model
    >>> model = load_model("model.skdigits")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    return _load_safe(path, _ESTIMATORS)


def _load_safe(path, how):
    """Check the safe-format file ``path`` and rebuild its estimator as ``how`` finishes it (see :class:`_Estimators`).

    The checks and error messages of :func:`load_model`, shared with
    :func:`skdigits.load_predictor`: any failure becomes a ValueError that
    names the file.
    """
    from skdigits import _safe_format as fmt

    path = os.fspath(path)
    start = _check_readable(path)
    if _is_joblib(start):
        raise ValueError(
            f"{path}: this is a joblib/pickle file, not the safe format; loading it would run code "
            "stored in it. If you trust its source, use skdigits.load_joblib (or joblib.load)."
        )
    if not start.startswith(_ZIP_MAGIC):
        raise ValueError(f"{path}: this is {_what_is(start)}, not a model saved by skdigits.save_model.")
    try:
        manifest, networks = fmt.read_archive(path)
        _check_versions(path, manifest.get("versions"))
        return _build(manifest.get("estimator"), networks, "estimator", how)
    except fmt.UnsafeModelError as exc:
        raise ValueError(f"{path}: refused: {exc} Nothing from the file was run.") from None
    except fmt.UnsupportedModelError as exc:  # still a ValueError; its type lets callers fall back to load_model
        raise fmt.UnsupportedModelError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, OSError, EOFError) as exc:
        detail = " ".join(str(exc).split())[:300]
        raise ValueError(f"{path}: the model file is damaged or not a skdigits model "
                         f"({type(exc).__name__}: {detail}).") from exc


def _versions():
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _check_versions(path, saved):
    if not isinstance(saved, dict):
        return
    here = _versions()
    differ = [f"{name} {saved.get(name)} (now {here[name]})" for name in _VERSIONED
              if saved.get(name) and here[name] and saved[name].split(".")[:2] != here[name].split(".")[:2]]
    if differ:
        warnings.warn(f"{path} was saved with " + ", ".join(differ) + "; check its predictions.",
                      ModelVersionWarning, stacklevel=4)  # the caller of load_model


def _describe(estimator, networks, where):
    """The manifest entry of one estimator; its networks go into ``networks``."""
    from sklearn.pipeline import Pipeline

    from skdigits import _safe_format as fmt

    kind = type(estimator).__name__
    if isinstance(estimator, Pipeline) and type(estimator) is Pipeline:
        steps = [{"name": name, **_describe(step, networks, f"{where}.{name}")} for name, step in estimator.steps]
        return {"class": "Pipeline", "params": {"verbose": bool(estimator.verbose)}, "steps": steps}
    if kind not in _classes():
        raise TypeError(
            f"save_model() writes DigitImageTransformer, CNNDigitClassifier, CNNEnsembleClassifier and "
            f"Pipelines of them; "
            f"got {kind}. Save other estimators with skdigits.save_joblib (a pickle: it runs code when loaded)."
        )
    params = estimator.get_params(deep=False)
    template = params.pop("estimator", None)  # an ensemble's member: described below
    # Callbacks are code and a RandomState is state: neither is a value JSON can hold.
    dropped = {"callbacks": bool(params.get("callbacks")),
               "random_state": not isinstance(params.get("random_state"), (type(None), numbers.Integral))}
    for name in [name for name in dropped if name in params]:
        if dropped[name]:
            warnings.warn(f"{where}: {name}={params[name]!r} is not saved (not a plain value); "
                          f"the loaded model has {name}=None.", UserWarning, stacklevel=3)
        if name == "callbacks" or dropped[name]:
            params[name] = None
    entry = {"class": kind, "params": fmt.params_to_json(params)}
    if kind == "CNNEnsembleClassifier":
        return _describe_ensemble(estimator, template, entry, networks, where)
    if hasattr(estimator, "image_shape_"):
        fitted = {
            "n_features_in_": int(estimator.n_features_in_),
            "image_shape_": [int(s) for s in estimator.image_shape_],
        }
        if hasattr(estimator, "feature_names_in_"):
            fitted["feature_names_in_"] = fmt.labels_to_json(estimator.feature_names_in_)
        if kind == "CNNDigitClassifier":
            network = f"{where}.keras"
            networks[network] = fmt.keras_to_bytes(estimator.model_)
            fitted.update(
                network=network,
                classes_=fmt.labels_to_json(estimator.classes_),
                history_={k: [float(v) for v in vals] for k, vals in estimator.history_.items()},
                seed=int(estimator._seed),
            )
        entry["fitted"] = fitted
    return entry


def _describe_ensemble(ensemble, template, entry, networks, where):
    """Complete an ensemble's manifest entry with its member template and fitted members."""
    from skdigits import _safe_format as fmt

    entry["estimator"] = None if template is None else _describe(template, networks, f"{where}.estimator")
    if hasattr(ensemble, "estimators_"):
        fitted = {
            "n_features_in_": int(ensemble.n_features_in_),
            "classes_": fmt.labels_to_json(ensemble.classes_),
            "members": [_describe(m, networks, f"{where}.member{i}") for i, m in enumerate(ensemble.estimators_)],
        }
        if hasattr(ensemble, "feature_names_in_"):
            fitted["feature_names_in_"] = fmt.labels_to_json(ensemble.feature_names_in_)
        entry["fitted"] = fitted
    return entry


_CLASS_MODULES = {"DigitImageTransformer": "skdigits.preprocessing", "CNNDigitClassifier": "skdigits.classifier",
                  "CNNEnsembleClassifier": "skdigits.ensemble"}


def _class(kind):
    """The class the safe format calls ``kind``, importing only its own module."""
    import importlib

    return getattr(importlib.import_module(_CLASS_MODULES[kind]), kind)


def _classes():
    return {kind: _class(kind) for kind in _CLASS_MODULES}


class _Estimators:
    """How :func:`load_model` finishes each checked manifest entry: as the estimator itself.

    :func:`_build` walks and checks the manifest and hands each estimator's
    decoded parts to these methods; :func:`skdigits.load_predictor` passes a
    subclass that makes TensorFlow-free predictors instead.
    """

    #: Build Keras optimizers from their (checked) configs.
    optimizers = True

    def param_names(self, kind):
        """The constructor parameters that an estimator of class ``kind`` may have."""
        return _class(kind)._get_param_names()

    def unfitted(self, kind, params, where):
        """An estimator saved unfitted."""
        return _class(kind)(**params)

    def fitted(self, kind, params, attributes, where):
        """A fitted transformer or ensemble: ``attributes`` are its fitted attributes."""
        estimator = _class(kind)(**params)
        vars(estimator).update(attributes)
        return estimator

    def classifier(self, params, attributes, network, where, *, classes, history, seed):
        """A fitted classifier: ``network`` is its checked ``.keras`` file's bytes."""
        from skdigits import _safe_format as fmt

        estimator = self.fitted("CNNDigitClassifier", params, attributes, where)
        return estimator._restore_fitted(fmt.keras_from_bytes(network), classes=classes, history=history, seed=seed)


_ESTIMATORS = _Estimators()


def _build(entry, networks, where, how):
    """Rebuild one estimator from its manifest entry, trusting nothing in it; ``how`` finishes it."""
    import numpy as np
    from sklearn.pipeline import Pipeline

    from skdigits import _safe_format as fmt

    if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
        raise fmt.UnsafeModelError(f"{where} is not an estimator description.")
    kind = entry.get("class")
    if kind == "Pipeline":
        steps = entry.get("steps")
        if not isinstance(steps, list) or not steps:
            raise fmt.UnsafeModelError(f"{where} is a Pipeline without steps.")
        names = [step.get("name") if isinstance(step, dict) else None for step in steps]
        if not all(isinstance(n, str) and n and "__" not in n for n in names) or len(set(names)) != len(names):
            raise fmt.UnsafeModelError(f"{where} has invalid step names {names!r}.")
        built = [(name, _build(step, networks, f"{where}.{name}", how)) for name, step in zip(names, steps)]
        return Pipeline(built, verbose=bool(entry["params"].get("verbose", False)))
    if kind not in _CLASS_MODULES:
        raise fmt.UnsafeModelError(f"{where} names the class {kind!r}, which the safe format never writes.")
    if kind == "CNNEnsembleClassifier":
        return _build_ensemble(entry, networks, where, how)
    params = fmt.params_from_json(entry["params"], how.param_names(kind), optimizers=how.optimizers)
    fitted = entry.get("fitted")
    if fitted is None:
        return how.unfitted(kind, params, where)
    attributes = {"n_features_in_": int(fitted["n_features_in_"]),
                  "image_shape_": tuple(int(s) for s in fitted["image_shape_"])}
    if np.prod(attributes["image_shape_"]) != attributes["n_features_in_"]:
        raise fmt.UnsafeModelError(f"{where}: image_shape_ does not match n_features_in_.")
    if "feature_names_in_" in fitted:
        attributes["feature_names_in_"] = fmt.labels_from_json(fitted["feature_names_in_"])
    if kind != "CNNDigitClassifier":
        return how.fitted(kind, params, attributes, where)
    network = fitted["network"]
    if network not in networks:
        raise fmt.UnsafeModelError(f"{where}: the network {network!r} is missing.")
    return how.classifier(
        params, attributes, networks[network], where,
        classes=fmt.labels_from_json(fitted["classes_"]),
        history={str(k): [float(v) for v in vals] for k, vals in dict(fitted["history_"]).items()},
        seed=int(fitted["seed"]),
    )


def _build_member(entry, networks, where, how):
    """Rebuild an ensemble's member, refusing ensembles nested in ensembles."""
    from skdigits import _safe_format as fmt

    if isinstance(entry, dict) and entry.get("class") == "CNNEnsembleClassifier":
        raise fmt.UnsafeModelError(f"{where} nests an ensemble in an ensemble, which save_model never writes.")
    return _build(entry, networks, where, how)


def _build_ensemble(entry, networks, where, how):
    """Rebuild a CNNEnsembleClassifier from its manifest entry."""
    from skdigits import _safe_format as fmt

    kind = "CNNEnsembleClassifier"
    names = [n for n in how.param_names(kind) if n != "estimator"]
    params = fmt.params_from_json(entry["params"], names, optimizers=how.optimizers)
    template = entry.get("estimator")
    params["estimator"] = None if template is None else _build_member(template, networks, f"{where}.estimator", how)
    fitted = entry.get("fitted")
    if fitted is None:
        return how.unfitted(kind, params, where)
    members = fitted.get("members")
    if not isinstance(members, list) or not members:
        raise fmt.UnsafeModelError(f"{where} is a fitted ensemble without members.")
    attributes = {"estimators_": [_build_member(m, networks, f"{where}.member{i}", how)
                                  for i, m in enumerate(members)]}
    if not all(hasattr(m, "classes_") for m in attributes["estimators_"]):
        raise fmt.UnsafeModelError(f"{where} has a member that was never fitted.")
    attributes["classes_"] = fmt.labels_from_json(fitted["classes_"])
    attributes["n_features_in_"] = int(fitted["n_features_in_"])
    if "feature_names_in_" in fitted:
        attributes["feature_names_in_"] = fmt.labels_from_json(fitted["feature_names_in_"])
    return how.fitted(kind, params, attributes, where)


# ---------------------------------------------------------------- joblib
def save_joblib(estimator, path, *, compress=0):
    """Save any fitted estimator (e.g. a digit pipeline) to ``path`` with joblib.

    .. warning::
       A joblib file runs code when it is loaded. Share models with
       :func:`save_model` instead.

    Parameters
    ----------
    estimator : estimator object
        The model to save, typically a fitted pipeline from
        :func:`skdigits.make_digit_pipeline`.
    path : str or os.PathLike
        The file to write, e.g. ``"model.joblib"``; replaced if it exists.
        Its folder must exist.
    compress : int or bool, default=0
        Passed to :func:`joblib.dump`; 0 writes an uncompressed file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``predict`` method.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.

    See Also
    --------
    load_joblib : Read the file back.
    save_model : The safe format.

    Notes
    -----
    A :class:`CNNDigitClassifier` pickles its network with its weights but
    without its optimizer's state (RMSprop's running averages would double
    the file), here as in :func:`joblib.dump` or :func:`pickle.dumps`. A
    loaded classifier predicts exactly as the saved one, and ``partial_fit``
    trains on from its weights with a fresh optimizer made from its
    parameters.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from skdigits.persistence import load_joblib, save_joblib
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> _ = save_joblib(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_joblib(path).predict([[0]]).shape
    (1,)
    """
    import joblib
    from pathlib import Path

    if not callable(getattr(estimator, "predict", None)):
        raise TypeError(
            f"save_joblib() saves estimators with a predict method; got {type(estimator).__name__}."
        )
    atomic_save(path, lambda temp: joblib.dump(estimator, temp, compress=compress))
    return Path(path)


def _check_readable(path):
    """Raise a clear error unless ``path`` is a non-empty file; return its first bytes."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such model file. Train one first, e.g. with 'skdigits train'.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; pass the model file inside it.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path}: the model file is empty (was saving it interrupted?); train the model again.")
    with open(path, "rb") as f:
        return f.read(512)


def _what_is(start):
    if start.startswith(_ZIP_MAGIC):
        return "a zip archive (a Keras .keras file, or a skdigits safe-format model?)"
    if start.lstrip().lower().startswith((b"label", b"pixel", b"imageid")):
        return "a CSV data file"
    if b"\0" not in start:
        return "a text file"
    return "some other binary file"


def load_joblib(path):
    """Load a model saved by :func:`save_joblib` (or by :func:`joblib.dump`).

    .. warning::
       Loading runs code stored in the file. Only load files you trust;
       :func:`load_model` reads the safe format, which runs none.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    estimator object
        The saved model, ready to ``predict``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is empty, truncated, corrupt, not a joblib file (say, a
        CSV file), or needs a module that is not installed. The message
        names the file and the problem.
    TypeError
        If the file holds an object that is not a model (no ``predict``).

    See Also
    --------
    save_joblib : Write a joblib file atomically.

    Examples
    --------
    >>> from skdigits.persistence import load_joblib
    >>> model = load_joblib("model.joblib")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    import joblib

    path = os.fspath(path)
    start = _check_readable(path)
    if not _is_joblib(start):
        hint = "; load it with skdigits.load_model" if start.startswith(_ZIP_MAGIC) else ""
        raise ValueError(f"{path}: this is {_what_is(start)}, not a joblib model file{hint}.")
    try:
        model = joblib.load(path)
    except (EOFError, MemoryError) as exc:
        raise ValueError(f"{path}: the model file is truncated or corrupt ({type(exc).__name__}); "
                         "train the model again.") from exc
    except ModuleNotFoundError as exc:
        raise ValueError(f"{path}: loading the model needs the module {exc.name!r}, which is not installed "
                         "(was it saved by other software or another version?).") from exc
    except Exception as exc:  # unpickling can fail in many ways; all mean "unusable file"
        detail = " ".join(str(exc).split())[:200]
        raise ValueError(f"{path}: the model file is truncated, corrupt or not a skdigits model "
                         f"({type(exc).__name__}: {detail}).") from exc
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"{path}: the file holds a {type(model).__name__}, not a model with a predict method.")
    return model
