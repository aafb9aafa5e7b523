"""A NumPy forward pass of the digit CNN, read from a ``.keras`` file without Keras.

:func:`load_network` reads the layers that :func:`skdigits.network.build_cnn`
creates from the network's ``config.json`` and its weights from
``model.weights.h5`` (with h5py), and refuses anything else with an
:class:`~skdigits._safe_format.UnsupportedModelError` that says to use
``load_model``. The forward pass is float32 throughout; convolutions are
im2col matrix products, so BLAS does the arithmetic. Probabilities match
Keras' to about 1e-6, not bit for bit (the sums run in another order).

Importing this module imports NumPy only; loading a network imports h5py.
"""

import functools
import io
import re

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from skdigits._safe_format import UnsafeModelError, UnsupportedModelError

__all__ = ["NumpyNetwork", "load_network"]

# The im2col matrix of one chunk of images stays under this many bytes.
_COLUMNS_BUDGET = 32 << 20
_MAX_CHUNK = 1024
_CHANNELS_LAST = ("channels_last", None)


def _relu(x):
    return np.maximum(x, 0, out=x)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_ACTIVATIONS = {"linear": None, "relu": _relu, "softmax": _softmax}


def _activate(activation, x):
    return x if activation is None else activation(x)


class _Layer:
    """A layer of the forward pass: ``__call__`` maps a float32 batch to the next."""

    #: Bytes of the im2col matrix per image (convolutions only).
    columns_bytes = 0

    def output_shape(self, shape):
        """The per-image output shape for the per-image input ``shape``; checks the weights fit it."""
        return shape

    def __call__(self, x):
        return x


class _Identity(_Layer):
    """Layers that do nothing at inference: RandomDigitAffine, Dropout."""


class _Conv2D(_Layer):
    """Stride-1 ``"same"`` convolution as one matrix product of image patches (im2col)."""

    def __init__(self, kernel, bias, activation):
        self.kernel, self.bias, self.activation = kernel, bias, activation

    def output_shape(self, shape):
        h, w, c = shape
        kh, kw, c_in, filters = self.kernel.shape
        if c_in != c:
            raise ValueError(f"its kernel takes {c_in} channels but its input has {c}")
        self.columns_bytes = h * w * kh * kw * c * 4
        return h, w, filters

    def __call__(self, x):
        n, h, w, c = x.shape
        kh, kw, _, filters = self.kernel.shape
        # TensorFlow's "same" padding at stride 1: the odd pixel of an even kernel goes after.
        padded = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
        windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))  # (n, h, w, c, kh, kw)
        columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, kh * kw * c)
        out = columns @ self.kernel.reshape(kh * kw * c, filters)
        if self.bias is not None:
            out += self.bias
        return _activate(self.activation, out.reshape(n, h, w, filters))


class _Dense(_Layer):
    def __init__(self, kernel, bias, activation):
        self.kernel, self.bias, self.activation = kernel, bias, activation

    def output_shape(self, shape):
        if len(shape) != 1 or shape[0] != self.kernel.shape[0]:
            raise ValueError(f"its kernel takes {self.kernel.shape[0]} inputs but its input has shape {shape}")
        return (self.kernel.shape[1],)

    def __call__(self, x):
        out = x @ self.kernel
        if self.bias is not None:
            out += self.bias
        return _activate(self.activation, out)


class _BatchNormalization(_Layer):
    """Inference batch normalisation, in the form of ``tf.nn.batch_normalization``."""

    def __init__(self, gamma, beta, mean, variance, epsilon):
        inv = (1 / np.sqrt(variance + np.float32(epsilon))).astype(np.float32)
        if gamma is not None:
            inv *= gamma
        self.inv = inv
        self.shift = (-mean * inv if beta is None else beta - mean * inv).astype(np.float32)

    def output_shape(self, shape):
        if shape[-1] != len(self.inv):
            raise ValueError(f"it normalises {len(self.inv)} channels but its input has {shape[-1]}")
        return shape

    def __call__(self, x):
        return x * self.inv + self.shift


class _Activation(_Layer):
    def __init__(self, activation):
        self.activation = activation

    def __call__(self, x):
        return _activate(self.activation, x)


