"""build_cnn: the only place skdigits builds Keras layers.

The default arguments are the reference recipe of the Kaggle tutorial:
Conv(32, 5x5) -> MaxPool -> Conv(64, 3x3) -> Conv(64, 3x3) -> MaxPool ->
Flatten -> Dense(256) -> Dropout(0.5) -> Dense(n_classes, softmax).
Pooling uses ``padding="same"`` so that the network also runs on tiny images
(1 x w rows, as scikit-learn's estimator checks feed it). The options for
the leading Kaggle notebooks' networks (``downsample="stride"``,
``padding="valid"``, ``block_dropout``) add or change layers only when set,
so the defaults build the same layers from the same seeds as before.
"""

import math

import numpy as np

from skdigits._training.backend import keras
from skdigits.augmentation import RandomDigitAffine
from skdigits.exceptions import BudgetExceededError
from skdigits.utils import constraints
from skdigits.utils.constraints import conv_blocks

layers = keras.layers

#: The most weights build_cnn builds. 25 million float32 weights are 100 MB,
#: about 400 MB in training with the gradients and Adam's two slots; the
#: tutorial's network has 0.9 million. A larger request (``dense_units=10**9``)
#: is refused before TensorFlow allocates anything.
MAX_WEIGHTS = 25_000_000


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
        max-pooling (see :func:`conv_blocks`).
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
        :class:`~skdigits.augmentation.RandomDigitAffine` layer placed first;
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
        If the network would have more than :data:`MAX_WEIGHTS` weights.
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
    image_shape, n_classes, dense_units, dropout = tuple(map(int, image_shape)), int(n_classes), int(dense_units), \
        float(dropout)
    block_dropout = float(block_dropout)
    if augmentation is not None:
        augmentation = {key: float(value) for key, value in augmentation.items()}
    if padding == "valid":
        _check_unpadded_fit(image_shape, filters, kernel_sizes, downsample)
    _check_weight_budget(image_shape, n_classes, filters, kernel_sizes, dense_units,
                         batch_norm=batch_norm, downsample=downsample, padding=padding)
    rng = np.random.RandomState(seed)

    def next_seed():
        return int(rng.randint(np.iinfo(np.int32).max)) if seed is not None else None

    def glorot():
        return keras.initializers.GlorotUniform(seed=next_seed())

    height, width = image_shape
    inputs = keras.Input(shape=(height, width, 1), name="images")
    x = inputs
    if augmentation is not None:
        x = RandomDigitAffine(**augmentation, seed=next_seed(), name="augment")(x)
    strided = downsample == "stride"
    for number, block in enumerate(conv_blocks(list(filters)), start=1):
        for i in block:
            stride = 2 if strided and i == block[-1] else 1
            x = _relu(layers.Conv2D(
                filters[i], kernel_sizes[i], strides=stride, padding="same" if stride > 1 else padding,
                kernel_initializer=glorot(), name=f"conv{i + 1}", **_linear_if(batch_norm),
            ), x, batch_norm)
        if not strided:
            x = layers.MaxPooling2D(2, padding="same", name=f"pool{i + 1}")(x)
        if block_dropout:
            x = layers.Dropout(block_dropout, seed=next_seed(), name=f"block{number}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = _relu(layers.Dense(dense_units, kernel_initializer=glorot(), name="dense", **_linear_if(batch_norm)),
              x, batch_norm)
    x = layers.Dropout(dropout, seed=next_seed(), name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", kernel_initializer=glorot(), name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


def count_weights(image_shape, n_classes, filters, kernel_sizes, dense_units, *, batch_norm=False,
                  downsample="max-pool", padding="same"):
    """Count the weights of :func:`build_cnn`'s network without building it.

    The count is exact (``model.count_params()``), batch normalisation's
    moving statistics included.

    Parameters
    ----------
    image_shape : tuple of (int, int)
        Height and width of the input images.
    n_classes : int
        Number of outputs.
    filters, kernel_sizes : tuple of int
        Filters and kernel size of each convolution.
    dense_units : int
        Width of the hidden dense layer.
    batch_norm : bool, default=False
        Bias-free layers, each followed by batch normalisation's four
        vectors (gamma, beta, moving mean and variance).
    downsample : {"max-pool", "stride"}, default="max-pool"
        As in :func:`build_cnn`.
    padding : {"same", "valid"}, default="same"
        As in :func:`build_cnn`.

    Returns
    -------
    int
        The number of weights (trainable or not) the network would have.
    """
    def layer(fan_in, units):
        return fan_in * units + (4 * units if batch_norm else units)

    (height, width), channels, total = image_shape, 1, 0
    for block in conv_blocks(list(filters)):
        for i in block:
            total += layer(kernel_sizes[i] ** 2 * channels, filters[i])
            channels = filters[i]
            if padding == "valid" and not (downsample == "stride" and i == block[-1]):
                height, width = height - kernel_sizes[i] + 1, width - kernel_sizes[i] + 1
        height, width = math.ceil(height / 2), math.ceil(width / 2)  # 'same'-padded 2x2 pooling or stride 2
    return total + layer(height * width * channels, dense_units) + (dense_units + 1) * n_classes


def _check_unpadded_fit(image_shape, filters, kernel_sizes, downsample):
    """Refuse, before Keras does deep inside, images that unpadded convolutions shrink to nothing."""
    height, width = image_shape
    for block in conv_blocks(list(filters)):
        for i in block:
            if downsample == "stride" and i == block[-1]:
                continue  # 'same'-padded stride 2: the halving below
            height, width = height - kernel_sizes[i] + 1, width - kernel_sizes[i] + 1
            if min(height, width) < 1:
                raise constraints.ParameterError(
                    f"build_cnn: padding='valid' is not valid for {image_shape[0]}x{image_shape[1]} images: "
                    f"unpadded, conv{i + 1} ({kernel_sizes[i]}x{kernel_sizes[i]}) has no pixels left; use "
                    "padding='same' or larger images."
                )
        height, width = -(-height // 2), -(-width // 2)  # 'same'-padded 2x2 pooling or stride 2


def _check_weight_budget(image_shape, n_classes, filters, kernel_sizes, dense_units, **options):
    n = count_weights(image_shape, n_classes, filters, kernel_sizes, dense_units, **options)
    if n > MAX_WEIGHTS:
        raise BudgetExceededError(
            f"build_cnn: the network for {image_shape[0]}x{image_shape[1]} images with filters={filters}, "
            f"kernel_sizes={kernel_sizes} and dense_units={dense_units} would have {n:,} weights, over the "
            f"budget of {MAX_WEIGHTS:,} (skdigits.network.MAX_WEIGHTS). Use fewer filters or dense_units."
        )


def _linear_if(batch_norm):
    # Batch normalisation re-centres the outputs, so a bias before it is dead weight.
    return {"use_bias": False} if batch_norm else {"activation": "relu"}


def _relu(layer, x, batch_norm):
    """Apply ``layer``; with batch norm, follow it by BatchNormalization and the ReLU."""
    x = layer(x)
    if batch_norm:
        # Momentum 0.9 (PyTorch's default) rather than Keras' 0.99: the moving
        # statistics then settle within ~50 steps, which short fits on small
        # data need; with 0.99 predictions stay poor for hundreds of steps.
        x = layers.BatchNormalization(momentum=0.9, name=f"{layer.name}_bn")(x)
        x = layers.Activation("relu", name=f"{layer.name}_relu")(x)
    return x


def make_optimizer(optimizer, learning_rate=None):
    """Return a fresh Keras optimizer from a name or an instance.

    Parameters
    ----------
    optimizer : str or keras.optimizers.Optimizer
        A Keras optimizer name (``"rmsprop"``, ``"adam"``, ``"sgd"``, ...)
        or an instance, whose configuration is copied so that fits never
        share optimizer state.
    learning_rate : float or None, default=None
        Overrides the optimizer's learning rate when given.

    Returns
    -------
    keras.optimizers.Optimizer
        A new optimizer that no other model uses.
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        config = optimizer.get_config()
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        return type(optimizer).from_config(config)
    try:
        opt = keras.optimizers.get(optimizer)
    except ValueError:
        raise constraints.ParameterError(
            f"optimizer={optimizer!r} is not a Keras optimizer; use a name such as "
            "'rmsprop', 'adam' or 'sgd', or a keras.optimizers.Optimizer instance."
        ) from None
    if learning_rate is not None:
        opt = type(opt).from_config({**opt.get_config(), "learning_rate": learning_rate})
    return opt


@keras.saving.register_keras_serializable(package="skdigits")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer labels against label-smoothed targets.

    Keras' ``SparseCategoricalCrossentropy`` has no ``label_smoothing``; this
    one-hot encodes the labels in the graph and uses Keras' categorical
    cross-entropy, whose smoothing moves ``label_smoothing`` of each target's
    mass evenly onto all classes.

    Parameters
    ----------
    label_smoothing : float, default=0.1
        Fraction of the target's mass spread over all classes, in [0, 1).
    name : str, default="smoothed_sparse_crossentropy"
        The loss' name in Keras.
    **kwargs : dict
        Passed on to :class:`keras.losses.Loss` (e.g. ``reduction``).
    """

    def __init__(self, label_smoothing=0.1, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        """Return each sample's loss.

        Parameters
        ----------
        y_true : tensor of shape (batch,) or (batch, 1)
            Class indices.
        y_pred : tensor of shape (batch, n_classes)
            Predicted probabilities.

        Returns
        -------
        tensor of shape (batch,)
            The cross-entropy of each sample against its smoothed target.
        """
        ops = keras.ops
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        targets = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(targets, y_pred, label_smoothing=self.label_smoothing)

    def get_config(self):
        """Return the constructor arguments for Keras serialisation.

        Returns
        -------
        dict
            Keras' loss configuration with ``label_smoothing``.
        """
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def make_loss(label_smoothing):
    """Return the training loss for integer labels.

    Parameters
    ----------
    label_smoothing : float
        0 gives Keras' own ``"sparse_categorical_crossentropy"``; a rate in
        (0, 1) gives :class:`SmoothedSparseCrossentropy`.

    Returns
    -------
    str or keras.losses.Loss
        Keras' ``"sparse_categorical_crossentropy"`` for 0, else a
        :class:`SmoothedSparseCrossentropy`.
    """
    if not label_smoothing:
        return "sparse_categorical_crossentropy"
    return SmoothedSparseCrossentropy(label_smoothing)


def without_optimizer(model):
    """Return ``model`` without its optimizer: an uncompiled copy with the same weights.

    Keras writes a compiled model's optimizer state into its ``.keras`` file
    (RMSprop keeps one average per weight, which doubles the file) and, for
    that format, has no option to leave it out. A copy rebuilt from the
    model's config has no optimizer, loss or metrics; saved, it holds the
    architecture and the weights only. Its predictions are the model's, bit
    for bit.

    Parameters
    ----------
    model : keras.Model
        A built model, compiled or not.

    Returns
    -------
    keras.Model
        ``model`` itself if it is not compiled, else the uncompiled copy.
    """
    if not getattr(model, "compiled", False):
        return model
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy
