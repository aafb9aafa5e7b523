"""Every use skdigits makes of another library's private API, in one place.

Each entry names the internal, why we need it, and the versions it was
checked on (:data:`CHECKED_ON`). ``tests/test_compat.py`` asserts every
assumption made here, so a release that moves one of them fails there,
loudly, instead of skdigits going quietly wrong. Nothing else in the
package may import a private name of scikit-learn, scikeras, Keras or
TensorFlow.

Importing this module imports scikit-learn only: the TensorFlow and
scikeras entries import them when they are called.
"""

import importlib
import importlib.metadata

from sklearn.base import BaseEstimator, ClassifierMixin

# scikit-learn, sklearn.utils._param_validation (checked on 1.9.1): the
# parameter-constraint machinery behind every estimator's
# ``_parameter_constraints``; scikit-learn has no public module for it.
# ``make_constraint`` accepts custom constraints only as instances of
# Interval, Options, StrOptions, HasMethods or MissingValues, so skdigits'
# own constraints (skdigits/_params.py) subclass Interval and Options.
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    make_constraint,
    validate_parameter_constraints,
)
from sklearn.utils._param_validation import (
    InvalidParameterError as SklearnInvalidParameterError,
)

__all__ = [
    "CHECKED_ON",
    "SCIKERAS_HOOKS",
    "SKLEARN_DOC_LINK_HOOKS",
    "ClassifierMixinFirst",
    "HasMethods",
    "Interval",
    "Options",
    "SklearnInvalidParameterError",
    "StrOptions",
    "check_scikeras_hooks",
    "install_keras_pickling",
    "keras_symbolic_build",
    "make_constraint",
    "scikeras_classifier",
    "scikeras_version",
    "sklearn_param_names",
    "tensorflow_gradient_registry",
    "validate_parameter_constraints",
]

#: The versions every entry in this module was checked on.
CHECKED_ON = {"tensorflow": "2.21.0", "keras": "3.15.1", "scikit-learn": "1.9.1", "scikeras": "0.13.0"}

# scikit-learn, BaseEstimator._get_param_names (checked on 1.9.1): scikeras
# overrides this classmethod to list its routed ``fit__``/``model__``
# parameters; CNNDigitClassifier takes scikit-learn's own back, so that its
# parameters are exactly its ``__init__`` arguments.
sklearn_param_names = classmethod(BaseEstimator._get_param_names.__func__)

# scikit-learn, the HTML repr's documentation link (checked on 1.9.1): no public
# API sets the "?" link. BaseEstimator's private base _HTMLDocumentationLinkMixin
# formats ``_doc_link_template`` with ``_doc_link_url_param_generator()``, for a
# class whose top-level package is ``_doc_link_module``; its defaults point at
# scikit-learn's own site. skdigits.utils.doc_links.DocumentationLinkMixin sets
# these three (only sets them: nothing is imported from scikit-learn for it).
#: The private attributes of scikit-learn's HTML repr that skdigits' estimators set.
SKLEARN_DOC_LINK_HOOKS = ("_doc_link_module", "_doc_link_template", "_doc_link_url_param_generator")


# ---- scikeras: the hooks CNNDigitClassifier overrides or calls (checked on 0.13.0) ---
#: The private methods of ``scikeras.wrappers.KerasClassifier`` that
#: CNNDigitClassifier overrides (o) or calls (c). scikeras' ``fit`` runs
#: ``_initialize`` (which calls ``_validate_data``, the target and feature
#: encoders, ``_build_keras_model`` and ``_initialize_callbacks``), then
#: ``_ensure_compiled_model``, ``_validate_sample_weight``,
#: ``_check_model_compatibility`` and ``_fit_keras_model``.
#:
#: CNNDigitClassifier's ``fit`` and ``partial_fit`` also call the base
#: wrapper's directly (``super(KerasClassifier, self)``): scikeras'
#: ``KerasClassifier.fit`` only resets ``classes_`` and weights the classes
#: on labels not yet validated; ``class_weight`` is applied in
#: ``_validate_sample_weight`` instead (checked on 0.13.0).
SCIKERAS_HOOKS = (
    "_initialize",  # o: parameter validation and seeding, before scikeras' own
    "_validate_data",  # o: our image validation instead of scikeras' feature checks
    "_build_keras_model",  # o: build_cnn instead of a user ``model`` function
    "_ensure_compiled_model",  # o: compile loaded networks with a fresh optimizer
    "_initialize_callbacks",  # o: plain ``callbacks``, no ``fit__`` routing
    "_validate_sample_weight",  # o: finite, non-negative weights
    "_fit_keras_model",  # o: seeded tf.data batches, schedules, Ctrl-C, NaN guard
    "_predict_raw",  # o: fixed-size batches that keep probabilities row-independent
    "_check_model_compatibility",  # c: scikeras' output-count check, left in place
    "_type_of_target",  # c: target type recorded like scikeras does
    "_get_param_names",  # o: replaced by sklearn_param_names above
)


