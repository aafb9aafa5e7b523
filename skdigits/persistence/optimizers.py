"""The one check of a saved optimizer, run by both loaders before anything is built from it.

A classifier's ``optimizer`` parameter is saved as a name (``"adam"``) or,
for an optimizer instance, as ``{"keras_optimizer": config}`` where
``config`` is what ``keras.optimizers.serialize`` writes. This module
accepts only what it writes for one of Keras' built-in optimizers: module
``keras.optimizers``, a class from an allow-list, known config keys with
plain values of the right type and range, and a learning rate that is a
finite positive number or a built-in ``keras.optimizers.schedules``
schedule checked the same way. It imports neither Keras nor TensorFlow, so
:func:`skdigits.load_predictor` runs it too; every refusal is an
:class:`~skdigits.exceptions.UnsafeModelError` naming the field.
"""

import numpy as np

from skdigits.exceptions import UnsafeModelError
from skdigits.persistence import budgets
from skdigits.persistence import manifest as mf

__all__ = ["OPTIMIZER_NAMES", "check_optimizer_name", "check_optimizer_config"]

_FLOAT32_MAX = float(np.finfo(np.float32).max)  # Keras keeps these numbers as float32
_STEPS_MAX = (1 << 63) - 1
_OPTIMIZER_MODULE = "keras.optimizers"
_SCHEDULE_MODULE = "keras.optimizers.schedules"
_ENVELOPE = ("module", "class_name", "config")


def _number(low=-_FLOAT32_MAX, high=_FLOAT32_MAX, *, none=False, integral=False, positive=False):
    """A check of one config value: a finite number (an int if ``integral``) in ``[low, high]``, or None."""
    def check(value, where):
        if value is None and none:
            return
        if integral:
            mf.integer(value, where, low=int(low), high=int(high))
        else:
            mf.real(value, where, low=low, high=high, float32=True)  # no 1e-300 that Keras' float32 makes 0
        if positive and not value > 0:
            raise UnsafeModelError(f"{where} is {value!r}; expected a number > 0.")
    return check


def _boolean(value, where):
    mf.boolean(value, where)


def _name(value, where):
    if "/" in mf.string(value, where):  # Keras refuses it in a name
        raise UnsafeModelError(f"{where} is {mf._short(value)}; a Keras name holds no '/'.")


def _names(value, where):
    mf.listed(value, where, limit=budgets.MAX_LAYERS, budget="MAX_LAYERS")
    for i, item in enumerate(value):
        mf.string(item, f"{where}[{i}]")


def _learning_rate(value, where):
    """A float > 0 (Keras refuses an int), or a built-in schedule."""
    if isinstance(value, dict):
        _check_schedule(value, where)
        return
    if not isinstance(value, float):
        raise UnsafeModelError(f"{where} is {mf._short(value)}; expected a float > 0 or a learning-rate schedule.")
    _POSITIVE(value, where)


_FLOAT = _number()
_OPTIONAL_FLOAT = _number(none=True)
_POSITIVE = _number(positive=True)
_FRACTION = _number(0, 1)
_STEPS = _number(1, _STEPS_MAX, positive=True)  # a count of steps: a number > 0
_NON_NEGATIVE_INT = _number(0, _STEPS_MAX, integral=True)

# Optimizer.get_config's own keys (Keras 3.5 to 3.15), then each class's.
_BASE = {"name": _name, "learning_rate": _learning_rate, "weight_decay": _OPTIONAL_FLOAT,
         "clipnorm": _OPTIONAL_FLOAT, "global_clipnorm": _OPTIONAL_FLOAT, "clipvalue": _OPTIONAL_FLOAT,
         "use_ema": _boolean, "ema_momentum": _FRACTION,
         "ema_overwrite_frequency": _number(1, _STEPS_MAX, none=True, integral=True),
         "loss_scale_factor": _OPTIONAL_FLOAT,
         "gradient_accumulation_steps": _number(2, _STEPS_MAX, none=True, integral=True)}
