"""The arithmetic a fit trains in: bfloat16 where the CPU computes it natively, float32 elsewhere.

``CNNDigitClassifier(precision="bfloat16")`` switches the convolutions and
the hidden dense layer to Keras' ``"mixed_bfloat16"`` dtype policy for the
length of a fit and back to float32 after it. Their weights stay float32
throughout (a mixed policy only casts them for the arithmetic), so the network
a fit leaves behind predicts, saves, pickles and exports exactly as a float32
one does, and no file records the precision. The warp and the softmax layer
never leave float32 (see :func:`skdigits.network.keras_model.build_cnn`).

CPUs with AVX512_BF16 or AMX compute bfloat16 in hardware, faster than
float32 by an amount that varies with the machine and its load
(``benchmarks/epoch_cost.py --variants float32 bfloat16`` measures it);
elsewhere oneDNN emulates it, slower than float32. So ``"auto"`` picks
bfloat16 only on such a CPU, with no GPU visible to TensorFlow and oneDNN on.
"""

import contextlib
import functools
import os

__all__ = ["PRECISIONS", "cpu_computes_bfloat16", "resolve_precision", "training_precision"]

#: The values of ``CNNDigitClassifier(precision=...)``.
PRECISIONS = ("auto", "float32", "bfloat16")
#: /proc/cpuinfo flags of the instruction sets that compute bfloat16 dot products in hardware.
NATIVE_BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
_CPUINFO = "/proc/cpuinfo"
_CPUINFO_BYTES = 1 << 20  # one core's entry is ~2 KB; the first "flags" line is all we read


def _cpu_flags(path):
    """The first ``flags`` line of ``path`` as a set; empty where there is none (not Linux)."""
    try:
        with open(path, "rb") as f:
            text = f.read(_CPUINFO_BYTES).decode("ascii", "replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


@functools.cache
def cpu_computes_bfloat16(path=_CPUINFO):
    """Whether this CPU computes bfloat16 in hardware and TensorFlow's oneDNN kernels may use it.

    Parameters
    ----------
    path : str, default="/proc/cpuinfo"
        Where the CPU's flags are read (Linux); elsewhere the answer is False.

    Returns
    -------
    bool
        True if the flags include AVX512_BF16 or AMX-BF16 and
        ``TF_ENABLE_ONEDNN_OPTS`` is not ``0``.
    """
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0":
        return False
    return bool(_cpu_flags(path) & NATIVE_BFLOAT16_FLAGS)


def resolve_precision(precision):
    """The arithmetic a fit with this ``precision`` parameter trains in.

    Parameters
    ----------
    precision : {"auto", "float32", "bfloat16"}
        The classifier's ``precision``.

    Returns
    -------
    {"float32", "bfloat16"}
        ``precision`` itself, or for ``"auto"``: ``"bfloat16"`` if
        :func:`cpu_computes_bfloat16` and TensorFlow sees no GPU, else
        ``"float32"``.
    """
    if precision != "auto":
        return precision
    if not cpu_computes_bfloat16():
        return "float32"
    from skdigits._training.backend import tf

    return "float32" if tf.config.list_physical_devices("GPU") else "bfloat16"


def _set_policies(model, layers, policies):
    for layer, policy in zip(layers, policies):
        layer.dtype_policy = policy
    # Keras traces its train, test and predict functions once; force new ones for the new arithmetic.
    model.train_function = model.test_function = model.predict_function = None


@contextlib.contextmanager
def training_precision(model, precision):
    """Train ``model`` in ``precision`` within the block; float32 again after it, whatever happens.

    Parameters
    ----------
    model : keras.Model
        A network from :func:`~skdigits.network.keras_model.build_cnn`,
        in float32.
    precision : {"float32", "bfloat16"}
        A resolved precision (:func:`resolve_precision`).

    Yields
    ------
    None
    """
    if precision == "float32":
        yield
        return
    from skdigits._training.backend import keras
    from skdigits.network.keras_model import FLOAT32_LAYERS

    layers = [layer for layer in model.layers
              if layer.name not in FLOAT32_LAYERS and not isinstance(layer, keras.layers.InputLayer)]
    before = [layer.dtype_policy for layer in layers]
    _set_policies(model, layers, ["mixed_bfloat16"] * len(layers))
    try:
        yield
    finally:
        _set_policies(model, layers, before)
