"""A NumPy forward pass of the digit CNN, built from its description and weight arrays, without Keras.

:func:`build_network` turns each layer that
:func:`skdigits.network.architecture.describe` lists into its NumPy
function, with the arrays the safe format stores (already checked against
that description). The forward pass is float32 throughout; convolutions are
im2col matrix products, so BLAS does the arithmetic. Probabilities match
Keras' to about 1e-6, not bit for bit (the sums run in another order).

Importing this module imports NumPy only.
"""

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from skdigits.network.architecture import describe

__all__ = ["NumpyNetwork", "build_network", "LAYER_COSTS", "conv_extent"]

#: Bytes of one value: the forward pass is float32 throughout.
BYTES_PER_VALUE = 4
#: What NumPy allocates besides the arrays counted here, once per operation whatever the number of images: a
#: broadcasting ufunc's buffer (``out += bias``: ``np.getbufsize()`` values, 8192, of at most 8 bytes) and the
#: arrays' headers. A network's working memory includes it once.
NUMPY_OVERHEAD_BYTES = 64 << 10

# A chunk of images needs at most this many bytes of working memory (skdigits.network.cost), or one image's if
# that is more; the budget MAX_WORKING_BYTES_PER_IMAGE (16 MiB) bounds that, so a chunk needs at most 32 MiB.
_CHUNK_BYTES = 32 << 20
_MAX_CHUNK = 1024


def _relu(x):
    return np.maximum(x, 0, out=x)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_ACTIVATIONS = {"linear": None, "relu": _relu, "softmax": _softmax}


def _activate(activation, x):
    return x if activation is None else activation(x)


class _Layer:
    """A layer of the forward pass: ``__call__`` maps a float32 batch to the next.

    The arrays each ``__call__`` makes are those its kind's ``LAYER_COSTS`` entry counts: change one, change both.
    """

    def output_shape(self, shape):
        """The per-image output shape for the per-image input ``shape``; checks the weights fit it."""
        return shape

    def __call__(self, x):
        return x


class _Identity(_Layer):
    """Layers that do nothing at inference: RandomDigitAffine, Dropout."""


