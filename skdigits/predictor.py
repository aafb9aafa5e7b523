"""load_predictor: predict with a saved model in NumPy, without importing TensorFlow.

Importing TensorFlow alone takes seconds; a script that only loads a model
and predicts does not need it. :func:`load_predictor` reads a file written
by :func:`skdigits.save_model` with the same checks as
:func:`skdigits.load_model`, and runs each network's forward pass in NumPy
(:mod:`skdigits.network.numpy_model`), built from the architecture and weight
arrays in the file. Neither it nor the predictors it returns import
TensorFlow, Keras or scikeras.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from skdigits.exceptions import DataError, DataTypeError, InvalidParameterError, UnsafeModelError
from skdigits.persistence.reader import Estimators, load_safe
from skdigits.utils.constraints import CLASSIFIER_PARAMETERS
from skdigits.utils.doc_links import DocumentationLinkMixin
from skdigits.utils.most_probable import MostProbableClass
from skdigits.utils.validation import validate_images

__all__ = ["load_predictor", "DigitPredictor", "DigitEnsemblePredictor"]


def load_predictor(path):
    """Load a model saved by :func:`save_model` for prediction only, without TensorFlow.

    The file gets the checks of :func:`load_model` (it runs no code from
    the file), and the same estimator comes back, except that each fitted
    :class:`CNNDigitClassifier` is a :class:`DigitPredictor` and each fitted
    :class:`CNNEnsembleClassifier` a :class:`DigitEnsemblePredictor`: a
    saved Pipeline comes back as a Pipeline whose last step is the
    predictor. Their forward pass runs in NumPy, so neither loading nor
    predicting imports TensorFlow, Keras or scikeras: a script that loads a
    model and predicts skips TensorFlow's import of several seconds and
    pays mainly scikit-learn's.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.skdigits`` file (the safe format). joblib files are not read.

    Returns
    -------
    DigitPredictor, DigitEnsemblePredictor, Pipeline or DigitImageTransformer
        The saved model, ready to ``predict`` and ``predict_proba``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    skdigits.exceptions.UnsafeModelError, skdigits.exceptions.BudgetExceededError
        (ValueErrors) Whenever :func:`load_model` would refuse the file
        (damaged, tampered with, a joblib file, over a budget, ...), with
        the same message.
    skdigits.exceptions.DataError
        (a ValueError) If the model was saved unfitted (load it with
        :func:`load_model` and fit it). Every message names the file.

    Warns
    -----
    skdigits.exceptions.ModelVersionWarning
        As :func:`load_model`.

    See Also
    --------
    load_model : Load the file as the estimators themselves, with Keras: to predict bit for bit as the
        saved model, or to train on.
    save_model : Write such a file.

    Notes
    -----
    The forward pass computes in float32, as Keras does, but sums in another
    order: probabilities agree with :func:`load_model`'s to about 1e-6, not
    bit for bit, and the predicted classes agree except where two classes
    tie to that precision. It implements every network that
    :class:`CNNDigitClassifier` builds (any ``filters``, ``kernel_sizes``,
    ``dense_units``, ``batch_norm`` and image size), from the architecture
    saved with it.

    Examples
    --------
    >>> from skdigits import load_predictor
    >>> model = load_predictor("model.skdigits")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    from sklearn.pipeline import Pipeline

    model = load_safe(path, _Predictors(path))
    steps = [step for _, step in model.steps] if isinstance(model, Pipeline) else [model]
    for step in steps:
        if isinstance(step, _Unfitted):
            raise DataError(f"{path}: {step.where} ({step.kind}) was saved unfitted; "
                            "load it with skdigits.load_model and fit it.")
    return model


