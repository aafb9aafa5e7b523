"""CNNEnsembleClassifier: several independently seeded networks, their probabilities averaged."""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skdigits.utils.constraints import ENSEMBLE_CONSTRAINTS, validate_params
from skdigits.utils.doc_links import DocumentationLinkMixin
from skdigits.utils.most_probable import MostProbableClass


def _seeded(estimator, seed):
    """``estimator`` with every ``random_state`` parameter (nested ones too) set to ``seed``."""
    names = [name for name in estimator.get_params(deep=True) if name.split("__")[-1] == "random_state"]
    return estimator.set_params(**dict.fromkeys(names, int(seed)))


def _fit_member(estimator, X, y, sample_weight):
    if sample_weight is None:
        return estimator.fit(X, y)
    return estimator.fit(X, y, sample_weight=sample_weight)


class CNNEnsembleClassifier(DocumentationLinkMixin, MostProbableClass, ClassifierMixin, BaseEstimator):
    """An ensemble of digit CNNs that differ only in their random seed.

    Each member is a clone of ``estimator`` trained on all of the data with
    its own seed (different initial weights, dropout masks, augmentations
    and batch order); predictions average the members' probabilities. It
    costs ``n_estimators`` times the training and prediction time; what it
    buys in accuracy and log-loss is measured on the documentation's
    benchmarks page, and is small for networks of the defaults, which agree
    closely.

    Parameters
    ----------
    estimator : estimator object or None, default=None
        The member to clone: a :class:`CNNDigitClassifier` or a Pipeline
        ending in one. None uses ``CNNDigitClassifier()`` with its defaults.
    n_estimators : int, default=5
        Number of members.
    n_jobs : int or None, default=None
        Members trained in parallel processes (joblib); each process then
        gives TensorFlow ``cores // n_jobs`` threads. None means 1, -1 all
        cores (joblib's convention); 0 is refused. At most ``n_estimators``
        processes are started.
    random_state : int, RandomState instance or None, default=None
        Draws each member's seed; an int makes the whole ensemble
        reproducible. Any ``random_state`` already set on ``estimator`` is
        replaced.

    Attributes
    ----------
    estimators_ : list of estimator objects
        The fitted members.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    n_features_in_ : int
        Number of pixels per image seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during :meth:`fit`, when ``X`` was a DataFrame.

    See Also
    --------
    CNNDigitClassifier : One network.

    Examples
    --------
    >>> from skdigits import CNNDigitClassifier, CNNEnsembleClassifier
    >>> ensemble = CNNEnsembleClassifier(CNNDigitClassifier(epochs=10), n_estimators=5, random_state=0)
    >>> ensemble.fit(X_train, y_train).score(X_test, y_test)  # doctest: +SKIP
    """

    _parameter_constraints = ENSEMBLE_CONSTRAINTS

    def __init__(self, estimator=None, *, n_estimators=5, n_jobs=None, random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    def fit(self, X, y, sample_weight=None):
        """Train ``n_estimators`` differently seeded clones of ``estimator`` on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Training images, as the member expects them.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights, passed to every member.

        Returns
        -------
        self : CNNEnsembleClassifier
            The fitted ensemble.

        Raises
        ------
        skdigits.exceptions.InvalidParameterError
            If a parameter has the wrong type or is out of range, before any
            member is trained.
        skdigits.exceptions.TrainingDivergedError
            If a member's training diverges; the ensemble is then unfitted.
        """
        validate_params(self)
        if self.estimator is None:
            from skdigits.classifier import CNNDigitClassifier

            base = CNNDigitClassifier()
        else:
            base = self.estimator
        seeds = check_random_state(self.random_state).randint(np.iinfo(np.int32).max, size=self.n_estimators)
        members = [_seeded(clone(base), seed) for seed in seeds]
        # No more processes than members: loky starts every worker it is asked for, idle or not.
        n_jobs = self.n_jobs if self.n_jobs is None or self.n_jobs < 0 else min(self.n_jobs, self.n_estimators)
        self.estimators_ = Parallel(n_jobs=n_jobs)(
            delayed(_fit_member)(member, X, y, sample_weight) for member in members
        )
        first = self.estimators_[0]
        self.classes_ = first.classes_
        self.n_features_in_ = first.n_features_in_
        if hasattr(first, "feature_names_in_"):
            self.feature_names_in_ = first.feature_names_in_
        return self

    def predict_proba(self, X):
        """Return the members' mean class probabilities for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Images shaped like the training data.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1.
        """
        check_is_fitted(self)
        return np.mean([member.predict_proba(X) for member in self.estimators_], axis=0)
