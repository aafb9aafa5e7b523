"""The digit CNN, described once: its parameters in, its ordered layers with their weight shapes out.

Everything that makes or reads a network starts from :func:`describe`: the
Keras builder (:mod:`skdigits.network.keras_model`), the NumPy forward pass
(:mod:`skdigits.network.numpy_model`) and the safe format's weight layout
(:mod:`skdigits.persistence.weights`). Adding a kind of layer means a case
here and one in each builder; nothing else lists layers.

An *architecture* is a dict of JSON values: ``image_shape``, ``n_classes``,
``filters``, ``kernel_sizes``, ``dense_units``, ``dropout``,
``batch_norm``, ``downsample``, ``padding``, ``block_dropout`` and
``augmentation`` (see :func:`~skdigits.network.keras_model.build_cnn`).
:func:`architecture_of` makes one from a classifier's parameters.

Imports NumPy only.
"""

from collections import namedtuple

import numpy as np

from skdigits.utils.constraints import ParameterError

__all__ = ["Layer", "architecture_of", "conv_blocks", "describe", "parameter_count", "weight_shapes"]

#: One layer after the input: its ``kind`` (Keras' class in snake case), ``name``, ``weights``
#: (``(variable, shape)`` pairs in Keras' order), ``activation`` (``"relu"``, ``"softmax"`` or None) and
#: ``config``, a dict of what its kind needs (a convolution's filters, kernel, strides and padding...).
Layer = namedtuple("Layer", "kind name weights activation config")

#: Batch normalisation's weights, in Keras' order.
BATCH_NORM_VARIABLES = ("gamma", "beta", "moving_mean", "moving_variance")
#: Momentum 0.9 (PyTorch's default) rather than Keras' 0.99: the moving statistics then settle within
#: ~50 steps, which short fits on small data need; with 0.99 predictions stay poor for hundreds of steps.
BATCH_NORM_MOMENTUM = 0.9
#: Keras' default, which the NumPy forward pass must use too.
BATCH_NORM_EPSILON = 1e-3

# The classifier's parameters that decide its network.
_CLASSIFIER_PARAMETERS = ("filters", "kernel_sizes", "dense_units", "dropout", "batch_norm", "augment",
                          "rotation_range", "zoom_range", "shift_range", "downsample", "padding", "block_dropout")


def conv_blocks(filters):
    """Group consecutive equal widths into blocks, each to end with a 2x2 pool (or a stride-2 convolution).

    Parameters
    ----------
    filters : sequence of int
        Number of filters of each convolution, in order.

    Returns
    -------
    list of list of int
        The layer indices of each block; ``(32, 64, 64)`` gives
        ``[[0], [1, 2]]``: pool after the first and after the third
        convolution, as in the reference recipe.
    """
    blocks = []
    for i, width in enumerate(filters):
        if blocks and filters[blocks[-1][-1]] == width:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    return blocks


def architecture_of(params, image_shape, n_classes):
    """The architecture of a classifier with these parameters, fitted to these images and classes.

    Parameters
    ----------
    params : dict
        ``CNNDigitClassifier`` parameters (others are ignored).
    image_shape : tuple of (int, int)
        Its fitted ``image_shape_``.
    n_classes : int
        Its number of classes.

    Returns
    -------
    dict
        JSON values, the keyword arguments of
        :func:`~skdigits.network.keras_model.build_cnn` but the seed.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If one of these parameters breaks the classifier's constraints.
    KeyError
        If ``params`` lacks one of them.
    """
    from skdigits.utils import constraints

    caller = "CNNDigitClassifier"
    constraints.validate({name: constraints.CLASSIFIER_CONSTRAINTS[name] for name in _CLASSIFIER_PARAMETERS},
                         {name: params[name] for name in _CLASSIFIER_PARAMETERS}, caller)
    filters, kernel_sizes = constraints.layer_widths(params["filters"], params["kernel_sizes"], caller)
    augmentation = None
    if params["augment"]:
        augmentation = {"rotation": float(params["rotation_range"]), "zoom": float(params["zoom_range"]),
                        "shift": float(params["shift_range"])}
    return {"image_shape": [int(s) for s in image_shape], "n_classes": int(n_classes), "filters": list(filters),
            "kernel_sizes": list(kernel_sizes), "dense_units": int(params["dense_units"]),
            "dropout": float(params["dropout"]), "batch_norm": bool(params["batch_norm"]),
            "downsample": params["downsample"], "padding": params["padding"],
            "block_dropout": float(params["block_dropout"]), "augmentation": augmentation}


