"""``predict`` as the most probable class, for every skdigits classifier (NumPy only)."""

import numpy as np

__all__ = ["MostProbableClass"]


class MostProbableClass:
    """Mixin: ``predict`` returns the class of the highest ``predict_proba`` column."""

    def predict(self, X):
        """Return the most probable class for each image in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, 1])
            Images shaped like the training data.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return np.asarray(self.classes_)[np.argmax(proba, axis=1)]
