"""CNNDigitClassifier: the Keras digit CNN as a scikit-learn classifier.

We build on scikeras' KerasClassifier for its fit/predict orchestration,
label encoding and model pickling, and replace the parts that are wrong
under scikit-learn >= 1.6 or that leak global state:

* scikeras lists ClassifierMixin after BaseEstimator (so scikit-learn calls
  it no classifier); a metaclass puts ClassifierMixin first in the MRO.
* scikeras seeds global Python/NumPy/TensorFlow state; we seed every
  initializer, random layer and the shuffle, and touch no global state.
* Parameters are plain constructor arguments, checked at fit against
  ``_parameter_constraints``. A diverged fit leaves the classifier unfitted.

The scikeras hooks we override are private: :mod:`skdigits.utils.compat` lists them.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from skdigits._training.compile import make_loss, make_optimizer
from skdigits._training.epochs import resolve_epochs
from skdigits._training.gradient_registry import releasing_traced_gradients
from skdigits._training.interrupt import deferred_keyboard_interrupt
from skdigits._training.loop import (
    PREDICT_BATCH,
    NonFiniteLossGuard,
    batches,
    build_before_tracing,
    keras_verbose,
    network_arguments,
    network_temperature,
    predict_in_blocks,
    refuse_diverged,
    split,
    training_callbacks,
)
from skdigits._training.pickling import NetworkPickling
from skdigits._training.precision import resolve_precision, training_precision
from skdigits._training.restore import RestoreFitted
from skdigits.calibration import scale_probabilities
from skdigits.exceptions import DataError, DataTypeError
from skdigits.network.keras_model import build_cnn
from skdigits.utils import compat, constraints
from skdigits.utils.doc_links import DocumentationLinkMixin
from skdigits.utils.most_probable import MostProbableClass
from skdigits.utils.validation import check_sample_weight, class_sample_weights, validate_images, validate_labels

_ONES = "unweighted"  # stands for np.ones(n_samples) until X is validated: class_weight needs weights to scale


def _weights_or_ones(estimator, sample_weight):
    return _ONES if sample_weight is None and estimator.class_weight is not None else sample_weight
# scikeras' base class, its hooks checked; TensorFlow is already loaded, quietly, by skdigits._training.backend.
KerasClassifier = compat.scikeras_classifier()


class CNNDigitClassifier(DocumentationLinkMixin, NetworkPickling, RestoreFitted, MostProbableClass, KerasClassifier,
                         metaclass=compat.ClassifierMixinFirst):
    """A convolutional network for handwritten digits, as a scikit-learn classifier.

    The defaults (:data:`skdigits.recipes.FAST_RECIPE`) are the Kaggle
    "Digit Recognizer" tutorial's CNN with one convolution fewer:
    Conv(32, 5x5) - MaxPool - Conv(64, 3x3) - MaxPool - Dense(256) -
    Dropout(0.5) - softmax, trained with Adam on a one-cycle learning-rate
    schedule (peak 0.004) and label smoothing 0.1, on batches of 128 for 15
    epochs on up to 10,000 images and fewer on more (8 on Kaggle's 42,000;
    10 in bfloat16), with random rotation, zoom and shifts of the images.
    They reach the tutorial's accuracy in a fraction of its time (see the
    benchmarks page); the tutorial: ``CNNDigitClassifier(**TUTORIAL_RECIPE)``.

    Feed it the output of :class:`DigitImageTransformer` (images scaled to
    [0, 1]), or flat rows of features together with ``image_shape``.

    Parameters
    ----------
    filters : sequence of int, default=(32, 64)
        Filters of each convolution. Consecutive convolutions of equal width
        form a block that ends with 2x2 max-pooling (see ``downsample``).
    kernel_sizes : None, int or sequence of int, default=None
        Kernel size of each convolution, or one size for all. None gives the
        tutorial's pattern for any depth: 5 for the first convolution, 3 for
        the rest (``(5, 3)`` for the default ``filters``).
    dense_units : int, default=256
        Width of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate before the output layer, in [0, 1).
    batch_norm : bool, default=False
        Batch-normalise the outputs of every convolution and of the dense
        layer, before their ReLU.
    downsample : {"max-pool", "stride"}, default="max-pool"
        How each block halves the image: 2x2 max-pooling after its last
        convolution, or that convolution with stride 2 instead (as in the
        leading Kaggle notebooks; :data:`skdigits.recipes.ACCURATE_RECIPE`).
    padding : {"same", "valid"}, default="same"
        Padding of the stride-1 convolutions. ``"valid"`` shrinks the image
        by ``kernel_size - 1`` at each of them, for less arithmetic; the
        images must be large enough for all the layers.
    block_dropout : float, default=0.0
        Dropout rate after each block of convolutions, in [0, 1); 0 adds no
        dropout there.
    augment : bool, default=True
        Randomly rotate, zoom and shift the training images on every epoch.
        Runs inside the TensorFlow graph, in training only: prediction and
        validation always see the original images.
    rotation_range : float, default=10.0
        Largest rotation, in degrees, in [0, 180].
    zoom_range : float, default=0.1
        Largest relative zoom, in [0, 1).
    shift_range : float, default=0.1
        Largest shift, as a fraction of the image size, in [0, 1).
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        A Keras optimizer name or instance (an instance's configuration is
        copied; it is never trained in place).
    learning_rate : float or None, default=0.004
        A finite learning rate > 0 (the peak rate, with ``lr_schedule="one-cycle"``). It
        replaces an optimizer instance's own rate too; None keeps the
        optimizer's own (an instance's, or 0.001 for ``"rmsprop"`` and
        ``"adam"``).
    lr_schedule : {"constant", "one-cycle"}, default="one-cycle"
        How the learning rate changes during the ``epochs``: ``"constant"``
        keeps it; ``"one-cycle"`` warms up from ``learning_rate / 25`` to
        ``learning_rate`` over the first 30 % of the steps, then anneals it
        to ``learning_rate / 1e4`` (both along a cosine; see
        :func:`skdigits._training.schedules.one_cycle_rate`).
    label_smoothing : float, default=0.1
        Train against targets that give this fraction of each label's
        probability to all classes evenly (see
        :class:`skdigits._training.compile.SmoothedSparseCrossentropy`), in [0, 1).
        It discourages over-confident outputs, so predicted probabilities
        are softer; 0 is plain cross-entropy.
    temperature_scaling : bool, default=True
        After training, fit one temperature ``T`` so that ``predict_proba``
        returns calibrated probabilities, ``softmax(log p / T)`` (see
        :mod:`skdigits.calibration`). ``T`` minimises the log-loss on the
        validation part when ``validation_split`` > 0, else on (at most
        10,000 of) the training images, seen without augmentation.
        Predicted classes never change. False keeps the network's own
        probabilities (``temperature_`` is 1).
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes in the loss, as in scikit-learn: ``{label:
        weight}`` (classes it leaves out weigh 1), or ``"balanced"``,
        ``n_samples / (n_classes * np.bincount(y))``. Multiplies
        ``sample_weight``.
    epochs : int or "auto", default="auto"
        Passes over the training data. ``"auto"``: 15 on up to 10,000
        training images (the validation part left out), 8 on 40,000 or more
        (10 in bfloat16, see ``precision``), and in between the nearest
        integer on a straight line. ``history_`` has an entry per epoch.
    batch_size : int, default=128
        Images per gradient step.
    validation_split : float, default=0.0
        Fraction of the training data held out (stratified, seeded by
        ``random_state``) to report ``val_loss``/``val_accuracy`` in
        ``history_`` and to drive early stopping.
    patience : int or None, default=None
        Stop when the monitored loss (``val_loss`` with a validation split,
        else ``loss``) has not improved for this many epochs, and restore the
        best weights. None trains for all ``epochs``.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        The arithmetic of training. ``"bfloat16"`` computes the convolutions
        and the hidden dense layer in bfloat16 (the weights stay float32),
        and ``epochs="auto"`` then trains 10 epochs where float32 trains 8.
        ``"auto"`` picks bfloat16 on a CPU that computes it in hardware
        (AVX512_BF16 or AMX) when TensorFlow sees no GPU, else float32 (see
        :mod:`skdigits._training.precision`). Prediction is always float32.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra Keras callbacks for training.
    image_shape : None or tuple of (int, int), default=None
        How flat input rows are laid out as images; see
        :class:`DigitImageTransformer`. Image stacks need no setting.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, augmentation, shuffling and the
        validation split. An int gives identical results on every fit (on the
        CPU), without changing or reading any global random state
        (``keras.utils.set_random_seed`` does not change a seeded fit).
    verbose : "auto" or int, default="auto"
        Keras' training output: 0 silent, 1 progress bar, 2 one line per
        epoch. "auto": a bar on a terminal or in a notebook, else a line per
        epoch, and silent in the fits of a cross-validation or a search.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Number of pixels per image seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during :meth:`fit`, when ``X`` was a DataFrame.
    image_shape_ : tuple of (int, int)
        The ``(height, width)`` of the training images.
    model_ : keras.Model
        The trained network.
    temperature_ : float
        The temperature ``predict_proba`` applies (1.0 without
        ``temperature_scaling``).
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` (and ``val_loss``,
        ``val_accuracy`` with a validation split).

    See Also
    --------
    DigitImageTransformer : Turns pixel rows into the images this model reads.
    make_digit_pipeline : Both steps in one Pipeline.

    Examples
    --------
    >>> from sklearn.pipeline import Pipeline
    >>> from skdigits import CNNDigitClassifier, DigitImageTransformer
    >>> pipe = Pipeline([("images", DigitImageTransformer()),
    ...                  ("cnn", CNNDigitClassifier(epochs=10, random_state=0))])
    >>> pipe.fit(X_train, y_train).score(X_test, y_test)  # doctest: +SKIP
    """

    # scikeras reads these; they are fixed here rather than parameters. (loss
    # picks scikeras' integer label encoding; the compiled loss comes from make_loss.)
    loss = "sparse_categorical_crossentropy"
    warm_start = False
    _parameter_constraints = constraints.CLASSIFIER_CONSTRAINTS

    def __init__(
        self,
        *,
        filters=(32, 64),
        kernel_sizes=None,
        dense_units=256,
        dropout=0.5,
        batch_norm=False,
        downsample="max-pool",
        padding="same",
        block_dropout=0.0,
        augment=True,
        rotation_range=10.0,
        zoom_range=0.1,
        shift_range=0.1,
        optimizer="adam",
        learning_rate=0.004,
        lr_schedule="one-cycle",
        label_smoothing=0.1,
        temperature_scaling=True,
        class_weight=None,
        epochs="auto",
        batch_size=128,
        validation_split=0.0,
        patience=None,
        precision="auto",
        callbacks=None,
        image_shape=None,
        random_state=None,
        verbose="auto",
    ):
        self.filters = filters
        self.kernel_sizes = kernel_sizes
        self.dense_units = dense_units
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.downsample = downsample
        self.padding = padding
        self.block_dropout = block_dropout
        self.augment = augment
        self.rotation_range = rotation_range
        self.zoom_range = zoom_range
        self.shift_range = shift_range
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.label_smoothing = label_smoothing
        self.temperature_scaling = temperature_scaling
        self.class_weight = class_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.patience = patience
        self.precision = precision
        self.callbacks = callbacks
        self.image_shape = image_shape
        self.random_state = random_state
        self.verbose = verbose

    # Plain scikit-learn parameter handling instead of scikeras' routing.
    _get_param_names = compat.sklearn_param_names
    set_params = BaseEstimator.set_params
    __repr__ = BaseEstimator.__repr__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # ---- fitting -----------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train a new network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Training images, e.g. the output of :class:`DigitImageTransformer`.
        y : array-like of shape (n_samples,)
            Class labels of any kind (ints, strings, a subset of the digits).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; samples of weight 0 are dropped.

        Returns
        -------
        self : CNNDigitClassifier
            The fitted classifier.

        Raises
        ------
        skdigits.exceptions.InvalidParameterError
            If a parameter has the wrong type or is out of range (booleans
            are not numbers, and inf and nan are refused everywhere).
        skdigits.exceptions.DataError
            If ``X``, ``y`` or ``sample_weight`` cannot be used; weights must
            be finite, >= 0 and not all zero.
        skdigits.exceptions.TrainingDivergedError
            If the loss or the weights stop being finite (a learning rate far
            too high). The network is discarded and the classifier left
            unfitted.

        Notes
        -----
        Ctrl-C during training (here or in :meth:`partial_fit`) stops it at
        the end of the current batch, after that epoch's validation pass if
        any, and then raises KeyboardInterrupt. The classifier keeps the
        partly trained network, as Keras does: it can predict, and
        ``history_`` ends with the interrupted epoch, scored on the batches it
        ran. A second Ctrl-C interrupts at once. SIGTERM stops training the
        same way, then raises :class:`~skdigits.exceptions.Terminated` (a
        ``SystemExit`` with status 143). This applies when fitting in the main
        thread with Python's default SIGINT handler installed (as in a script,
        a terminal or Jupyter); any other handler is left in charge.
        """
        # Past KerasClassifier.fit, which weights classes on labels not yet validated (_validate_sample_weight).
        self.classes_ = None
        return super(KerasClassifier, self).fit(X, y, sample_weight=_weights_or_ones(self, sample_weight))

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch, keeping the current network (or start one).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Training images.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All classes, needed on the first call if ``y`` lacks some.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : CNNDigitClassifier
            The updated classifier.

        Raises
        ------
        skdigits.exceptions.TrainingDivergedError
            If the epoch's loss or the weights stop being finite; as in
            :meth:`fit`, the network is discarded and the classifier left
            unfitted.
        """
        self.classes_ = classes if classes is not None else getattr(self, "classes_", None)
        return super(KerasClassifier, self).partial_fit(X, y, sample_weight=_weights_or_ones(self, sample_weight))

    def _check_params(self):
        constraints.validate_params(self)
        name = type(self).__name__
        self._layers = constraints.layer_widths(self.filters, self.kernel_sizes, name)
        make_optimizer(self.optimizer, self.learning_rate)  # an unknown optimizer name fails here, before building

    def _initialize(self, X, y=None):
        self._check_params()
        self._seed = constraints.draw_seed(self.random_state)
        return super()._initialize(X, y)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if reset and X is None:
            raise DataTypeError("X is None; fit() needs the training images.")
        if reset and y is None:
            # scikit-learn's checks look for this phrase.
            raise DataError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "fit() needs the class label of every training image."
            )
        if X is not None:
            X = validate_images(self, X, reset=reset, image_shape=self.image_shape)
        if y is not None:
            y = validate_labels(y, X, reset=reset, classes=None if reset else getattr(self, "classes_", None))
            if reset:
                self.target_type_ = self._type_of_target(y)
                self.y_dtype_ = y.dtype
                self.y_ndim_ = 1
        return X, y

    def _build_keras_model(self):
        return self._compile_network(build_cnn(**network_arguments(self), seed=self._seed))

    def _compile_network(self, model):
        """Compile ``model`` with a fresh optimizer made from the parameters."""
        model.compile(optimizer=make_optimizer(self.optimizer, self.learning_rate),
                      loss=make_loss(self.label_smoothing), metrics=["accuracy"])
        return model

    def _ensure_compiled_model(self):
        # Saved and pickled networks leave the optimizer out; a loaded one gets a fresh one.
        if not self.model_.compiled:
            self._compile_network(self.model_)

    def _initialize_callbacks(self):
        self._fit_callbacks = list(self.callbacks or [])
        self._predict_callbacks = []

    def _validate_sample_weight(self, X, y, sample_weight):
        sample_weight = np.ones(len(X)) if sample_weight is _ONES else check_sample_weight(sample_weight, len(X))
        if self.class_weight is not None:
            by_class = class_sample_weights(self.class_weight, y, getattr(self, "classes_", None))
            sample_weight = check_sample_weight(sample_weight * by_class, len(X))
        kept = sample_weight != 0  # samples of weight 0 are dropped, as scikeras does
        return X[kept], y[kept], sample_weight[kept]

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        if kwargs:
            raise constraints.ParameterError(f"fit() got unexpected keyword arguments {sorted(kwargs)}.")
        constraints.validate_params(self)  # a fitted model's partial_fit skips _initialize
        # A fresh stream per (seed, epoch) keeps partial_fit epochs distinct.
        rng = np.random.RandomState([self._seed, initial_epoch])
        arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
        validation = None
        if self.validation_split:
            train_idx, val_idx = split(y, self.validation_split, rng)
            validation = batches(tuple(a[val_idx] for a in arrays), PREDICT_BATCH)
            arrays = tuple(a[train_idx] for a in arrays)
        precision = resolve_precision(self.precision)
        epochs = resolve_epochs(epochs, len(arrays[0]), precision)  # partial_fit's is 1
        train = batches(arrays, self.batch_size, shuffle_seed=int(rng.randint(np.iinfo(np.int32).max)))
        callbacks = [*self._fit_callbacks,
                     *training_callbacks(self, len(arrays[0]), validation is not None, precision)]
        guard = NonFiniteLossGuard()
        # Ctrl-C stops at the end of a batch: raised inside TensorFlow it can abort the process. history_ is
        # recorded before the KeyboardInterrupt is raised (on leaving the block), so it matches the network kept.
        with (deferred_keyboard_interrupt() as stop_on_ctrl_c, releasing_traced_gradients(),
              training_precision(self.model_, precision)):
            build_before_tracing(self.model_, train)
            hist = self.model_.fit(
                train,
                epochs=int(initial_epoch) + int(epochs),
                initial_epoch=initial_epoch,
                validation_data=validation,
                callbacks=[*callbacks, guard, stop_on_ctrl_c],
                shuffle=False,  # the dataset shuffles itself, seeded
                verbose=keras_verbose(self.verbose),
            )
            if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
                self.history_ = {}
            for key, values in hist.history.items():
                self.history_.setdefault(key, []).extend(float(v) for v in values)
            refuse_diverged(self, guard)
        # The validation part was not trained on; without one, the training images (seen without augmentation).
        calibration = (X[val_idx], y[val_idx]) if validation is not None else (X, y)
        self.temperature_ = network_temperature(self, *calibration, rng)

    # ---- prediction --------------------------------------------------
    def _predict_raw(self, X, **kwargs):
        check_is_fitted(self)
        X = validate_images(self, X, reset=False, image_shape=self.image_shape)
        if len(X) == 0:
            return np.zeros((0, self.n_classes_), dtype=np.float32)
        proba = predict_in_blocks(self.model_, X)
        if not np.isfinite(proba).all():  # a network loaded with weights so large that its sums overflow
            raise DataError(f"the network of this {type(self).__name__} gives non-finite probabilities for "
                            f"{int((~np.isfinite(proba).all(axis=1)).sum()):,} of {len(proba):,} images; its "
                            "weights are unusable. Retrain the model.")
        return proba

    def predict_proba(self, X):
        """Return class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Images shaped like the training data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1.
            With ``temperature_scaling`` they are the network's, scaled by
            ``temperature_`` (which never changes the most probable class).
        """
        return scale_probabilities(self._predict_raw(X), getattr(self, "temperature_", 1.0))