class DigitPredictor(DocumentationLinkMixin, MostProbableClass, ClassifierMixin, BaseEstimator):
    """A fitted :class:`CNNDigitClassifier`'s predictions, computed in NumPy without TensorFlow.

    :func:`load_predictor` makes these from a saved model; there is rarely a
    reason to make one directly. Like the classifier it has ``predict``,
    ``predict_proba`` and ``score``; it validates ``X`` as the classifier
    does (same checks, same messages) and returns its probabilities to
    about 1e-6. It cannot be trained: ``fit`` raises a TypeError.

    Parameters
    ----------
    network : skdigits.network.numpy_model.NumpyNetwork
        The network's forward pass.
    classes : array-like of shape (n_classes,)
        The class labels, in the order of the network's outputs.
    image_shape : None or tuple of (int, int), default=None
        The classifier's ``image_shape`` parameter: how flat rows are laid
        out as images (see :class:`DigitImageTransformer`).
    feature_names : array-like of str or None, default=None
        The column names the classifier was fitted on, if it was fitted on
        a DataFrame.
    temperature : float, default=1.0
        The classifier's ``temperature_``: the network's probabilities are
        scaled by it (see :mod:`skdigits.calibration`), as the classifier's are.
    source : str or None, default=None
        Where the network comes from (``load_predictor`` passes the file and
        its entry), named in errors.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of pixels per image.
    image_shape_ : tuple of (int, int)
        The ``(height, width)`` of the images the network reads.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names the classifier was fitted on; only set when it was
        fitted on a DataFrame.

    See Also
    --------
    load_predictor : Make predictors from a saved model.
    CNNDigitClassifier : The classifier, which can also train.

    Examples
    --------
    >>> from skdigits import load_predictor
    >>> predictor = load_predictor("classifier.skdigits")  # doctest: +SKIP
    >>> predictor.predict_proba(X_test).shape  # doctest: +SKIP
    (10000, 10)
    """

    def __init__(self, network, classes, *, image_shape=None, feature_names=None, temperature=1.0, source=None):
        self.network = network
        self.source = source
        self.temperature = temperature
        self.classes = classes
        self.image_shape = image_shape
        self.feature_names = feature_names

    # Born fitted: the fitted attributes are read from the parameters, so that
    # __init__ only stores them and clone() gives an equal predictor.
    @property
    def classes_(self):
        return np.asarray(self.classes)

    @property
    def image_shape_(self):
        return tuple(self.network.image_shape)

    @property
    def n_features_in_(self):
        return int(np.prod(self.image_shape_))

    @property
    def feature_names_in_(self):
        if self.feature_names is None:
            raise AttributeError("feature_names_in_ is set only for predictors of models fitted on a DataFrame.")
        return np.asarray(self.feature_names, dtype=object)

    def fit(self, X, y=None, **fit_params):
        """Refuse to train: a predictor only predicts.

        Parameters
        ----------
        X : array-like
            Ignored.
        y : array-like, default=None
            Ignored.
        **fit_params : dict
            Ignored.

        Raises
        ------
        TypeError
            Always.
        """
        raise DataTypeError(f"{type(self).__name__} only predicts and cannot be fitted; load the model file with "
                        "skdigits.load_model to train it.")

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    def predict_proba(self, X):
        """Return class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Images shaped like the training data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes), dtype float32
            Probabilities in the order of ``classes_``; each row sums to 1.

        Raises
        ------
        skdigits.exceptions.DataError
            If the network's probabilities are not finite (weights so large
            that its sums overflow): it would predict one class for every image.
        """
        return self._proba(X)

    def _proba(self, X):
        from skdigits.calibration import scale_probabilities

        images = validate_images(self, X, reset=False, image_shape=self.image_shape)
        with np.errstate(over="ignore", invalid="ignore"):  # overflowing weights: refused just below
            proba = self.network.predict(images)
        if not np.isfinite(proba).all():
            bad = np.flatnonzero(~np.isfinite(proba).all(axis=1))
            raise DataError(f"the network of {self.source or 'this predictor'} gives non-finite probabilities for "
                            f"{len(bad):,} of {len(proba):,} images (the first is row {bad[0]}); its weights are "
                            "unusable (so large that its sums overflow float32). Retrain the model and save it again.")
        return scale_probabilities(proba, self.temperature)


class DigitEnsemblePredictor(DigitPredictor):
    """A fitted :class:`CNNEnsembleClassifier`'s predictions, computed in NumPy without TensorFlow.

    A :class:`DigitPredictor` (``predict``, ``predict_proba``, ``score``; no
    ``fit``) whose probabilities are its members' mean, as the ensemble's
    are. :func:`load_predictor` makes these from a saved ensemble.

    Parameters
    ----------
    members : list of DigitPredictor or Pipeline
        The members' predictors (a Pipeline where the member was one).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, from the first member.
    n_features_in_ : int
        Number of pixels per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names the ensemble was fitted on; only set when it was fitted
        on a DataFrame.

    See Also
    --------
    load_predictor : Make predictors from a saved model.
    CNNEnsembleClassifier : The ensemble, which can also train.

    Examples
    --------
    >>> from skdigits import load_predictor
    >>> ensemble = load_predictor("ensemble.skdigits")  # doctest: +SKIP
    >>> ensemble.predict(X_test)  # doctest: +SKIP
    """

    def __init__(self, members):  # no super().__init__: the members hold the networks
        self.members = members

    @property
    def classes_(self):
        return self.members[0].classes_

    @property
    def n_features_in_(self):
        return self.members[0].n_features_in_

    @property
    def feature_names_in_(self):
        return self.members[0].feature_names_in_

    def _proba(self, X):
        # As CNNEnsembleClassifier.predict_proba: the members validate X.
        return np.mean([member.predict_proba(X) for member in self.members], axis=0)


class _Unfitted:
    """Stands for an estimator saved unfitted: predictors exist only for fitted ones."""

    def __init__(self, kind, where):
        self.kind, self.where = kind, where


class _Predictors(Estimators):
    """How :func:`load_predictor` finishes checked manifest entries: fitted networks as NumPy predictors."""

    optimizers = False  # checked, never built: Keras would import TensorFlow

    def __init__(self, path):
        self.path = path

    def param_names(self, kind):
        if kind == "CNNDigitClassifier":
            return CLASSIFIER_PARAMETERS
        return super().param_names(kind)

    def unfitted(self, kind, params, where):
        return _Unfitted(kind, where)

    def fitted(self, kind, params, attributes, where):
        if kind == "CNNEnsembleClassifier":
            return DigitEnsemblePredictor(attributes["estimators_"])
        return super().fitted(kind, params, attributes, where)

    def classifier(self, params, attributes, architecture, arrays, where, *, classes, history, seed, temperature):
        from skdigits.network.numpy_model import build_network

        _check_classifier_params(params, where)
        return DigitPredictor(build_network(architecture, arrays), classes, image_shape=params.get("image_shape"),
                              feature_names=attributes.get("feature_names_in_"), temperature=temperature,
                              source=f"{self.path} ({where})")


def _check_classifier_params(params, where):
    """The classifier's own constraints (TensorFlow-free), but on the Keras objects it would build."""
    from skdigits.utils.constraints import CLASSIFIER_CONSTRAINTS, validate

    keras_built = ("optimizer", "callbacks")  # kept as checked configs here: Keras is not imported
    constraints = {name: rule for name, rule in CLASSIFIER_CONSTRAINTS.items() if name not in keras_built}
    try:
        validate(constraints, {name: params[name] for name in constraints if name in params},
                         "CNNDigitClassifier")
    except InvalidParameterError as exc:
        raise UnsafeModelError(f"{where}: {exc}") from None