class _MaxPooling2D(_Layer):
    """Max-pooling with strides equal to the pool size and TensorFlow's ``"same"`` padding."""

    def __init__(self, pool):
        self.pool = pool

    def output_shape(self, shape):
        h, w, c = shape
        return -(-h // self.pool[0]), -(-w // self.pool[1]), c

    def __call__(self, x):
        n, h, w, c = x.shape
        (ph, pw), (oh, ow, _) = self.pool, self.output_shape((h, w, c))
        # "same": pad to a whole number of pools, the odd pixel after (as TensorFlow), with pixels that never win.
        pad_h, pad_w = oh * ph - h, ow * pw - w
        if pad_h or pad_w:
            x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)),
                       constant_values=-np.inf)
        # Elementwise maxima of the pool's rows, then of its columns: faster than max(axis=(2, 4)).
        rows = functools.reduce(np.maximum, np.moveaxis(x.reshape(n, oh, ph, ow * pw, c), 2, 0))
        return functools.reduce(np.maximum, np.moveaxis(rows.reshape(n, oh, ow, pw, c), 3, 0))


class _Flatten(_Layer):
    def output_shape(self, shape):
        return (int(np.prod(shape)),)

    def __call__(self, x):
        return x.reshape(len(x), -1)  # NHWC order, as Keras' channels_last Flatten