def scikeras_version():
    """Return the installed scikeras version string.

    Returns
    -------
    str
    """
    return importlib.metadata.version("scikeras")


def scikeras_classifier():
    """Return ``scikeras.wrappers.KerasClassifier``, with its hooks checked.

    Importing scikeras imports TensorFlow: import :mod:`skdigits._training.backend`
    first, so that TensorFlow loads quietly.

    Returns
    -------
    type
    """
    wrapper_class = importlib.import_module("scikeras.wrappers").KerasClassifier
    check_scikeras_hooks(wrapper_class)
    return wrapper_class


def check_scikeras_hooks(wrapper_class):
    """Raise ImportError unless ``wrapper_class`` has every hook in :data:`SCIKERAS_HOOKS`.

    Run once when :mod:`skdigits.classifier` is imported (by
    :func:`scikeras_classifier`), so that a scikeras
    release that renames a hook fails at import with a message naming it,
    rather than silently skipping our override.

    Parameters
    ----------
    wrapper_class : type
        ``scikeras.wrappers.KerasClassifier``.
    """
    missing = [name for name in SCIKERAS_HOOKS if not callable(getattr(wrapper_class, name, None))]
    if missing:
        raise ImportError(
            f"skdigits needs scikeras' private hooks {missing}, which scikeras {scikeras_version()} "
            f"lacks; skdigits was checked on scikeras {CHECKED_ON['scikeras']}. Install that version."
        )


class ClassifierMixinFirst(type):
    """Metaclass that moves ClassifierMixin in front of scikeras' KerasClassifier in the MRO.

    scikeras 0.13.0 lists ClassifierMixin after BaseEstimator, so under
    scikit-learn >= 1.6 its classifiers are tagged as no classifier (and
    cross-validation is not stratified). A plain subclass cannot reorder
    that (C3 linearisation forbids it). Just before KerasClassifier, not just
    after the class itself: a user's subclass must keep CNNDigitClassifier
    (and its tags) ahead of the mixin. Checked on scikeras 0.13.0 with
    scikit-learn 1.9.1.
    """

    def mro(cls):
        from scikeras.wrappers import KerasClassifier

        order = super().mro()
        if KerasClassifier in order:
            order.remove(ClassifierMixin)
            order.insert(order.index(KerasClassifier), ClassifierMixin)
        return order


# ---- scikeras: its pickling patch of keras.Model (checked on 0.13.0, Keras 3.15.1) --
def install_keras_pickling():
    """Import scikeras, which makes every ``keras.Model`` picklable for the whole process.

    scikeras replaces ``keras.Model.__reduce__`` (and those of losses,
    metrics and optimizers) on import, with functions that save through
    Keras' private ``keras.src.saving.saving_lib``. Fitted classifiers are
    pickled with their network (joblib files, joblib workers), so this must
    happen before any network is pickled, whichever skdigits module loads
    first.

    Returns
    -------
    module
        The ``scikeras`` package.
    """
    import scikeras

    return scikeras


# ---- Keras: Model._symbolic_build (checked on Keras 3.15.1) --------------------------
def keras_symbolic_build(model, data_spec):
    """Build a compiled model's optimizer and metric variables from a batch's spec; False if Keras lacks the hook.

    Keras' TensorFlow trainer calls ``Model._symbolic_build`` itself only
    under a distribution strategy; otherwise the variables are created while
    ``fit`` traces its training step, which ``tf.function`` then traces a
    second time (see :func:`skdigits._training.loop.build_before_tracing`).
    It reads only the shapes and dtypes of ``data_spec``.

    Parameters
    ----------
    model : keras.Model
        A compiled network.
    data_spec : tuple of tf.TensorSpec
        The spec of a training batch: (images, labels) or (images, labels, sample weights).

    Returns
    -------
    bool
        Whether the hook existed and ran.
    """
    build = getattr(model, "_symbolic_build", None)
    if build is None:
        return False
    build(data_batch=data_spec)
    return True


# ---- TensorFlow: ops._gradient_registry (checked on TF 2.21.0) -----------------------
def tensorflow_gradient_registry():
    """Return TensorFlow's global gradient registry dict, or None if it has moved.

    ``tf.custom_gradient`` registers a uniquely named ``CustomGradient-...``
    entry there on every trace and never removes it (see
    :mod:`skdigits._training.gradient_registry`). There is no public handle.

    Returns
    -------
    dict or None
        ``tensorflow.python.framework.ops._gradient_registry._registry``.
    """
    from tensorflow.python.framework import ops

    return getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
