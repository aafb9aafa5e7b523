"""Reading the safe format: one checked walk of the manifest, shared by load_model and load_predictor.

:func:`load_safe` opens the file (:mod:`~skdigits.persistence.files`),
checks the archive (:mod:`~skdigits.persistence.archive`), parses and
type-checks the manifest (:mod:`~skdigits.persistence.manifest`) and walks
it, handing each estimator's checked parts to an :class:`Estimators` that
finishes it: as the estimator itself (:func:`load_model`), or as a NumPy
predictor (:func:`skdigits.load_predictor`). Every failure that a file can
cause is an :class:`~skdigits.exceptions.UnsafeModelError` (or a
:class:`~skdigits.exceptions.BudgetExceededError`) naming the file; nothing
in the file is ever run.
"""

import functools
import importlib
import os
import warnings

from skdigits.calibration import TEMPERATURE_RANGE
from skdigits.exceptions import (
    BudgetExceededError,
    ModelVersionWarning,
    UnsafeModelError,
    UnsupportedModelError,
)
from skdigits.network.architecture import architecture_of, describe, parameter_count
from skdigits.persistence import budgets, weights
from skdigits.persistence import manifest as mf
from skdigits.persistence.archive import open_archive, read_member
from skdigits.persistence.files import ZIP_MAGIC, describe_start, is_joblib, open_model_file
from skdigits.persistence.parameters import params_from_json
from skdigits.utils.versions import installed_versions as utils_installed_versions

__all__ = ["load_safe", "Estimators", "ESTIMATORS", "FORMAT", "FORMAT_VERSION", "MANIFEST", "VERSIONED",
           "installed_versions"]

FORMAT = "skdigits-model"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
VERSIONED = ("skdigits", "keras", "tensorflow", "scikit-learn", "numpy")
CLASS_MODULES = {"DigitImageTransformer": "skdigits.preprocessing", "CNNDigitClassifier": "skdigits.classifier",
                 "CNNEnsembleClassifier": "skdigits.ensemble"}
_NETWORK_SUFFIX = ".npz"
_SEED_RANGE = dict(low=0, high=(1 << 32) - 1)
_TEMPERATURES = TEMPERATURE_RANGE  # what fit_temperature can return


def class_named(kind):
    """The class the safe format calls ``kind``, importing only its own module."""
    return getattr(importlib.import_module(CLASS_MODULES[kind]), kind)


def installed_versions():
    """``{library: version or None}`` of the libraries a saved model depends on."""
    return utils_installed_versions(VERSIONED)


class Estimators:
    """How :func:`load_model` finishes each checked manifest entry: as the estimator itself.

    :func:`load_safe` walks and checks the manifest and hands each
    estimator's decoded parts to these methods; :func:`skdigits.load_predictor`
    passes a subclass that makes TensorFlow-free predictors instead.
    """

    #: Build Keras optimizers from their (checked) configs.
    optimizers = True

    def param_names(self, kind):
        """The constructor parameters that an estimator of class ``kind`` may have."""
        return sorted(class_named(kind)().get_params(deep=False))  # __init__ only stores its defaults

    def unfitted(self, kind, params, where):
        """An estimator saved unfitted."""
        return class_named(kind)(**params)

    def fitted(self, kind, params, attributes, where):
        """A fitted transformer or ensemble: ``attributes`` are its fitted attributes."""
        estimator = class_named(kind)(**params)
        vars(estimator).update(attributes)
        _validate(estimator, where)
        return estimator

    def classifier(self, params, attributes, architecture, arrays, where, *, classes, history, seed, temperature):
        """A fitted classifier: its network rebuilt by ``build_cnn`` from ``architecture``, ``arrays`` its weights."""
        from skdigits.network.keras_model import build_cnn

        estimator = self.fitted("CNNDigitClassifier", params, attributes, where)
        model = build_cnn(**architecture, seed=seed)
        model.set_weights(arrays)
        return estimator._restore_fitted(model, classes=classes, history=history, seed=seed,
                                         temperature=temperature)


ESTIMATORS = Estimators()


def _validate(estimator, where):
    """Run a fitted estimator's own parameter checks, as its fit did, and name the file's entry if they fail."""
    from skdigits.utils import constraints

    check = getattr(estimator, "_check_params", None)
    if check is None and getattr(type(estimator), "_parameter_constraints", None):
        check = functools.partial(constraints.validate_params, estimator)
    if check is None:
        return
    try:
        check()
    except (ValueError, TypeError) as exc:  # the check's own errors: a parameter out of range
        raise UnsafeModelError(f"{where}: {exc}") from None


