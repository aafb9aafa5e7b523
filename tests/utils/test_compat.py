"""Every private API skdigits relies on (skdigits/compat.py) still exists and behaves as assumed.

These fail loudly when scikit-learn, scikeras, Keras or TensorFlow move an
internal, instead of skdigits going quietly wrong (a memory fix that stops
working, a classifier that is no classifier, a check that accepts anything).
"""

import importlib.metadata
import inspect
import pickle
import re
from numbers import Real

import numpy as np
import pytest
from sklearn.base import ClassifierMixin, is_classifier

from skdigits.utils import compat
from skdigits.utils.constraints import Number, PositiveInts


def test_the_checked_versions_name_real_distributions():
    for distribution, version in compat.CHECKED_ON.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)
        importlib.metadata.version(distribution)  # raises if the name is wrong


# ---- scikit-learn: _param_validation ------------------------------------------------

def test_make_constraint_keeps_skdigits_constraints_as_they_are():
    # skdigits' constraints subclass Interval and Options because make_constraint accepts no other.
    for constraint in (Number(Real, 0, 1, closed="left"), PositiveInts(64)):
        assert compat.make_constraint(constraint) is constraint


class _WithFit:
    def fit(self):
        return self


def test_validate_parameter_constraints_raises_sklearns_error_in_its_words():
    constraints = {"rate": [compat.Interval(Real, 0, 1, closed="left")], "kind": [compat.StrOptions({"a"})],
                   "est": [compat.HasMethods(["fit"])]}
    compat.validate_parameter_constraints(constraints, {"rate": 0.5, "kind": "a", "est": _WithFit()}, "Owner")
    with pytest.raises(compat.SklearnInvalidParameterError,
                       match=r"^The 'rate' parameter of Owner must be a float in the range \[0.0, 1.0\)\. "
                             r"Got 2 instead\.$"):
        compat.validate_parameter_constraints(constraints, {"rate": 2}, "Owner")
    assert issubclass(compat.SklearnInvalidParameterError, ValueError)
    assert issubclass(compat.SklearnInvalidParameterError, TypeError)


def test_the_constraint_strings_skdigits_uses_are_understood():
    for name, good, bad in [("boolean", np.True_, 1), ("random_state", np.random.RandomState(0), "x")]:
        constraint = compat.make_constraint(name)
        assert constraint.is_satisfied_by(good) and not constraint.is_satisfied_by(bad)
    assert compat.make_constraint(None).is_satisfied_by(None)
    assert compat.make_constraint(dict).is_satisfied_by({})


def test_sklearns_own_param_names_are_the_init_arguments():
    from skdigits import CNNDigitClassifier

    init_arguments = list(inspect.signature(CNNDigitClassifier.__init__).parameters)[1:]
    assert CNNDigitClassifier._get_param_names() == sorted(init_arguments)
    assert "fit__batch_size" not in CNNDigitClassifier().get_params()


# ---- scikit-learn: the HTML repr's documentation link ------------------------------

def test_sklearns_html_repr_links_to_the_page_that_the_doc_link_hooks_make():
    from sklearn.base import BaseEstimator
    from sklearn.utils import estimator_html_repr

    class Probe(BaseEstimator):
        __module__ = "skdigits.probe"  # _get_doc_link links only classes of _doc_link_module
        _doc_link_module, _doc_link_template = "skdigits", "https://docs.example/{page}.html"

        def _doc_link_url_param_generator(self):
            return {"page": "probe"}

    assert {hook for hook in compat.SKLEARN_DOC_LINK_HOOKS if hasattr(BaseEstimator, hook)} == set(
        compat.SKLEARN_DOC_LINK_HOOKS)
    assert Probe()._get_doc_link() == "https://docs.example/probe.html"
    assert 'href="https://docs.example/probe.html"' in estimator_html_repr(Probe())
    Probe.__module__ = "elsewhere"
    assert Probe()._get_doc_link() == ""


# ---- scikeras ------------------------------------------------------------------------

