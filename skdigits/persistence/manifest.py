"""The manifest of the safe format: JSON parsed within budgets, and every value type-checked.

``manifest.json`` is the only JSON the reader parses. Before parsing, its
size and its nesting depth are checked; while parsing, ``NaN``,
``Infinity``, numbers that overflow to infinity and repeated keys are
refused. The helpers below then check each value's type and range before
anything is built from it, and raise
:class:`~skdigits.exceptions.UnsafeModelError` naming the field.
"""

import json
import math
import re

import numpy as np

from skdigits.exceptions import UnsafeModelError
from skdigits.persistence import budgets
from skdigits.utils.constraints import FLOAT32_MAX, FLOAT32_TINY

__all__ = ["parse_json", "dump_json", "fields", "integer", "counted", "real", "boolean", "choice", "string",
           "image_shape", "labels_to_json", "labels_from_json"]

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Label dtypes the format writes: ints and strings (and floats, for float class labels); never bools or objects.
_LABEL_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"}


# ---------------------------------------------------------------- JSON
def _refuse_constant(name):
    raise UnsafeModelError(f"the manifest holds {name}, which is not a finite number.")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise UnsafeModelError(f"the manifest holds the number {text[:40]}, which overflows to infinity.")
    return value


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise UnsafeModelError(f"the manifest repeats the keys {sorted({k for k in keys if keys.count(k) > 1})}.")
    return dict(pairs)