class _Conv2D(_Layer):
    """Convolution (stride 1 or 2, ``"same"`` or ``"valid"``) as one matrix product of image patches (im2col)."""

    def __init__(self, kernel, bias, activation, stride=1, padding="same"):
        self.kernel, self.bias, self.activation = kernel, bias, activation
        self.stride, self.padding = stride, padding

    def output_shape(self, shape):
        h, w, c = shape
        kh, kw, c_in, filters = self.kernel.shape
        if c_in != c:
            raise ValueError(f"its kernel takes {c_in} channels but its input has {c}")
        (oh, _), (ow, _) = conv_extent(h, kh, self.stride, self.padding), conv_extent(w, kw, self.stride,
                                                                                      self.padding)
        if min(oh, ow) < 1:
            raise ValueError(f"its {kh}x{kw} kernel leaves no pixels of {h}x{w} inputs")
        return oh, ow, filters

    def __call__(self, x):
        n, h, w, c = x.shape
        kh, kw, _, filters = self.kernel.shape
        (oh, pad_h), (ow, pad_w) = conv_extent(h, kh, self.stride, self.padding), conv_extent(w, kw, self.stride,
                                                                                              self.padding)
        padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
        windows = sliding_window_view(padded, (kh, kw), axis=(1, 2))  # (n, h', w', c, kh, kw)
        windows = windows[:, ::self.stride, ::self.stride][:, :oh, :ow]
        columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, kh * kw * c)
        out = columns @ self.kernel.reshape(kh * kw * c, filters)
        if self.bias is not None:
            out += self.bias
        return _activate(self.activation, out.reshape(n, oh, ow, filters))


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
    """A digit CNN's forward pass in NumPy, made by :func:`build_network`.

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
    working_bytes : int
        The most bytes the layers need at once for one image
        (:func:`skdigits.network.cost.network_cost`): ``predict`` runs
        chunks of ``chunk_size`` images, as many as fit in 32 MiB (at least
        one, at most 1024).
    """

    def __init__(self, name, image_shape, layers, n_outputs, working_bytes):
        self.name = name
        self.image_shape = image_shape
        self.layers = layers
        self.n_outputs = n_outputs
        self.working_bytes = int(working_bytes)
        self.chunk_size = int(np.clip(_CHUNK_BYTES // max(self.working_bytes, 1), 1, _MAX_CHUNK))

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


def _conv2d(layer, arrays):
    return _Conv2D(arrays[0], arrays[1] if len(arrays) > 1 else None, _ACTIVATIONS[layer.activation or "linear"],
                   layer.config["strides"], layer.config["padding"])


def _dense(layer, arrays):
    return _Dense(arrays[0], arrays[1] if len(arrays) > 1 else None, _ACTIVATIONS[layer.activation or "linear"])


# Layer.kind -> maker(layer, its arrays). Augmentation and dropout do nothing at inference.
_MAKERS = {
    "augment": lambda layer, arrays: _Identity(),
    "conv2d": _conv2d,
    "batch_normalization": lambda layer, arrays: _BatchNormalization(*arrays, layer.config["epsilon"]),
    "activation": lambda layer, arrays: _Activation(_ACTIVATIONS[layer.activation]),
    "max_pooling2d": lambda layer, arrays: _MaxPooling2D((layer.config["pool_size"],) * 2),
    "flatten": lambda layer, arrays: _Flatten(),
    "dense": _dense,
    "dropout": lambda layer, arrays: _Identity(),
}


def conv_extent(n, k, stride, padding):
    """Output size and padding of a convolution along one axis, as TensorFlow computes them.

    Parameters
    ----------
    n : int
        Input size along the axis.
    k : int
        Kernel size.
    stride : int
        Stride.
    padding : {"same", "valid"}
        TensorFlow's padding: ``"same"`` pads to cover the last window, the
        odd pixel after (asymmetric at stride 2).

    Returns
    -------
    tuple of (int, tuple of (int, int))
        The output size (below 1 if ``"valid"`` leaves no pixels) and the
        ``(before, after)`` padding.
    """
    if padding == "valid":
        return (n - k) // stride + 1, (0, 0)
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return out, (total // 2, total - total // 2)


def _size(shape):
    size = 1
    for side in shape:
        size *= int(side)
    return size


def _activation(activation, size):
    """Values alive at once beyond the input (relu is in place, softmax makes 3 arrays), and its FLOPs."""
    if activation == "softmax":  # x - max, exp, / sum: one new array each, two alive besides the input
        return 2 * size, 5 * size
    return 0, size if activation == "relu" else 0


def _conv2d(layer, shape):
    (h, w, channels), c = shape, layer.config
    k, stride, padding, filters = c["kernel_size"], c["strides"], c["padding"], c["filters"]
    (oh, pad_h), (ow, pad_w) = conv_extent(h, k, stride, padding), conv_extent(w, k, stride, padding)
    out = oh * ow * filters
    padded = (h + sum(pad_h)) * (w + sum(pad_w)) * channels  # np.pad copies, even when it adds nothing
    columns = oh * ow * k * k * channels  # the im2col matrix: the windows' reshape copies
    extra, activation_flops = _activation(layer.activation, out)
    alive = h * w * channels + padded + columns + out + extra
    flops = 2 * columns * filters + (out if c["use_bias"] else 0) + activation_flops
    return (oh, ow, filters), alive, flops


def _dense(layer, shape):
    (inputs,), units = shape, layer.config["units"]
    extra, activation_flops = _activation(layer.activation, units)
    flops = 2 * inputs * units + (units if layer.config["use_bias"] else 0) + activation_flops
    return (units,), inputs + units + extra, flops


def _max_pooling2d(layer, shape):
    h, w, c = shape
    pool = layer.config["pool_size"]
    oh, ow = -(-h // pool), -(-w // pool)
    padded = oh * pool * ow * pool * c if (oh * pool, ow * pool) != (h, w) else 0  # padded with -inf: a copy
    rows, out = oh * ow * pool * c, oh * ow * c  # the maxima of the pools' rows, then of their columns
    at_once = 1 if pool == 2 else 2  # functools.reduce keeps its running maximum while making the next
    flops = (pool - 1) * (rows + out)
    return (oh, ow, c), h * w * c + padded + at_once * (rows + out), flops


def _batch_normalization(layer, shape):
    size = _size(shape)
    return shape, 3 * size, 2 * size  # x * inv, then + shift: two new arrays


def _activation_layer(layer, shape):
    size = _size(shape)
    extra, flops = _activation(layer.activation, size)
    return shape, size + extra, flops


def _flatten(layer, shape):
    size = _size(shape)
    return (size,), 2 * size, 0  # a view of a C-ordered input; counted as a copy


def _identity(layer, shape):
    return shape, _size(shape), 0


# Layer.kind -> cost(layer, per-image input shape) = (output shape, values alive at its peak, FLOPs): what each
# maker's function above allocates and computes for one image (skdigits.network.cost adds them up).
LAYER_COSTS = {
    "augment": _identity,  # inference: RandomDigitAffine passes its input through
    "conv2d": _conv2d,
    "batch_normalization": _batch_normalization,
    "activation": _activation_layer,
    "max_pooling2d": _max_pooling2d,
    "flatten": _flatten,
    "dense": _dense,
    "dropout": _identity,
}


def build_network(architecture, arrays):
    """Make the NumPy forward pass of the network ``architecture`` describes, with weights ``arrays``.

    Parameters
    ----------
    architecture : dict
        A checked architecture (:func:`skdigits.persistence.weights.check_architecture`).
    arrays : list of ndarray
        The weights in the description's order, float32, of the shapes
        :func:`skdigits.network.architecture.weight_shapes` lists.

    Returns
    -------
    NumpyNetwork

    Notes
    -----
    Its chunks of images need at most 32 MiB of working memory, or one
    image's if that is more. The loaders refuse, before reading any weight,
    a network whose image needs more than
    :data:`skdigits.persistence.budgets.MAX_WORKING_BYTES_PER_IMAGE` (16 MiB).
    """
    arrays, built = list(arrays), []
    shape = (*architecture["image_shape"], 1)
    peak = 0  # the most values one image's layer has alive at once, as skdigits.network.cost adds them up
    for layer in describe(architecture):
        mine, arrays = arrays[:len(layer.weights)], arrays[len(layer.weights):]
        function = _MAKERS[layer.kind](layer, mine)
        peak = max(peak, LAYER_COSTS[layer.kind](layer, shape)[1])
        shape = function.output_shape(shape)
        built.append((layer.name, function))
    if arrays or len(shape) != 1:
        raise ValueError(f"{len(arrays)} weight arrays are left over, or the output shape is {shape}")
    return NumpyNetwork("digit_cnn", tuple(architecture["image_shape"]), built, shape[0],
                        BYTES_PER_VALUE * peak + NUMPY_OVERHEAD_BYTES)
