"""A fitted classifier put back together from its saved parts: the safe format's loaders use it."""

import numpy as np

from skdigits.exceptions import DataError

__all__ = ["RestoreFitted"]


class RestoreFitted:
    """Mixin for CNNDigitClassifier: attach a trained network and its fitted state as ``fit`` would have."""

    def _restore_fitted(self, model, *, classes, history, seed, temperature=1.0):
        """Attach a trained ``model`` as if ``fit`` had produced it (see :mod:`skdigits.persistence`).

        ``n_features_in_``, ``image_shape_`` and ``feature_names_in_`` must be
        set already; this rebuilds scikeras' encoders from ``classes``, and
        compiles ``model`` with a fresh optimizer if it has none.
        """
        self._check_params()
        self._seed = seed
        self.temperature_ = float(temperature)
        self.classes_ = None  # let the encoder find the classes, as fit does
        self.target_encoder_ = self.target_encoder.fit(classes)
        vars(self).update(self.target_encoder_.get_metadata())
        self.target_type_ = self._type_of_target(classes)
        self.y_dtype_ = classes.dtype
        self.y_ndim_ = 1
        self.feature_encoder_ = self.feature_encoder.fit(np.zeros((1, *self.image_shape_, 1), np.float32))
        self.model_ = model
        self.history_ = history
        self._initialize_callbacks()
        n_outputs = int(model.outputs[0].shape[-1])
        if n_outputs != self.n_classes_:
            raise DataError(f"the network has {n_outputs} outputs for {self.n_classes_} classes.")
        self._ensure_compiled_model()
        return self
