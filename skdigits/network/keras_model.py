"""build_cnn: the Keras model of a network description, the only place skdigits builds Keras layers.

The layers come from :func:`skdigits.network.architecture.describe`; this
module turns each kind into its Keras layer. The default arguments are the
reference recipe of the Kaggle tutorial: Conv(32, 5x5) -> MaxPool ->
Conv(64, 3x3) -> Conv(64, 3x3) -> MaxPool -> Flatten -> Dense(256) ->
Dropout(0.5) -> Dense(n_classes, softmax). Pooling uses ``padding="same"`` so
that the network also runs on tiny images (1 x w rows, as scikit-learn's
estimator checks feed it).
"""

import numpy as np

from skdigits._training.backend import keras
from skdigits.exceptions import BudgetExceededError
from skdigits.network.architecture import describe, parameter_count
from skdigits.network.augmentation import RandomDigitAffine
from skdigits.network.cost import check_cost, network_cost
from skdigits.utils import constraints

__all__ = ["FLOAT32_LAYERS", "MAX_WEIGHTS", "build_cnn"]

layers = keras.layers

#: The most weights build_cnn builds. 25 million float32 weights are 100 MB,
#: about 400 MB in training with the gradients and Adam's two slots; the
#: tutorial's network has 0.9 million. A larger request (``dense_units=10**9``)
#: is refused before TensorFlow allocates anything.
MAX_WEIGHTS = 25_000_000
#: The layers (named by skdigits.network.architecture.describe) that compute in float32 under any dtype
#: policy: in bfloat16, the warp's sampling coordinates near 28 would be off by 1/8 pixel, and the softmax's
#: 8-bit mantissa would round probabilities near 1 and the loss computed from them (Keras' advice).
FLOAT32_LAYERS = frozenset({"augment", "probabilities"})


def build_cnn(
    *,
    image_shape,
    n_classes,
    filters=(32, 64, 64),
    kernel_sizes=None,
    dense_units=256,
    dropout=0.5,
    augmentation=None,
    batch_norm=False,
    downsample="max-pool",
    padding="same",
    block_dropout=0.0,
    seed=None,
):
    """Build the (uncompiled) digit CNN.

    Parameters
    ----------
    image_shape : tuple of (int, int)
        Height and width of the input images (one channel).
    n_classes : int
        Number of softmax outputs.
    filters : sequence of int, default=(32, 64, 64)
        Filters of each 'same'-padded ReLU convolution. Consecutive
        convolutions of equal width form a block; each block ends with 2x2
        max-pooling (see :func:`~skdigits.network.architecture.conv_blocks`).
    kernel_sizes : sequence of int, int or None, default=None
        Square kernel size of each convolution (same length as ``filters``),
        or one size for all. None gives 5 for the first convolution and 3
        for the rest.
    dense_units : int, default=256
        Width of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate before the output layer.
    augmentation : dict or None, default=None
        Keyword arguments (``rotation``, ``zoom``, ``shift``) of a
        :class:`~skdigits.network.augmentation.RandomDigitAffine` layer placed first;
        ``None`` adds no augmentation.
    batch_norm : bool, default=False
        Normalise every convolution's and the dense layer's outputs with
        batch normalisation, before the ReLU (the layers then have no bias).
    downsample : {"max-pool", "stride"}, default="max-pool"
        How each block halves the image: a 2x2 max-pooling layer after its
        last convolution, or that convolution itself with stride 2 (and
        ``"same"`` padding), as in the leading Kaggle notebooks' networks.
    padding : {"same", "valid"}, default="same"
        Padding of the stride-1 convolutions: ``"same"`` keeps the image
        size; ``"valid"`` trims ``kernel_size - 1`` pixels off each
        dimension, for less arithmetic (the images must then be large
        enough: 28x28 for :data:`~skdigits.recipes.ACCURATE_RECIPE`).
    block_dropout : float, default=0.0
        Dropout rate after each block's downsampling, in [0, 1); 0 adds no
        layer.
    seed : int or None, default=None
        Seeds every initializer and random layer, so that the same seed
        gives the same network without touching any global random state.

    Returns
    -------
    keras.Model
        The network, not compiled.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If an argument has the wrong type or is out of range (inf and nan
        included), ``augmentation`` has other keys, or ``padding="valid"``
        leaves a convolution no pixels of the images.
    skdigits.exceptions.BudgetExceededError
        If the network would have more than :data:`MAX_WEIGHTS` weights, or
        one image would need more working memory or arithmetic in its
        forward pass than :data:`skdigits.utils.limits.MAX_WORKING_BYTES_PER_IMAGE`
        or :data:`skdigits.utils.limits.MAX_FLOPS_PER_IMAGE`
        (:func:`skdigits.network.cost.network_cost`), the budgets the
        loaders check too: a network that trains also loads.

    Notes
    -----
    The layers take Keras' global dtype policy, except the augmentation and
    the softmax output layer, which are always float32. Under
    ``keras.mixed_precision.set_global_policy("mixed_bfloat16")`` the
    convolutions and the hidden dense layer compute in bfloat16 while the
    warp, the probabilities and the loss stay float32.
    """
    args = dict(image_shape=image_shape, n_classes=n_classes, filters=filters, kernel_sizes=kernel_sizes,
                dense_units=dense_units, dropout=dropout, augmentation=augmentation, batch_norm=batch_norm,
                downsample=downsample, padding=padding, block_dropout=block_dropout, seed=seed)
    constraints.validate(constraints.BUILD_CNN_CONSTRAINTS, args, "build_cnn")
    if augmentation is not None and not set(augmentation) <= {"rotation", "zoom", "shift"}:
        constraints.fail("build_cnn", "augmentation", augmentation,
                         "a dict with keys among 'rotation', 'zoom', 'shift'")
    filters, kernel_sizes = constraints.layer_widths(filters, kernel_sizes, "build_cnn")
    # Keras' layers refuse NumPy ints (np.int64(8) units), which the checks above accept.
    arch = {"image_shape": tuple(map(int, image_shape)), "n_classes": int(n_classes), "filters": filters,
            "kernel_sizes": kernel_sizes, "dense_units": int(dense_units), "dropout": float(dropout),
            "batch_norm": bool(batch_norm), "downsample": downsample, "padding": padding,
            "block_dropout": float(block_dropout),
            "augmentation": None if augmentation is None else {k: float(v) for k, v in augmentation.items()}}
    try:
        described = describe(arch)
    except constraints.ParameterError as exc:
        raise constraints.ParameterError(f"build_cnn: {exc}") from None
    n_weights = parameter_count(described)
    if n_weights > MAX_WEIGHTS:
        raise BudgetExceededError(
            f"build_cnn: the network for {arch['image_shape'][0]}x{arch['image_shape'][1]} images with "
            f"filters={filters}, kernel_sizes={kernel_sizes} and dense_units={dense_units} would have "
            f"{n_weights:,} weights, over the budget of {MAX_WEIGHTS:,} (skdigits.network.keras_model.MAX_WEIGHTS). "
            "Use fewer filters or dense_units."
        )
    check_cost(network_cost(arch, described),
               f"build_cnn: the network for {arch['image_shape'][0]}x{arch['image_shape'][1]} images with "
               f"filters={filters} and kernel_sizes={kernel_sizes}")
    rng = np.random.RandomState(seed)

    def next_seed():
        return int(rng.randint(np.iinfo(np.int32).max)) if seed is not None else None

    height, width = arch["image_shape"]
    inputs = keras.Input(shape=(height, width, 1), name="images")
    x = inputs
    for layer in described:
        x = _KERAS_LAYERS[layer.kind](layer, next_seed)(x)
    return keras.Model(inputs, x, name="digit_cnn")