_BETAS = {"beta_1": _FLOAT, "beta_2": _FLOAT, "epsilon": _FLOAT}
_OPTIMIZERS = {
    "Adadelta": {"rho": _FLOAT, "epsilon": _FLOAT},
    "Adafactor": {"beta_2_decay": _FLOAT, "epsilon_1": _FLOAT, "epsilon_2": _FLOAT, "clip_threshold": _FLOAT,
                  "relative_step": _boolean},
    "Adagrad": {"initial_accumulator_value": _FLOAT, "epsilon": _FLOAT},
    "Adam": {**_BETAS, "amsgrad": _boolean},
    "AdamW": {**_BETAS, "amsgrad": _boolean},
    "Adamax": _BETAS,
    "Ftrl": {"learning_rate_power": _FLOAT, "initial_accumulator_value": _FLOAT,
             "l1_regularization_strength": _FLOAT, "l2_regularization_strength": _FLOAT,
             "l2_shrinkage_regularization_strength": _FLOAT, "beta": _FLOAT},
    "Lion": {"beta_1": _FLOAT, "beta_2": _FLOAT},
    "Muon": {"adam_beta_1": _FLOAT, "adam_beta_2": _FLOAT, "epsilon": _FLOAT, "exclude_layers": _names,
             "muon_a": _FLOAT, "muon_b": _FLOAT, "muon_c": _FLOAT, "adam_lr_ratio": _FLOAT, "momentum": _FLOAT,
             "ns_steps": _number(1, 1000, integral=True), "nesterov": _boolean, "exclude_embeddings": _boolean,
             "adam_weight_decay": _OPTIONAL_FLOAT, "rms_rate": _OPTIONAL_FLOAT},
    "Nadam": _BETAS,
    "RMSprop": {"rho": _FLOAT, "momentum": _FLOAT, "epsilon": _FLOAT, "centered": _boolean},
    "SGD": {"momentum": _FLOAT, "nesterov": _boolean},
    "ScheduleFreeAdamW": {**_BETAS, "warmup_steps": _NON_NEGATIVE_INT},
}
_DECAY = {"name": _name, "initial_learning_rate": _POSITIVE, "decay_steps": _STEPS}
_SCHEDULES = {
    "CosineDecay": {**_DECAY, "alpha": _FLOAT, "warmup_target": _OPTIONAL_FLOAT, "warmup_steps": _NON_NEGATIVE_INT},
    "CosineDecayRestarts": {"name": _name, "initial_learning_rate": _POSITIVE, "first_decay_steps": _STEPS,
                            "t_mul": _FLOAT, "m_mul": _FLOAT, "alpha": _FLOAT},
    "ExponentialDecay": {**_DECAY, "decay_rate": _FLOAT, "staircase": _boolean},
    "InverseTimeDecay": {**_DECAY, "decay_rate": _FLOAT, "staircase": _boolean},
    "PiecewiseConstantDecay": {"name": _name},  # and boundaries and values, checked together below
    "PolynomialDecay": {**_DECAY, "end_learning_rate": _FLOAT, "power": _FLOAT, "cycle": _boolean},
}
# The config keys each schedule requires (Keras has no default for them).
_REQUIRED = {"CosineDecay": ("initial_learning_rate", "decay_steps"),
             "CosineDecayRestarts": ("initial_learning_rate", "first_decay_steps"),
             "ExponentialDecay": ("initial_learning_rate", "decay_steps", "decay_rate"),
             "InverseTimeDecay": ("initial_learning_rate", "decay_steps", "decay_rate"),
             "PiecewiseConstantDecay": ("boundaries", "values"),
             "PolynomialDecay": ("initial_learning_rate", "decay_steps")}

#: The optimizer names ``CNNDigitClassifier(optimizer=...)`` may hold, as ``keras.optimizers.get`` reads them.
OPTIMIZER_NAMES = frozenset(name.lower() for name in _OPTIMIZERS)


def check_optimizer_name(value, where):
    """Refuse an optimizer name that is not one of Keras' built-in optimizers (compared as Keras does).

    Parameters
    ----------
    value : str
        The saved ``optimizer`` parameter.
    where : str
        The field, named in the error.

    Raises
    ------
    UnsafeModelError
        If ``value`` is no built-in optimizer's name.
    """
    if value.lower() not in OPTIMIZER_NAMES:
        raise UnsafeModelError(f"{where} is {mf._short(value)}, which is not one of Keras' built-in optimizers "
                               f"({', '.join(sorted(OPTIMIZER_NAMES))}).")