def _weighted(kind, name, weights, batch_norm, width, config, activation="relu"):
    """A convolution or the hidden dense layer: with batch norm, linear and bias-free, then BN and ReLU."""
    if not batch_norm:
        return [Layer(kind, name, weights, activation, {**config, "use_bias": True})]
    return [Layer(kind, name, weights[:1], None, {**config, "use_bias": False}),
            Layer("batch_normalization", f"{name}_bn", tuple((v, (width,)) for v in BATCH_NORM_VARIABLES), None,
                  {"momentum": BATCH_NORM_MOMENTUM, "epsilon": BATCH_NORM_EPSILON}),
            Layer("activation", f"{name}_relu", (), activation, {})]


def describe(arch):
    """Every layer of the network ``arch`` describes, after its input, in order.

    Parameters
    ----------
    arch : dict
        An architecture whose values are already checked (by the caller's
        parameter constraints, or by the safe format's reader).

    Returns
    -------
    list of Layer

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If ``padding="valid"`` leaves a convolution no pixels of the images.
    """
    (height, width), channels = arch["image_shape"], 1
    strided = arch["downsample"] == "stride"
    layers = []
    if arch["augmentation"] is not None:
        layers.append(Layer("augment", "augment", (), None, dict(arch["augmentation"])))
    for number, block in enumerate(conv_blocks(arch["filters"]), start=1):
        for i in block:
            f, k = int(arch["filters"][i]), int(arch["kernel_sizes"][i])
            stride = 2 if strided and i == block[-1] else 1
            padding = "same" if stride > 1 else arch["padding"]
            layers += _weighted("conv2d", f"conv{i + 1}", (("kernel", (k, k, channels, f)), ("bias", (f,))),
                                arch["batch_norm"], f,
                                {"filters": f, "kernel_size": k, "strides": stride, "padding": padding})
            channels = f
            if padding == "valid":
                height, width = height - k + 1, width - k + 1
                if min(height, width) < 1:
                    raise ParameterError(
                        f"padding='valid' is not valid for {arch['image_shape'][0]}x{arch['image_shape'][1]} "
                        f"images: unpadded, conv{i + 1} ({k}x{k}) has no pixels left; use padding='same' or "
                        "larger images.")
        if not strided:
            layers.append(Layer("max_pooling2d", f"pool{i + 1}", (), None, {"pool_size": 2, "padding": "same"}))
        if arch["block_dropout"]:
            layers.append(Layer("dropout", f"block{number}_dropout", (), None, {"rate": arch["block_dropout"]}))
        height, width = -(-height // 2), -(-width // 2)  # 'same'-padded 2x2 pooling or stride 2
    layers.append(Layer("flatten", "flatten", (), None, {}))
    units, n_classes = int(arch["dense_units"]), int(arch["n_classes"])
    layers += _weighted("dense", "dense", (("kernel", (height * width * channels, units)), ("bias", (units,))),
                        arch["batch_norm"], units, {"units": units})
    layers.append(Layer("dropout", "dropout", (), None, {"rate": arch["dropout"]}))
    layers.append(Layer("dense", "probabilities", (("kernel", (units, n_classes)), ("bias", (n_classes,))),
                        "softmax", {"units": n_classes, "use_bias": True}))
    return layers


def weight_shapes(layers):
    """Every weight array of ``layers``, named ``layer/variable`` as Keras' variable paths.

    Parameters
    ----------
    layers : list of Layer
        As :func:`describe` returns.

    Returns
    -------
    list of (str, tuple of int)
    """
    return [(f"{layer.name}/{variable}", shape) for layer in layers for variable, shape in layer.weights]


def parameter_count(layers):
    """The number of weights of ``layers``, trainable or not (Python ints: no overflow).

    Parameters
    ----------
    layers : list of Layer
        As :func:`describe` returns.

    Returns
    -------
    int
    """
    return sum(int(np.prod(shape, dtype=object)) for _, shape in weight_shapes(layers))