class NumpyNetwork:
    """A digit CNN's forward pass in NumPy, made by :func:`load_network`.

    Parameters
    ----------
    name : str
        The Keras model's name.
    image_shape : tuple of (int, int)
        Height and width of the input images (one channel).
    layers : list of (str, callable)
        Each layer's name and its float32 batch-to-batch function.
    n_outputs : int
        Width of the last layer's output.
    """

    def __init__(self, name, image_shape, layers, n_outputs):
        self.name = name
        self.image_shape = image_shape
        self.layers = layers
        self.n_outputs = n_outputs
        per_image = max([layer.columns_bytes for _, layer in layers] + [1])
        self.chunk_size = int(np.clip(_COLUMNS_BUDGET // per_image, 1, _MAX_CHUNK))

    def __repr__(self):
        return f"<NumpyNetwork {self.name!r}: {len(self.layers)} layers, {self.n_outputs} outputs>"

    def predict(self, images):
        """Return the network's output for ``images``, computed in chunks to bound memory.

        Parameters
        ----------
        images : ndarray of shape (n_samples, height, width, 1)
            Validated images.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs), dtype float32
        """
        images = np.asarray(images, dtype=np.float32)
        out = np.empty((len(images), self.n_outputs), dtype=np.float32)
        for start in range(0, len(images), self.chunk_size):
            x = images[start:start + self.chunk_size]
            for _, layer in self.layers:
                x = layer(x)
            out[start:start + len(x)] = x
        return out


# ---------------------------------------------------------------- reading the .keras file
def _unsupported(layer, what):
    return UnsupportedModelError(
        f"the network's layer {layer.get('name')!r} ({layer.get('class_name')}) {what}, which the NumPy "
        "predictor does not implement; load the model with skdigits.load_model instead."
    )


def _dtype_name(dtype):
    """The dtype-policy name of a layer config's ``dtype`` entry (a string or a DTypePolicy config)."""
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
    return dtype


def _require(layer, **allowed):
    """Refuse ``layer`` unless each config ``key`` holds one of ``allowed[key]``."""
    config = layer["config"]
    for key, values in allowed.items():
        if config.get(key) not in values:
            raise _unsupported(layer, f"has {key}={config.get(key)!r}")


def _activation(layer):
    name = layer["config"].get("activation")
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise _unsupported(layer, f"has activation={name!r}")
    return _ACTIVATIONS[name]


def _pair(value):
    """A Keras size given as an int or a pair, as a tuple of two positive ints (else None)."""
    value = [value, value] if isinstance(value, int) else value
    ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and v > 0 for v in value)
    return tuple(value) if ok else None


def _with_bias(layer, variables, kernel_rank):
    kernel = variables[0]
    if kernel.ndim != kernel_rank or (len(variables) > 1 and variables[1].shape != kernel.shape[-1:]):
        raise ValueError(f"its weights have shapes {[v.shape for v in variables]}")
    return kernel, variables[1] if len(variables) > 1 else None


def _conv2d(layer, variables):
    _require(layer, strides=([1, 1],), padding=("same",), data_format=_CHANNELS_LAST, dilation_rate=([1, 1],),
             groups=(1,), lora_rank=(None,))
    kernel, bias = _with_bias(layer, variables, 4)
    if kernel.shape[:2] != _pair(layer["config"].get("kernel_size")):
        raise ValueError(f"its kernel of shape {kernel.shape} does not match kernel_size")
    return _Conv2D(kernel, bias, _activation(layer))


def _dense(layer, variables):
    _require(layer, quantization_config=(None,), lora_rank=(None,))
    return _Dense(*_with_bias(layer, variables, 2), _activation(layer))


def _batch_normalization(layer, variables):
    _require(layer, axis=(-1, 3, [-1], [3]), renorm=(False, None))
    config = layer["config"]
    epsilon = config.get("epsilon")
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon >= 0:
        raise ValueError(f"its epsilon {epsilon!r} is not a number >= 0")
    # Keras creates gamma (if scale), beta (if center), then the moving mean and variance.
    gamma = variables.pop(0) if config.get("scale", True) else None
    beta = variables.pop(0) if config.get("center", True) else None
    mean, variance = variables
    if any(v is not None and v.shape != mean.shape for v in (gamma, beta, variance)) or mean.ndim != 1:
        raise ValueError("its weights differ in shape")
    return _BatchNormalization(gamma, beta, mean, variance, epsilon)


def _max_pooling2d(layer, variables):
    _require(layer, padding=("same",), data_format=_CHANNELS_LAST)
    pool = _pair(layer["config"].get("pool_size"))
    if pool is None or _pair(layer["config"].get("strides")) != pool:
        raise _unsupported(layer, "has strides other than its pool size")
    return _MaxPooling2D(pool)


def _flatten(layer, variables):
    _require(layer, data_format=_CHANNELS_LAST)
    return _Flatten()


# class name -> (number of weight arrays for the config, maker). Keras' own layers only, plus skdigits' augmentation.
_LAYERS = {
    "Conv2D": (lambda c: 1 + bool(c.get("use_bias", True)), _conv2d),
    "Dense": (lambda c: 1 + bool(c.get("use_bias", True)), _dense),
    "BatchNormalization": (lambda c: 2 + bool(c.get("scale", True)) + bool(c.get("center", True)),
                           _batch_normalization),
    "Activation": (lambda c: 0, lambda layer, variables: _Activation(_activation(layer))),
    "MaxPooling2D": (lambda c: 0, _max_pooling2d),
    "Flatten": (lambda c: 0, _flatten),
    "Dropout": (lambda c: 0, lambda layer, variables: _Identity()),
    "RandomDigitAffine": (lambda c: 0, lambda layer, variables: _Identity()),
}


def _layer_kind(layer):
    """The layer's class name, if it is one this module implements."""
    kind = layer.get("class_name")
    builtin = layer.get("module") == "keras.layers" and layer.get("registered_name") is None
    ours = kind == "RandomDigitAffine" and layer.get("registered_name") == "skdigits>RandomDigitAffine"
    if kind not in _LAYERS or not (ours or (builtin and kind != "RandomDigitAffine")):
        raise _unsupported(layer, "is of a class")
    return kind


def _snake_case(name):
    """Keras' ``naming.to_snake_case``: how ``model.weights.h5`` names a layer's group."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _weight_groups(layers):
    """The ``model.weights.h5`` group of each layer: ``layers/<snake_case class>[_<k>]/vars``, as Keras writes it."""
    used = {}
    for layer in layers:
        base = _snake_case(layer["class_name"])
        used[base] = used.get(base, -1) + 1
        yield f"layers/{base}_{used[base]}/vars" if used[base] else f"layers/{base}/vars"


def _read_variables(weights, group, layer, count):
    if group not in weights:
        raise UnsafeModelError(f"the network's weights lack the group {group!r} of layer {layer['name']!r}.")
    node = weights[group]
    recorded = node.attrs.get("name")
    if isinstance(recorded, bytes):
        recorded = recorded.decode()
    if recorded is not None and recorded != layer["name"]:
        raise UnsafeModelError(f"the network's weights hold {recorded!r} where layer {layer['name']!r} belongs.")
    if set(node) != {str(i) for i in range(count)}:
        raise _unsupported(layer, f"has the weights {sorted(node)} (expected {count})")
    variables = [node[str(i)] for i in range(count)]
    if not all(v.dtype.kind == "f" for v in variables):
        raise UnsafeModelError(f"the network's layer {layer['name']!r} has weights that are not floats.")
    return [np.asarray(v[()], dtype=np.float32) for v in variables]


def _history(node):
    """The name of the layer whose output feeds ``node``'s first argument, or None."""
    args = node.get("args") if isinstance(node, dict) else None
    if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
        return None
    history = args[0].get("config", {}).get("keras_history")
    return history[0] if isinstance(history, list) and history else None


def _endpoint(spec):
    """The layer named by a Functional config's ``input_layers``/``output_layers`` (one tensor), or None."""
    if isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], list):
        spec = spec[0]
    return spec[0] if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str) else None


