"""What CNNDigitClassifier hands to Keras, and what it checks on the way back.

Seeded ``tf.data`` batches and the validation split for ``fit``, the
non-finite-loss guard and check, and the fixed-size blocks that keep ``predict``'s
probabilities independent of a row's neighbours.
"""

import math
import sys

import numpy as np
from sklearn.model_selection import train_test_split

from skdigits._training.backend import keras, tf
from skdigits.exceptions import DataError, TrainingDivergedError
from skdigits.utils.compat import keras_symbolic_build

#: Batch size of the validation pass.
PREDICT_BATCH = 1024
_ROW_BLOCK = 64


def validation_size(n_samples, fraction):
    """The number of samples :func:`split` holds out: ``ceil(fraction * n_samples)``, as scikit-learn rounds.

    Parameters
    ----------
    n_samples : int
        Samples to split.
    fraction : float
        The ``validation_split``, in [0, 1); 0 holds out nothing.

    Returns
    -------
    int
        The size of the validation part.
    """
    return int(np.ceil(fraction * n_samples)) if fraction else 0


def split(y, fraction, rng):
    """Indices of a seeded train/validation split, stratified when the classes allow it.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Encoded labels.
    fraction : float
        The ``validation_split``, in (0, 1).
    rng : numpy.random.RandomState
        The fit's random stream.

    Returns
    -------
    tuple of (ndarray, ndarray)
        Training and validation indices.
    """
    index = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    n_val = validation_size(len(y), fraction)
    stratify = y if counts.min() >= 2 and len(counts) <= n_val <= len(y) - len(counts) else None
    try:
        return train_test_split(index, test_size=fraction, stratify=stratify, random_state=rng)
    except ValueError as exc:
        raise DataError(
            f"validation_split={fraction} cannot split {len(y)} samples ({exc}); "
            "use more data or validation_split=0."
        ) from None


