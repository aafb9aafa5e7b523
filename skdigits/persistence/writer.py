"""Writing the safe format: the manifest of an estimator, and each network's weights as a ``.npz``."""

import numbers
import warnings

from skdigits.network.architecture import architecture_of, describe, weight_shapes
from skdigits.persistence import manifest as mf
from skdigits.persistence import weights
from skdigits.persistence.archive import write_archive
from skdigits.persistence.parameters import params_to_json
from skdigits.persistence.reader import CLASS_MODULES, FORMAT, FORMAT_VERSION, class_named, installed_versions
from skdigits.utils.atomic import atomic_save

__all__ = ["save_safe"]


def save_safe(estimator, path):
    """Write ``estimator`` to ``path`` in the safe format (see :func:`skdigits.persistence.save_model`)."""
    networks = {}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": installed_versions(),
        "estimator": _describe(estimator, networks, "estimator"),
        "networks": sorted(networks),
    }
    data = mf.dump_json(manifest)
    atomic_save(path, lambda temp: write_archive(temp, data, networks))


def _describe(estimator, networks, where):
    """The manifest entry of one estimator; its networks' ``.npz`` bytes go into ``networks``."""
    from sklearn.pipeline import Pipeline

    kind = type(estimator).__name__
    if isinstance(estimator, Pipeline) and type(estimator) is Pipeline:
        steps = [{"name": name, **_describe(step, networks, f"{where}.{name}")} for name, step in estimator.steps]
        return {"class": "Pipeline", "params": {"verbose": bool(estimator.verbose)}, "steps": steps}
    if kind not in CLASS_MODULES or type(estimator) is not class_named(kind):
        raise TypeError(
            f"save_model() writes DigitImageTransformer, CNNDigitClassifier, CNNEnsembleClassifier and "
            f"Pipelines of them; got {type(estimator).__module__}.{type(estimator).__qualname__}. Save other "
            "estimators with skdigits.save_joblib (a pickle: it runs code when loaded)."
        )
    params = estimator.get_params(deep=False)
    template = params.pop("estimator", None)  # an ensemble's member: described below
    # Callbacks are code and a RandomState is state: neither is a value JSON can hold.
    dropped = {"callbacks": bool(params.get("callbacks")),
               "random_state": not isinstance(params.get("random_state"), (type(None), numbers.Integral))}
    for name in [name for name in dropped if name in params]:
        if dropped[name]:
            warnings.warn(f"{where}: {name}={params[name]!r} is not saved (not a plain value); "
                          f"the loaded model has {name}=None.", UserWarning, stacklevel=4)
        if name == "callbacks" or dropped[name]:
            params[name] = None
    entry = {"class": kind, "params": params_to_json(params)}
    if kind == "CNNEnsembleClassifier":
        return _describe_ensemble(estimator, template, entry, networks, where)
    if hasattr(estimator, "image_shape_"):
        fitted = {
            "n_features_in_": int(estimator.n_features_in_),
            "image_shape_": [int(s) for s in estimator.image_shape_],
        }
        if hasattr(estimator, "feature_names_in_"):
            fitted["feature_names_in_"] = mf.labels_to_json(estimator.feature_names_in_)
        if kind == "CNNDigitClassifier":
            name = f"{where}.npz"
            architecture = architecture_of(entry["params"], estimator.image_shape_, estimator.n_classes_)
            networks[name] = _network_npz(estimator.model_, architecture, where)
            fitted.update(
                network={"file": name, "architecture": architecture},
                classes_=mf.labels_to_json(estimator.classes_),
                history_={k: [float(v) for v in vals] for k, vals in estimator.history_.items()},
                seed=int(estimator._seed),
                temperature_=float(getattr(estimator, "temperature_", 1.0)),
            )
        entry["fitted"] = fitted
    return entry


def _network_npz(model, architecture, where):
    """The ``.npz`` of ``model``'s weights, after checking that it is the network ``build_cnn`` makes."""
    expected = weight_shapes(describe(weights.check_architecture(architecture, where)))
    found = [(w.path, tuple(w.shape)) for w in model.weights]
    if found != expected:
        raise TypeError(f"{where}: its network is not the one skdigits.network.keras_model.build_cnn makes for its "
                        "parameters (its weights differ); save it with skdigits.save_joblib.")
    return weights.to_npz(zip([name for name, _ in expected], model.get_weights()))


def _describe_ensemble(ensemble, template, entry, networks, where):
    """Complete an ensemble's manifest entry with its member template and fitted members."""
    entry["estimator"] = None if template is None else _describe(template, networks, f"{where}.estimator")
    if hasattr(ensemble, "estimators_"):
        fitted = {
            "n_features_in_": int(ensemble.n_features_in_),
            "classes_": mf.labels_to_json(ensemble.classes_),
            "members": [_describe(m, networks, f"{where}.member{i}") for i, m in enumerate(ensemble.estimators_)],
        }
        if hasattr(ensemble, "feature_names_in_"):
            fitted["feature_names_in_"] = mf.labels_to_json(ensemble.feature_names_in_)
        entry["fitted"] = fitted
    return entry