def _depth(data):
    """The deepest nesting of ``[`` and ``{`` outside strings, without recursion."""
    skeleton = np.frombuffer(_STRINGS.sub(b'""', data), dtype=np.uint8)
    steps = np.zeros(len(skeleton), dtype=np.int32)
    steps[(skeleton == ord("[")) | (skeleton == ord("{"))] = 1
    steps[(skeleton == ord("]")) | (skeleton == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def parse_json(data, where):
    """Parse ``data`` (bytes) as strict UTF-8 JSON within ``MAX_JSON_DEPTH``.

    Raises
    ------
    BudgetExceededError
        If ``data`` nests deeper than ``MAX_JSON_DEPTH``.
    UnsafeModelError
        If it is not UTF-8 JSON, or holds ``NaN``, ``Infinity``, an
        overflowing number or a repeated key.
    """
    budgets.check("MAX_JSON_DEPTH", _depth(data), budgets.MAX_JSON_DEPTH, f"levels of nesting in {where}")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float,
                          object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise UnsafeModelError(f"{where} is not UTF-8 text.") from None
    except RecursionError:  # the depth was checked; this would be Python's own limit set very low
        raise UnsafeModelError(f"{where} nests too deeply to parse.") from None
    except ValueError as exc:  # JSONDecodeError, and ints over Python's digit limit
        if isinstance(exc, UnsafeModelError):
            raise
        raise UnsafeModelError(f"{where} is not valid JSON ({' '.join(str(exc).split())[:200]}).") from None


def dump_json(value):
    """The bytes of ``value`` as JSON, refusing non-finite numbers."""
    return json.dumps(value, indent=1, allow_nan=False).encode("utf-8")


# ---------------------------------------------------------------- field checks
def fields(entry, where, required, optional=()):
    """Check that ``entry`` is a dict with all ``required`` keys and no keys beyond ``optional``; return it."""
    if not isinstance(entry, dict):
        raise UnsafeModelError(f"{where} is a {type(entry).__name__}, not an object.")
    missing = [key for key in required if key not in entry]
    unknown = sorted(set(entry) - set(required) - set(optional))
    problems = ([f"lacks {missing}"] if missing else []) + ([f"has unknown keys {unknown[:10]}"] if unknown else [])
    if problems:
        raise UnsafeModelError(f"{where} " + "; ".join(problems) + ".")
    return entry


def integer(value, where, *, low, high):
    """``value`` if it is an int (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UnsafeModelError(f"{where} is {_short(value)}; expected an int in [{low:,}, {high:,}].")
    return value


def counted(value, where, budget):
    """``value`` if it is an int >= 1 within the budget named ``budget`` (checked as a budget)."""
    integer(value, where, low=1, high=1 << 63)
    budgets.check(budget, value, getattr(budgets, budget), f"as {where}")
    return value


def real(value, where, *, low=-math.inf, high=math.inf, float32=False):
    """``value`` as a float if it is a finite number (not a bool) in ``[low, high]``.

    With ``float32``, it must also be finite and meaningful in float32 (the
    dtype that computes with it): 0, or a magnitude in ``[FLOAT32_TINY,
    FLOAT32_MAX]``, about 1.2e-38 to 3.4e38. ``1e300`` would overflow to
    inf there, and ``1e-300`` underflow to 0.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and low <= value <= high):
        raise UnsafeModelError(f"{where} is {_short(value)}; expected a finite number in [{low}, {high}].")
    if float32 and value != 0 and not FLOAT32_TINY <= abs(float(value)) <= FLOAT32_MAX:
        raise UnsafeModelError(f"{where} is {_short(value)}, which {'over' if abs(value) > 1 else 'under'}flows "
                               f"in float32, the dtype skdigits computes in; expected 0 or a magnitude in "
                               f"[{FLOAT32_TINY:.3g}, {FLOAT32_MAX:.3g}].")
    return float(value)


def boolean(value, where):
    """``value`` if it is true or false."""
    if not isinstance(value, bool):
        raise UnsafeModelError(f"{where} is {_short(value)}; expected true or false.")
    return value


def choice(value, where, options):
    """``value`` if it is one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise UnsafeModelError(f"{where} is {_short(value)}; expected one of {', '.join(map(repr, options))}.")
    return value


def string(value, where):
    """``value`` if it is a string of at most ``MAX_STRING_CHARS`` characters."""
    if not isinstance(value, str):
        raise UnsafeModelError(f"{where} is {_short(value)}; expected a string.")
    budgets.check("MAX_STRING_CHARS", len(value), budgets.MAX_STRING_CHARS, f"characters in {where}")
    return value


def listed(value, where, *, limit, budget):
    """``value`` if it is a list of at most ``limit`` items (the constant ``budget``)."""
    if not isinstance(value, list):
        raise UnsafeModelError(f"{where} is {_short(value)}; expected a list.")
    budgets.check(budget, len(value), limit, f"items in {where}")
    return value


def image_shape(value, where):
    """``value`` as a ``(height, width)`` tuple of ints in ``[1, MAX_IMAGE_SIDE]``."""
    if not isinstance(value, list) or len(value) != 2:
        raise UnsafeModelError(f"{where} is {_short(value)}; expected [height, width].")
    for side in value:
        if isinstance(side, int) and not isinstance(side, bool) and side > 0:
            budgets.check("MAX_IMAGE_SIDE", side, budgets.MAX_IMAGE_SIDE, f"pixels on a side of {where}")
    return tuple(integer(side, where, low=1, high=budgets.MAX_IMAGE_SIDE) for side in value)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- labels
def labels_to_json(values):
    """Encode class labels or feature names as ``{"dtype", "values"}``: ints, strings or finite floats only."""
    values = np.asarray(values)
    if values.dtype.kind == "U":
        return {"dtype": values.dtype.str, "values": values.tolist()}
    if values.dtype.kind == "O" and all(isinstance(v, str) for v in values.tolist()):
        return {"dtype": "str", "values": values.tolist()}
    if values.dtype.name not in _LABEL_DTYPES or (values.dtype.kind == "f" and not np.isfinite(values).all()):
        raise TypeError(
            f"labels of dtype {values.dtype} cannot be stored in the safe format; "
            "use ints or strings as class labels, or save with skdigits.save_joblib instead."
        )
    return {"dtype": values.dtype.name, "values": values.tolist()}


def labels_from_json(encoded, where, *, limit=None, budget="MAX_CLASSES"):
    """Decode what :func:`labels_to_json` wrote, checking every value's type first (at most ``limit`` values)."""
    limit = budgets.MAX_CLASSES if limit is None else limit
    fields(encoded, where, ("dtype", "values"))
    kind = string(encoded["dtype"], f"{where}.dtype")
    values = listed(encoded["values"], f"{where}.values", limit=limit, budget=budget)
    unicode = re.fullmatch(r"<U([0-9]{1,7})", kind)
    if kind == "str" or unicode:
        strings = [string(v, f"{where}.values[{i}]") for i, v in enumerate(values)]
        if unicode:  # numpy's fixed-width strings, at most MAX_STRING_CHARS wide
            budgets.check("MAX_STRING_CHARS", int(unicode[1]), budgets.MAX_STRING_CHARS, f"characters in {where}")
        return np.asarray(strings, dtype=kind if unicode else object)
    if kind not in _LABEL_DTYPES:
        raise UnsafeModelError(f"{where}.dtype is {kind!r}; the safe format writes labels of int, float or "
                               "str dtype only.")
    dtype = np.dtype(kind)
    if dtype.kind == "f":
        checked = [real(v, f"{where}.values[{i}]") for i, v in enumerate(values)]
        with np.errstate(over="ignore"):  # a float64 beyond float32's range: refused just below
            labels = np.asarray(checked, dtype=dtype)
        if not np.isfinite(labels).all():
            i = int(np.flatnonzero(~np.isfinite(labels))[0])
            raise UnsafeModelError(f"{where}.values[{i}] is {_short(values[i])}, which is infinite as {dtype.name}; "
                                   f"labels of dtype {dtype.name} are finite numbers within ±{np.finfo(dtype).max}.")
        return labels
    info = np.iinfo(dtype)
    return np.asarray([integer(v, f"{where}.values[{i}]", low=int(info.min), high=int(info.max))
                       for i, v in enumerate(values)], dtype=dtype)


# ---------------------------------------------------------------- constructor parameters