def load_safe(path, how):
    """Check the safe-format file ``path`` and rebuild its estimator as ``how`` finishes it.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    how : Estimators
        What to make of each estimator.

    Returns
    -------
    object
        What ``how`` made of the file's estimator.
    """
    path = os.fspath(path)
    with open_model_file(path) as (file, start):
        if is_joblib(start):
            raise UnsafeModelError(
                f"{path}: this is a joblib/pickle file, not the safe format; loading it would run code "
                "stored in it. If you trust its source, use skdigits.load_joblib (or joblib.load).")
        if not start.startswith(ZIP_MAGIC):
            raise UnsafeModelError(f"{path}: this is {describe_start(start)}, not a model saved by "
                                   "skdigits.save_model.")
        try:
            return _read(file, path, how)
        except UnsafeModelError as exc:
            raise UnsafeModelError(f"{path}: refused: {exc} Nothing from the file was run.") from None
        except BudgetExceededError as exc:
            raise BudgetExceededError(f"{path}: refused: {exc} Nothing from the file was run.") from None
        except UnsupportedModelError as exc:  # its type lets callers fall back to load_model
            raise UnsupportedModelError(f"{path}: {exc}") from None


def _read(file, path, how):
    with open_archive(file, "the file", allowed=lambda names: []) as archive:
        names = archive.namelist()
        if MANIFEST not in names:
            raise UnsafeModelError(f"the archive has no {MANIFEST}, so it is not a model saved by skdigits.")
        manifest = mf.parse_json(read_member(archive, MANIFEST, "the file", limit=budgets.MAX_MANIFEST_BYTES,
                                             budget="MAX_MANIFEST_BYTES"), MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise UnsafeModelError(f"{MANIFEST} does not describe a {FORMAT!r} file.")
        version = manifest.get("format_version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise UnsafeModelError(f"format version {mf._short(version)} is not the one this skdigits reads "
                                   f"({FORMAT_VERSION}); load it with the skdigits that wrote it, or save the "
                                   "model again with this one.")
        mf.fields(manifest, MANIFEST, ("format", "format_version", "versions", "estimator", "networks"))
        _check_versions(path, manifest["versions"])
        networks = _Networks(archive, manifest["networks"])
        extra = sorted(set(names) - {MANIFEST} - set(networks.declared))
        if extra:
            raise UnsafeModelError(f"the archive holds unexpected members {extra[:10]}.")
        estimator = _build(manifest["estimator"], networks, "estimator", how)
        unused = sorted(set(networks.declared) - networks.used)
        if unused:
            raise UnsafeModelError(f"the archive holds networks {unused[:10]} that no classifier uses.")
        return estimator


def _check_versions(path, saved):
    mf.fields(saved, f"{MANIFEST} versions", (), VERSIONED)
    for name, value in saved.items():
        if value is not None:
            mf.string(value, f"versions.{name}")
    here = installed_versions()
    differ = [f"{name} {saved.get(name)} (now {here[name]})" for name in VERSIONED
              if saved.get(name) and here[name] and saved[name].split(".")[:2] != here[name].split(".")[:2]]
    if differ:
        warnings.warn(f"{path} was saved with " + ", ".join(differ) + "; check its predictions.",
                      ModelVersionWarning, stacklevel=5)  # the caller of load_model


class _Networks:
    """The networks an archive declares; each is read, checked against its architecture, at most once."""

    def __init__(self, archive, declared):
        declared = mf.listed(declared, f"{MANIFEST} networks", limit=budgets.MAX_NETWORKS, budget="MAX_NETWORKS")
        for i, name in enumerate(declared):
            if not mf.string(name, f"networks[{i}]").endswith(_NETWORK_SUFFIX) or name == MANIFEST:
                raise UnsafeModelError(f"networks[{i}] is {name!r}, not a {_NETWORK_SUFFIX} member.")
        if len(set(declared)) != len(declared):
            raise UnsafeModelError(f"{MANIFEST} lists a network more than once.")
        self.archive, self.declared = archive, declared
        self.used, self.parameters = set(), 0

    def read(self, reference, params, image_shape, classes, where):
        """``(architecture, arrays)`` of the network a classifier's ``fitted.network`` names."""
        mf.fields(reference, f"{where}.network", ("file", "architecture"))
        name, stored = mf.string(reference["file"], f"{where}.network.file"), reference["architecture"]
        if name not in self.declared:
            raise UnsafeModelError(f"{where}: the network {name!r} is missing.")
        if name in self.used:
            raise UnsafeModelError(f"{where}: the network {name!r} is already another classifier's; "
                                   "save_model never shares one.")
        self.used.add(name)
        try:
            derived = architecture_of(params, image_shape, len(classes))
        except KeyError as exc:
            raise UnsafeModelError(f"{where}.params lacks {exc}, which its network's architecture needs.") from None
        except ValueError as exc:  # check_layer_widths: filters or kernel_sizes out of range
            raise UnsafeModelError(f"{where}: {exc}") from None
        architecture = weights.check_architecture(derived, f"{where} (its parameters)")
        if weights.check_architecture(stored, f"{where}.network.architecture") != architecture:
            raise UnsafeModelError(f"{where}: the network's architecture does not match the classifier's parameters.")
        layers = describe(architecture)
        self.parameters += parameter_count(layers)
        budgets.check("MAX_PARAMETERS", self.parameters, budgets.MAX_PARAMETERS, "parameters in the file's networks")
        data = read_member(self.archive, name, "the file", limit=weights.npz_limit(layers))
        return architecture, weights.read_npz(data, layers, f"the network {name!r}")


def _fitted_shape(fitted, where):
    """The checked ``n_features_in_``, ``image_shape_`` and ``feature_names_in_`` of a fitted entry."""
    shape = mf.image_shape(fitted["image_shape_"], f"{where}.image_shape_")
    attributes = {"n_features_in_": mf.integer(fitted["n_features_in_"], f"{where}.n_features_in_", low=1,
                                               high=budgets.MAX_IMAGE_SIDE ** 2),
                  "image_shape_": shape}
    if shape[0] * shape[1] != attributes["n_features_in_"]:
        raise UnsafeModelError(f"{where}: image_shape_ {list(shape)} does not match n_features_in_ "
                               f"{attributes['n_features_in_']}.")
    _feature_names(fitted, attributes, where)
    return attributes


def _feature_names(fitted, attributes, where):
    if "feature_names_in_" in fitted:
        names = mf.labels_from_json(fitted["feature_names_in_"], f"{where}.feature_names_in_",
                                    limit=budgets.MAX_IMAGE_SIDE ** 2, budget="MAX_IMAGE_SIDE")
        if names.dtype != object or len(names) != attributes["n_features_in_"] or len(set(names)) != len(names):
            raise UnsafeModelError(f"{where}.feature_names_in_ is not {attributes['n_features_in_']} distinct "
                                   "strings.")
        attributes["feature_names_in_"] = names


def _history(value, where):
    if not isinstance(value, dict):
        raise UnsafeModelError(f"{where} is not an object.")
    return {mf.string(key, where): [mf.real(v, f"{where}.{key}") for v in mf.listed(
        values, f"{where}.{key}", limit=budgets.MAX_MANIFEST_BYTES, budget="MAX_MANIFEST_BYTES")]
        for key, values in value.items()}


def _classes(fitted, where):
    classes = mf.labels_from_json(fitted["classes_"], f"{where}.classes_")
    first = {}
    for i, label in enumerate(classes.tolist()):  # -0.0 == 0.0, and floats equal once rounded to the dtype
        if label in first:
            raise UnsafeModelError(f"{where}.classes_ holds the label {mf._short(label)} twice (values[{first[label]}] "
                                   f"and values[{i}], equal as {classes.dtype}); a classifier's labels are distinct.")
        first[label] = i
    if len(classes) < 2:
        raise UnsafeModelError(f"{where}.classes_ is not at least 2 distinct labels.")
    return classes


def _build(entry, networks, where, how):
    """Rebuild one estimator from its manifest entry, trusting nothing in it; ``how`` finishes it."""
    if not isinstance(entry, dict):
        raise UnsafeModelError(f"{where} is not an estimator description.")
    kind = entry.get("class")
    if kind == "Pipeline":
        return _build_pipeline(entry, networks, where, how)
    if not isinstance(kind, str) or kind not in CLASS_MODULES:
        raise UnsafeModelError(f"{where} names the class {mf._short(kind)}, which the safe format never writes.")
    if kind == "CNNEnsembleClassifier":
        return _build_ensemble(entry, networks, where, how)
    mf.fields(entry, where, ("class", "params"), ("fitted",))
    params = params_from_json(entry["params"], how.param_names(kind), where, optimizers=how.optimizers)
    if "fitted" not in entry:
        return how.unfitted(kind, params, where)
    if kind == "DigitImageTransformer":
        fitted = mf.fields(entry["fitted"], f"{where}.fitted", ("n_features_in_", "image_shape_"),
                           ("feature_names_in_",))
        return how.fitted(kind, params, _fitted_shape(fitted, f"{where}.fitted"), where)
    fitted = mf.fields(entry["fitted"], f"{where}.fitted",
                       ("n_features_in_", "image_shape_", "network", "classes_", "history_", "seed"),
                       ("feature_names_in_", "temperature_"))
    attributes = _fitted_shape(fitted, f"{where}.fitted")
    classes = _classes(fitted, f"{where}.fitted")
    history = _history(fitted["history_"], f"{where}.fitted.history_")
    seed = mf.integer(fitted["seed"], f"{where}.fitted.seed", **_SEED_RANGE)
    temperature = mf.real(fitted.get("temperature_", 1.0), f"{where}.fitted.temperature_", low=_TEMPERATURES[0],
                          high=_TEMPERATURES[1], float32=True)
    missing = set(how.param_names(kind)) - set(params)
    if missing:
        raise UnsafeModelError(f"{where}.params lacks {sorted(missing)[:10]}.")
    architecture, arrays = networks.read(fitted["network"], entry["params"], attributes["image_shape_"], classes,
                                         where)
    return how.classifier(params, attributes, architecture, arrays, where, classes=classes, history=history,
                          seed=seed, temperature=temperature)


def _build_pipeline(entry, networks, where, how):
    from sklearn.pipeline import Pipeline

    mf.fields(entry, where, ("class", "params", "steps"))
    params = mf.fields(entry["params"], f"{where}.params", (), ("verbose",))
    steps = mf.listed(entry["steps"], f"{where}.steps", limit=budgets.MAX_MEMBERS, budget="MAX_MEMBERS")
    names = [step.get("name") if isinstance(step, dict) else None for step in steps]
    if not steps or not all(isinstance(n, str) and n and "__" not in n for n in names) or \
            len(set(names)) != len(names):
        raise UnsafeModelError(f"{where} has invalid step names {mf._short(names)}.")
    built = [(mf.string(name, f"{where}.steps"), _build({k: v for k, v in step.items() if k != "name"}, networks,
                                                        f"{where}.{name}", how))
             for name, step in zip(names, steps)]
    return Pipeline(built, verbose=mf.boolean(params.get("verbose", False), f"{where}.params.verbose"))


def _build_member(entry, networks, where, how):
    """Rebuild an ensemble's member, refusing ensembles nested in ensembles."""
    if isinstance(entry, dict) and entry.get("class") == "CNNEnsembleClassifier":
        raise UnsafeModelError(f"{where} nests an ensemble in an ensemble, which save_model never writes.")
    return _build(entry, networks, where, how)


def _build_ensemble(entry, networks, where, how):
    """Rebuild a CNNEnsembleClassifier from its manifest entry."""
    kind = "CNNEnsembleClassifier"
    mf.fields(entry, where, ("class", "params", "estimator"), ("fitted",))
    names = [n for n in how.param_names(kind) if n != "estimator"]
    params = params_from_json(entry["params"], names, where, optimizers=how.optimizers)
    template = entry["estimator"]
    params["estimator"] = None if template is None else _build_member(template, networks, f"{where}.estimator", how)
    if "fitted" not in entry:
        return how.unfitted(kind, params, where)
    fitted = mf.fields(entry["fitted"], f"{where}.fitted", ("n_features_in_", "classes_", "members"),
                       ("feature_names_in_",))
    members = mf.listed(fitted["members"], f"{where}.fitted.members", limit=budgets.MAX_ENSEMBLE_MEMBERS,
                        budget="MAX_ENSEMBLE_MEMBERS")
    if not members:
        raise UnsafeModelError(f"{where} is a fitted ensemble without members.")
    attributes = {"n_features_in_": mf.integer(fitted["n_features_in_"], f"{where}.fitted.n_features_in_", low=1,
                                               high=budgets.MAX_IMAGE_SIDE ** 2),
                  "classes_": _classes(fitted, f"{where}.fitted")}
    _feature_names(fitted, attributes, f"{where}.fitted")
    attributes["estimators_"] = [_build_member(m, networks, f"{where}.member{i}", how) for i, m in enumerate(members)]
    if not all(hasattr(m, "classes_") for m in attributes["estimators_"]):
        raise UnsafeModelError(f"{where} has a member that was never fitted.")
    return how.fitted(kind, params, attributes, where)