def batches(arrays, batch_size, shuffle_seed=None):
    """A tf.data pipeline of batches; shuffled per epoch by gathering seeded index batches.

    Each pass over the dataset (each epoch) shuffles with a stateless
    shuffle keyed by ``shuffle_seed`` and the pass's number alone.
    ``Dataset.shuffle(seed=...)`` would not do: TensorFlow derives its stream
    from the global seed too, so ``keras.utils.set_random_seed`` would change
    a seeded fit. (``Dataset.from_generator`` over NumPy permutations would
    not either: every such dataset stays in TensorFlow's py_func registry.)

    Parameters
    ----------
    arrays : tuple of ndarray
        Images, labels and optionally sample weights, of equal length.
    batch_size : int
        Rows per batch.
    shuffle_seed : int or None, default=None
        Seed of the per-epoch shuffle; None keeps the order.

    Returns
    -------
    tf.data.Dataset
    """
    tensors = tuple(tf.convert_to_tensor(a) for a in arrays)
    n, batch_size = len(arrays[0]), int(batch_size)
    if shuffle_seed is None:
        ds = tf.data.Dataset.from_tensor_slices(tensors).batch(batch_size)
    else:
        # Counts the passes that read a batch: an iterator Keras makes but never reads runs no map.
        passes = tf.Variable(0, dtype=tf.int64, trainable=False)

        def order(_):
            # A stateless shuffle keyed by (seed, pass): a new order every epoch, no global seed involved.
            key = tf.stack([tf.constant(shuffle_seed, tf.int64), passes.assign_add(1)])
            return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=key, alg="philox")

        ds = (
            tf.data.Dataset.range(1).map(order).unbatch().batch(batch_size)
            # unbatch hides the length; Keras' progress bar and epoch ends want it.
            .apply(tf.data.experimental.assert_cardinality(-(-n // batch_size)))
            .map(lambda idx: tuple(tf.gather(t, idx) for t in tensors))
        )
    return ds.prefetch(tf.data.AUTOTUNE)


def build_before_tracing(model, dataset):
    """Create the optimizer's and the compiled metrics' variables before ``fit`` traces its training step.

    Without a distribution strategy, Keras' TensorFlow trainer leaves them to
    the first trace of the training step. A ``tf.function`` that creates
    variables is traced twice, and the second trace costs as much as the
    first: a large share of a small network's fit (tracing runs once per
    fit, whatever the data's size). Built beforehand, symbolically from the
    dataset's element spec, the step is traced once and computes the same.
    The hook is private to Keras, so a Keras without it
    keeps the second trace (:func:`skdigits.utils.compat.keras_symbolic_build`).

    Parameters
    ----------
    model : keras.Model
        A compiled network.
    dataset : tf.data.Dataset
        The training batches (from :func:`batches`); only its element spec is read.
    """
    # The spec, not a batch: reading one would spend one of the dataset's seeded per-pass shuffles.
    keras_symbolic_build(model, dataset.element_spec)


class NonFiniteLossGuard(keras.callbacks.TerminateOnNaN):
    """Keras' TerminateOnNaN, quiet, and remembering where the loss stopped being finite.

    Attributes
    ----------
    where : str or None
        Which batch of which epoch first had a NaN or infinite loss, and
        the loss; None while every loss has been finite.
    """

    where = None
    _epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        """Remember the epoch, for the message.

        Parameters
        ----------
        epoch : int
            The epoch about to start (0-based).
        logs : dict or None
            Unused.
        """
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        """Stop training after a batch whose loss is NaN or infinite.

        Parameters
        ----------
        batch : int
            The batch just trained (0-based).
        logs : dict or None
            Keras' logs, with the running ``loss``.
        """
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss) and self.where is None:
            self.where = f"the loss became {float(loss)} in batch {batch + 1} of epoch {self._epoch + 1}"
            self.model.stop_training = True


def divergence(guard, history, model):
    """Say where training stopped being finite, or return None if it never did.

    Parameters
    ----------
    guard : NonFiniteLossGuard
        The fit's guard, which saw every batch's loss.
    history : dict of str to list of float
        The per-epoch ``loss`` and ``val_loss``.
    model : keras.Model
        The trained network: the last update can make its weights NaN after
        the last loss was computed.

    Returns
    -------
    str or None
    """
    if guard.where is not None:
        return guard.where
    for key in ("loss", "val_loss"):
        for epoch, value in enumerate(history.get(key, ())):
            if not math.isfinite(value):
                return f"the {key} of epoch {epoch + 1} was {value}"
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        return "the weights became NaN or infinite"
    return None


def predict_in_blocks(model, X):
    """Predict ``X`` in blocks of exactly 64 rows, the last one zero-padded.

    The CPU matmul kernels round the last bit differently depending on the
    batch size and a row's place in the batch, so an image's probabilities
    would depend on its neighbours. Blocks of exactly 64 rows removed that
    in our tests (tests/test_classifier.py); 64-row batches also predicted
    faster than Keras' 32 or 1024 here (benchmarks/wrapper_overhead.py).

    Parameters
    ----------
    model : keras.Model
        The network.
    X : ndarray of shape (n_samples, height, width, 1)
        At least one image.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
    """
    n_head = len(X) - len(X) % _ROW_BLOCK
    parts = []
    if n_head:
        parts.append(model.predict(X[:n_head], batch_size=_ROW_BLOCK, verbose=0))
    if n_head < len(X):
        tail = np.zeros((_ROW_BLOCK, *X.shape[1:]), dtype=X.dtype)
        tail[: len(X) - n_head] = X[n_head:]
        parts.append(model.predict(tail, batch_size=_ROW_BLOCK, verbose=0)[: len(X) - n_head])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def keras_verbose(verbose):
    """Keras' ``verbose`` for a fit: ``verbose`` itself, or what ``"auto"`` means where the fit runs.

    ``"auto"`` is silent inside scikit-learn's model selection (the fits of
    ``cross_val_score`` or ``GridSearchCV``, in this process or a worker),
    where dozens of fits would flood the output; elsewhere a progress bar on
    a terminal or in a notebook, and one line per epoch in a log.

    Parameters
    ----------
    verbose : "auto" or int
        The classifier's ``verbose``.

    Returns
    -------
    int
        0, 1 or 2 (or the int given).
    """
    if verbose != "auto":
        return int(verbose)
    frame = sys._getframe(1)  # the fit's callers: is one of them scikit-learn's model selection?
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("sklearn.model_selection"):
            return 0
        frame = frame.f_back
    interactive = "ipykernel" in sys.modules or sys.stdout.isatty()
    return 1 if interactive else 2


def network_arguments(estimator):
    """The architecture (build_cnn's arguments but the seed) of the network a classifier is about to fit.

    Parameters
    ----------
    estimator : CNNDigitClassifier
        The classifier being fitted: its checked parameters, ``image_shape_``
        and ``n_classes_``.

    Returns
    -------
    dict
    """
    from skdigits.network.architecture import architecture_of

    return architecture_of(estimator.get_params(deep=False), estimator.image_shape_, estimator.n_classes_)


def training_callbacks(estimator, n_train, validating, precision):
    """The callbacks a classifier's parameters ask for: its learning-rate schedule and early stopping.

    Parameters
    ----------
    estimator : CNNDigitClassifier
        The classifier being fitted (its parameters are read).
    n_train : int
        Images trained on per epoch.
    validating : bool
        Whether there is a validation part (early stopping then watches ``val_loss``).
    precision : {"float32", "bfloat16"}
        The fit's resolved precision, on which ``epochs="auto"`` depends.

    Returns
    -------
    list of keras.callbacks.Callback
    """
    from skdigits._training.compile import make_optimizer
    from skdigits._training.epochs import resolve_epochs
    from skdigits._training.schedules import schedule_callback

    callbacks = []
    if estimator.lr_schedule != "constant":
        callbacks.append(schedule_callback(
            estimator.lr_schedule,
            # The rate the parameters ask for: the compiled optimizer's has been moved by the schedule.
            peak=float(make_optimizer(estimator.optimizer, estimator.learning_rate).learning_rate),
            total_epochs=resolve_epochs(estimator.epochs, n_train, precision),
            steps_per_epoch=-(-n_train // int(estimator.batch_size)),
        ))
    if estimator.patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if validating else "loss", patience=int(estimator.patience), restore_best_weights=True))
    return callbacks


def refuse_diverged(estimator, guard):
    """Raise TrainingDivergedError, leaving ``estimator`` unfitted, if its loss or weights are not finite.

    Parameters
    ----------
    estimator : CNNDigitClassifier
        The classifier just trained.
    guard : NonFiniteLossGuard
        The guard that watched its training.

    Raises
    ------
    skdigits.exceptions.TrainingDivergedError
        If training diverged.
    """
    where = divergence(guard, estimator.history_, estimator.model_)
    if where is None:
        return
    # Forget every fitted attribute: predict() then raises NotFittedError and nothing saves the network.
    for name in [n for n in vars(estimator) if n.endswith("_") and not n.startswith("__")]:
        delattr(estimator, name)
    raise TrainingDivergedError(
        f"Training diverged: {where} (learning_rate={estimator.learning_rate!r}, "
        f"optimizer={estimator.optimizer!r}). The network was discarded and {type(estimator).__name__} is "
        "unfitted. Lower learning_rate (e.g. 10 times), or check that the images are scaled to [0, 1]."
    )


#: The most images the temperature is fitted on: a bounded cost on Kaggle-sized data, and plenty for one number.
CALIBRATION_IMAGES = 10_000


def network_temperature(estimator, X, y, rng):
    """The temperature that calibrates a fitted classifier's network on ``(X, y)``; 1.0 if it scales none.

    Parameters
    ----------
    estimator : CNNDigitClassifier
        The classifier just trained (``temperature_scaling`` and ``model_`` are read).
    X : ndarray of shape (n_samples, height, width, 1)
        Images the network did not train on (the validation part), or its
        training images when there is none.
    y : ndarray of shape (n_samples,)
        Their encoded labels.
    rng : numpy.random.RandomState
        The fit's random stream, which picks :data:`CALIBRATION_IMAGES` of
        more images.

    Returns
    -------
    float
    """
    from skdigits.calibration import fit_temperature

    if not estimator.temperature_scaling or len(X) == 0:
        return 1.0
    if len(X) > CALIBRATION_IMAGES:
        keep = np.sort(rng.choice(len(X), CALIBRATION_IMAGES, replace=False))
        X, y = X[keep], y[keep]
    return fit_temperature(predict_in_blocks(estimator.model_, X), np.asarray(y).reshape(-1).astype(np.intp))
