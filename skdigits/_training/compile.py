"""The optimizer and the loss that a classifier compiles its network with, and a copy of a network without them."""

from skdigits._training.backend import keras
from skdigits.utils.constraints import ParameterError

__all__ = ["SmoothedSparseCrossentropy", "make_loss", "make_optimizer", "without_optimizer"]


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
        raise ParameterError(
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