def test_scikeras_has_every_hook_we_override_or_call():
    from scikeras.wrappers import KerasClassifier

    compat.check_scikeras_hooks(KerasClassifier)  # raises ImportError naming what is missing


def test_a_missing_hook_fails_at_import_with_its_name():
    class Bare:
        _initialize = _validate_data = staticmethod(lambda: None)

    with pytest.raises(ImportError, match=r"_build_keras_model.*checked on scikeras 0\.13\.0"):
        compat.check_scikeras_hooks(Bare)


def test_scikeras_fit_still_calls_our_hooks_in_the_order_we_rely_on():
    from skdigits import CNNDigitClassifier

    calls = []

    class Recording(CNNDigitClassifier):
        pass

    for name in ("_initialize", "_validate_data", "_build_keras_model", "_initialize_callbacks",
                 "_ensure_compiled_model", "_validate_sample_weight", "_check_model_compatibility",
                 "_fit_keras_model", "_predict_raw"):
        original = getattr(CNNDigitClassifier, name)

        def record(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        setattr(Recording, name, record)

    X = np.random.RandomState(0).rand(20, 4, 4, 1).astype(np.float32)
    clf = Recording(filters=(2,), kernel_sizes=3, dense_units=4, epochs=1, augment=False, random_state=0)
    clf.fit(X, np.arange(20) % 2, sample_weight=np.ones(20))
    assert calls == ["_initialize", "_validate_data", "_build_keras_model", "_initialize_callbacks",
                     "_ensure_compiled_model", "_validate_sample_weight", "_check_model_compatibility",
                     "_fit_keras_model"]
    calls.clear()
    clf.predict(X)
    assert calls == ["_predict_raw"]
    # scikeras' target encoder still provides the metadata our restore path copies.
    assert {"classes_", "n_classes_"} <= set(clf.target_encoder_.get_metadata())


def test_the_metaclass_puts_the_classifier_mixin_before_scikeras():
    from scikeras.wrappers import KerasClassifier

    from skdigits import CNNDigitClassifier

    order = CNNDigitClassifier.__mro__
    assert order.index(ClassifierMixin) == order.index(KerasClassifier) - 1
    assert is_classifier(CNNDigitClassifier())


def test_scikeras_still_makes_keras_models_picklable():
    compat.install_keras_pickling()
    from skdigits._training.backend import keras

    assert keras.Model.__reduce__.__module__ == "scikeras._saving_utils"
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs))
    again = pickle.loads(pickle.dumps(model))
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ---- TensorFlow: the gradient registry -------------------------------------------------

def test_tensorflows_gradient_registry_is_where_we_look_and_custom_gradients_land_in_it():
    from skdigits._training.backend import tf
    from skdigits._training.gradient_registry import releasing_traced_gradients

    registry = compat.tensorflow_gradient_registry()
    assert isinstance(registry, dict), "TensorFlow moved ops._gradient_registry._registry: the memory fix is off"

    @tf.custom_gradient
    def identity(x):
        return tf.identity(x), lambda dy: dy

    @tf.function
    def traced(x):
        return identity(x)

    with releasing_traced_gradients():
        before = set(registry)
        traced(tf.constant(1.0))
        added = set(registry) - before
        assert added and all(name.startswith("CustomGradient-") for name in added)
    assert not set(registry) & added  # released once no fit runs


# ---- Keras: the symbolic build ----------------------------------------------------------

def test_keras_symbolic_build_builds_the_optimizer_and_metrics_from_a_spec_alone():
    from skdigits._training.backend import keras, tf

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    metric_variables = len(model.metrics_variables)
    spec = (tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None,), tf.int64))
    assert not model.optimizer.built
    assert compat.keras_symbolic_build(model, spec), "Keras lost Model._symbolic_build: every fit traces twice"
    assert model.optimizer.built
    assert len(model.metrics_variables) > metric_variables
    weights = [w.copy() for w in model.get_weights()]
    compat.keras_symbolic_build(model, spec)  # built already: nothing changes
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
