"""Estimator parameters in the manifest: written as JSON values, read back checked, optimizers included."""

import json
import numbers

import numpy as np

from skdigits.exceptions import UnsafeModelError
from skdigits.persistence import budgets
from skdigits.persistence.manifest import (
    _short,
    fields,
    integer,
    labels_from_json,
    labels_to_json,
    listed,
    real,
    string,
)
from skdigits.persistence.optimizers import check_optimizer_config, check_optimizer_name


def params_to_json(params):
    """Encode constructor parameters: tuples become lists, Keras optimizers their config."""
    out = {}
    for name, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, np.generic):
            value = value.item()
        elif name == "class_weight" and isinstance(value, dict):  # JSON keys are strings; labels may not be
            value = {"labels": labels_to_json(list(value)), "weights": [float(w) for w in value.values()]}
        elif hasattr(value, "get_config") and hasattr(value, "apply_gradients"):  # an optimizer instance
            from skdigits._training.backend import keras

            value = {"keras_optimizer": keras.optimizers.serialize(value)}
        json.dumps(value, allow_nan=False)  # fails loudly on anything else
        out[name] = value
    return out


def _param(value, where):
    """A parameter value as the manifest may hold it: None, a bool, a number, a string, or a list of those.

    Numbers must be finite in float32, where every real parameter ends up.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):  # every real parameter of skdigits' estimators computes in float32
        return real(value, where, float32=True)
    if isinstance(value, numbers.Integral):
        return integer(value, where, low=-(1 << 63), high=(1 << 63) - 1)
    if isinstance(value, str):
        return string(value, where)
    if isinstance(value, list):
        listed(value, where, limit=budgets.MAX_LAYERS, budget="MAX_LAYERS")
        items = [_param(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if any(isinstance(item, list) for item in items):
            raise UnsafeModelError(f"{where} nests lists, which the safe format never writes.")
        return tuple(items)
    raise UnsafeModelError(f"{where} holds an object the safe format does not write.")


def params_from_json(encoded, known, where, *, optimizers=True):
    """Decode and type-check parameters, refusing names the class does not have.

    An ``optimizer`` is checked either way
    (:mod:`~skdigits.persistence.optimizers`): a name must be a built-in
    optimizer's, a config exactly what Keras writes for one.
    ``optimizers=False`` keeps a config as checked instead of building it
    with Keras (which imports TensorFlow). ``callbacks`` must be null: the
    saver never writes callbacks.

    Parameters
    ----------
    encoded : dict
        The entry's ``params``.
    known : sequence of str
        The estimator's parameter names.
    where : str
        The entry, named in every error.
    optimizers : bool, default=True
        Build a saved optimizer config with ``keras.optimizers.deserialize``.

    Returns
    -------
    dict
        The checked parameters: lists as tuples, optimizer configs as
        Keras optimizers (or as their checked configs).

    Raises
    ------
    UnsafeModelError
        An unknown parameter, a value the saver never writes, or an
        optimizer config that is not a built-in optimizer's or that Keras
        cannot build.
    """
    if not isinstance(encoded, dict):
        raise UnsafeModelError(f"{where}.params is not an object.")
    unknown = sorted(set(encoded) - set(known))
    if unknown:
        raise UnsafeModelError(f"{where}: parameters {unknown[:10]} are not parameters of this estimator.")
    out = {}
    for name, value in encoded.items():
        field = f"{where}.params.{name}"
        if name == "callbacks" and value is not None:
            raise UnsafeModelError(f"{field} is {_short(value)}; save_model writes callbacks as null.")
        if name == "optimizer" and isinstance(value, dict) and set(value) == {"keras_optimizer"}:
            check_optimizer_config(value["keras_optimizer"], f"{field}.keras_optimizer")
            out[name] = _build_optimizer(value["keras_optimizer"], field) if optimizers else value
            continue
        if name == "class_weight" and isinstance(value, dict):
            out[name] = _class_weight(value, field)
            continue
        out[name] = _param(value, field)
        if name == "optimizer":
            check_optimizer_name(string(value, field), field)
    return out


def _build_optimizer(config, where):
    """The Keras optimizer of a checked config; Keras' own refusals become UnsafeModelError."""
    import copy

    from skdigits._training.backend import keras

    try:  # deserialize changes the config it reads
        optimizer = keras.optimizers.deserialize(copy.deepcopy(config))
    except (TypeError, ValueError) as exc:  # from the config alone: it was checked to be plain values
        raise UnsafeModelError(f"{where}: Keras cannot build this optimizer "
                               f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}).") from None
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise UnsafeModelError(f"{where}: Keras does not make an optimizer of this config.")
    return optimizer


def _class_weight(value, where):
    """A ``class_weight`` dict as ``params_to_json`` writes it: its labels, and a weight >= 0 for each."""
    fields(value, where, ("labels", "weights"))
    labels = labels_from_json(value["labels"], f"{where}.labels").tolist()
    weights = listed(value["weights"], f"{where}.weights", limit=budgets.MAX_CLASSES, budget="MAX_CLASSES")
    if len(weights) != len(labels) or len(set(labels)) != len(labels):
        raise UnsafeModelError(f"{where} has {len(labels)} labels ({len(set(labels))} distinct) and "
                               f"{len(weights)} weights.")
    return {label: real(w, f"{where}.weights[{i}]", low=0, float32=True)
            for i, (label, w) in enumerate(zip(labels, weights))}