def _check_chain(config):
    """Return the layers of a Functional model that is one chain of layers from its input to its output."""
    if config.get("class_name") != "Functional" or not isinstance(config.get("config"), dict):
        raise UnsupportedModelError(
            f"the network is a {config.get('class_name')!r} model, not a Functional chain of layers as skdigits "
            "builds; load the model with skdigits.load_model instead.")
    model = config["config"]
    layers = model.get("layers")
    if not isinstance(layers, list) or len(layers) < 2 or not all(
            isinstance(layer, dict) and isinstance(layer.get("config"), dict) and isinstance(layer.get("name"), str)
            for layer in layers):
        raise UnsafeModelError("the network's config lists no layers.")
    for before, layer in zip(layers, layers[1:]):
        nodes = layer.get("inbound_nodes")
        if not isinstance(nodes, list) or len(nodes) != 1 or _history(nodes[0]) != before["name"]:
            raise _unsupported(layer, f"does not simply follow layer {before['name']!r}")
        kwargs = nodes[0].get("kwargs") or {}
        if not isinstance(kwargs, dict) or any(kwargs.get(k) not in (None, False) for k in kwargs):
            raise _unsupported(layer, f"is called with {kwargs!r}")
    if _endpoint(model.get("input_layers")) != layers[0]["name"] or \
            _endpoint(model.get("output_layers")) != layers[-1]["name"]:
        raise UnsupportedModelError("the network's inputs or outputs are not the ends of its chain of layers; "
                                    "load the model with skdigits.load_model instead.")
    return layers


def _input_shape(layer):
    if layer.get("class_name") != "InputLayer" or layer.get("module") != "keras.layers":
        raise _unsupported(layer, "is the network's first layer, not an InputLayer")
    shape = layer["config"].get("batch_shape")
    if not (isinstance(shape, list) and len(shape) == 4 and shape[0] is None and shape[3] == 1
            and all(isinstance(s, int) and s > 0 for s in shape[1:])):
        raise _unsupported(layer, f"takes inputs of shape {shape!r}, not (height, width, 1) images")
    return shape[1], shape[2]


def load_network(config, weights):
    """Make the NumPy forward pass of a digit CNN saved by Keras.

    Parameters
    ----------
    config : dict
        The parsed ``config.json`` of the ``.keras`` file, already checked by
        :func:`skdigits._safe_format.check_keras_config`.
    weights : bytes
        Its ``model.weights.h5``.

    Returns
    -------
    NumpyNetwork

    Raises
    ------
    UnsupportedModelError
        If the network holds a layer or a setting (padding, strides,
        activation, dtype, ...) that the forward pass does not implement.
    UnsafeModelError, ValueError, OSError
        If the config or the weights are damaged or do not fit each other.
    """
    import h5py

    layers = _check_chain(config)
    for layer in layers:
        if _dtype_name(layer["config"].get("dtype", "float32")) != "float32":
            raise _unsupported(layer, f"computes in {_dtype_name(layer['config'].get('dtype'))!r}")
    image_shape = _input_shape(layers[0])
    shape, built = (*image_shape, 1), []
    with h5py.File(io.BytesIO(weights), "r") as file:
        for layer, group in zip(layers[1:], list(_weight_groups(layers))[1:]):
            count, make = _LAYERS[_layer_kind(layer)]
            variables = _read_variables(file, group, layer, count(layer["config"]))
            try:
                op = make(layer, variables)
                shape = op.output_shape(shape)
            except ValueError as exc:
                if isinstance(exc, UnsupportedModelError):
                    raise
                raise ValueError(f"the network's layer {layer['name']!r} does not fit: {exc}.") from None
            built.append((layer["name"], op))
    if len(shape) != 1:
        raise _unsupported(layers[-1], f"outputs shape {shape}, not one row of class scores per image")
    return NumpyNetwork(str(config["config"].get("name")), image_shape, built, shape[0])