def check_optimizer_config(config, where):
    """Check a saved optimizer config as ``keras.optimizers.serialize`` writes it for a built-in optimizer.

    Parameters
    ----------
    config : object
        The value of ``{"keras_optimizer": config}`` in the manifest.
    where : str
        The field, named in every error.

    Raises
    ------
    UnsafeModelError
        If ``config`` is not such a dict, names another module or class,
        holds an unknown key, or a value of the wrong type or out of range.
    BudgetExceededError
        A string or list over its budget.
    """
    kind, values = _envelope(config, where, _OPTIMIZER_MODULE, _OPTIMIZERS, "optimizer")
    _check_values(values, {**_BASE, **_OPTIMIZERS[kind]}, f"{where}.config")
    clipping = [key for key in ("clipnorm", "clipvalue", "global_clipnorm") if values.get(key) is not None]
    if len(clipping) > 1:
        raise UnsafeModelError(f"{where}.config sets {clipping}; Keras allows only one of them.")


def _envelope(config, where, module, classes, what):
    """``(class_name, config)`` of a serialized Keras object of ``module`` whose class is one of ``classes``."""
    mf.fields(config, where, _ENVELOPE, ("registered_name",))
    if config["module"] != module:
        raise UnsafeModelError(f"{where}.module is {mf._short(config['module'])}; a saved {what} is in the module "
                               f"{module!r}.")
    kind = config["class_name"]
    if not isinstance(kind, str) or kind not in classes:
        raise UnsafeModelError(f"{where}.class_name is {mf._short(kind)}, which is not one of Keras' built-in "
                               f"{what}s ({', '.join(sorted(classes))}).")
    registered = config.get("registered_name")
    if registered is not None and registered != kind:
        raise UnsafeModelError(f"{where}.registered_name is {mf._short(registered)}; Keras writes None or "
                               f"{kind!r} for its own {what}s.")
    if not isinstance(config["config"], dict):
        raise UnsafeModelError(f"{where}.config is {mf._short(config['config'])}; expected an object.")
    return kind, config["config"]


def _check_values(values, checks, where):
    unknown = sorted(set(values) - set(checks))
    if unknown:
        raise UnsafeModelError(f"{where} has unknown keys {unknown[:10]}; Keras does not write them.")
    for key, value in values.items():
        checks[key](value, f"{where}.{key}")


def _check_schedule(config, where):
    kind, values = _envelope(config, where, _SCHEDULE_MODULE, _SCHEDULES, "learning-rate schedule")
    missing = [key for key in _REQUIRED[kind] if key not in values]
    if missing:
        raise UnsafeModelError(f"{where}.config lacks {missing}, which a {kind} needs.")
    if kind != "PiecewiseConstantDecay":
        _check_values(values, _SCHEDULES[kind], f"{where}.config")
        return
    _check_values({k: v for k, v in values.items() if k not in ("boundaries", "values")}, _SCHEDULES[kind],
                  f"{where}.config")
    boundaries = mf.listed(values["boundaries"], f"{where}.config.boundaries", limit=budgets.MAX_LAYERS,
                           budget="MAX_LAYERS")
    rates = mf.listed(values["values"], f"{where}.config.values", limit=budgets.MAX_LAYERS + 1,
                      budget="MAX_LAYERS")
    for i, boundary in enumerate(boundaries):
        _number(0, _STEPS_MAX)(boundary, f"{where}.config.boundaries[{i}]")
    for i, rate in enumerate(rates):
        _POSITIVE(rate, f"{where}.config.values[{i}]")
    if len(rates) != len(boundaries) + 1 or any(b >= a for a, b in zip(boundaries[1:], boundaries)):
        raise UnsafeModelError(f"{where}.config has {len(boundaries)} boundaries and {len(rates)} values; a "
                               "PiecewiseConstantDecay needs increasing boundaries and one value more.")