def _dtype(layer):
    """float32 for FLOAT32_LAYERS; None (the global policy) for the rest."""
    return "float32" if layer.name in FLOAT32_LAYERS else None


def _conv2d(layer, next_seed):
    c = layer.config
    return layers.Conv2D(c["filters"], c["kernel_size"], strides=c["strides"], padding=c["padding"],
                         activation=layer.activation, use_bias=c["use_bias"],
                         kernel_initializer=keras.initializers.GlorotUniform(seed=next_seed()), name=layer.name)


def _dense(layer, next_seed):
    c = layer.config
    return layers.Dense(c["units"], activation=layer.activation, use_bias=c["use_bias"], dtype=_dtype(layer),
                        kernel_initializer=keras.initializers.GlorotUniform(seed=next_seed()), name=layer.name)


# Layer.kind -> its Keras layer, made from the description and the network's seed stream. Each call to
# next_seed() draws the next seed, in the layers' order, so the same seed gives the same network.
_KERAS_LAYERS = {
    "augment": lambda layer, next_seed: RandomDigitAffine(**layer.config, seed=next_seed(), name=layer.name,
                                                          dtype=_dtype(layer)),
    "conv2d": _conv2d,
    "batch_normalization": lambda layer, next_seed: layers.BatchNormalization(
        momentum=layer.config["momentum"], epsilon=layer.config["epsilon"], name=layer.name),
    "activation": lambda layer, next_seed: layers.Activation(layer.activation, name=layer.name),
    "max_pooling2d": lambda layer, next_seed: layers.MaxPooling2D(
        layer.config["pool_size"], padding=layer.config["padding"], name=layer.name),
    "dropout": lambda layer, next_seed: layers.Dropout(layer.config["rate"], seed=next_seed(), name=layer.name),
    "flatten": lambda layer, next_seed: layers.Flatten(name=layer.name),
    "dense": _dense,
}
