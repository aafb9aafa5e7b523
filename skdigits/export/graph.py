"""A plan as TensorFlow: the inference networks and the function ``pixels -> probabilities`` that both formats save.

The networks are rebuilt by :func:`~skdigits.network.keras_model.build_cnn`
from the classifier's architecture without the augmentation layer, and given
the trained weights: augmentation does nothing at inference, but its random
state and its warp would otherwise travel into the exported graph. Dropout
stays, called with ``training=False`` (the identity), so the layers and their
weights are exactly those that ``predict_proba`` runs.

Imports TensorFlow; :mod:`skdigits.export` loads it only when exporting.
"""

from skdigits.exceptions import UnsupportedModelError

__all__ = ["INPUT", "OUTPUT", "inference_networks", "probabilities_function"]

#: The names of the exported model's input and output (ONNX tensors, SavedModel signature keys).
INPUT, OUTPUT = "pixels", "probabilities"
_TINY = 1e-30  # as skdigits.calibration: float32 softmax outputs can underflow to 0, and log(0) is -inf


def inference_networks(plan):
    """``{id(classifier): network}`` for every classifier of ``plan``, each rebuilt without augmentation.

    Parameters
    ----------
    plan : skdigits.export.plan.Plan
        What to export.

    Returns
    -------
    dict of int to keras.Model

    Raises
    ------
    skdigits.exceptions.UnsupportedModelError
        If a classifier's network is not the one ``build_cnn`` makes for
        its parameters (its weights differ).
    """
    networks = {}
    for classifier in _classifiers(plan):
        networks[id(classifier)] = _inference_network(classifier)
    return networks


def _classifiers(plan):
    for stage in plan.stages:
        if stage.kind == "network":
            yield stage.value
        elif stage.kind == "mean":
            for member in stage.value:
                yield from _classifiers(member)


def _inference_network(classifier):
    from skdigits.network.architecture import architecture_of, describe, weight_shapes
    from skdigits.network.keras_model import build_cnn

    architecture = architecture_of(classifier.get_params(deep=False), classifier.image_shape_, classifier.n_classes_)
    architecture["augmentation"] = None  # no weights of its own: the others keep their order and names
    expected = weight_shapes(describe(architecture))
    trained = classifier.model_
    if [(w.path, tuple(w.shape)) for w in trained.weights] != expected:
        raise UnsupportedModelError(
            f"the network of this {type(classifier).__name__} is not the one skdigits builds for its parameters "
            "(its weights differ), so export_model cannot rebuild it; export its model_ with Keras' own "
            "model_.export(), which leaves out the pixel scaling and the temperature.")
    network = build_cnn(**architecture, seed=0)  # the seed only fills weights that are replaced next
    network.set_weights(trained.get_weights())
    return network


def probabilities_function(plan, networks):
    """The TensorFlow function ``pixels (n, n_features) float32 -> {"probabilities": (n, n_classes)}``.

    Parameters
    ----------
    plan : skdigits.export.plan.Plan
        What to compute.
    networks : dict of int to keras.Model
        From :func:`inference_networks`.

    Returns
    -------
    tf.types.experimental.GenericFunction
        A ``tf.function`` with its input signature, ready to trace.
    """
    from skdigits._training.backend import tf

    def probabilities(pixels):
        return {OUTPUT: _run(plan.stages, pixels, networks, tf)}

    signature = [tf.TensorSpec((None, plan.n_features), tf.float32, name=INPUT)]
    return tf.function(probabilities, input_signature=signature, autograph=False)


def _run(stages, x, networks, tf):
    for stage in stages:
        if stage.kind == "scale":
            x = x / tf.constant(stage.value, tf.float32)  # a division, as DigitImageTransformer divides
        elif stage.kind == "images":
            height, width = stage.value
            x = tf.reshape(x, (-1, height, width, 1))  # row-major, as NumPy's reshape of a pixel row
        elif stage.kind == "network":
            x = networks[id(stage.value)](x, training=False)
            x = _temperature_scaled(x, float(getattr(stage.value, "temperature_", 1.0)), tf)
        elif stage.kind == "mean":
            x = tf.add_n([_run(member.stages, x, networks, tf) for member in stage.value]) / len(stage.value)
        else:  # pragma: no cover - plan_of makes no other kind
            raise AssertionError(stage.kind)
    return x


def _temperature_scaled(proba, temperature, tf):
    """``softmax(log p / T)`` as :func:`skdigits.calibration.scale_probabilities`, in float32.

    float32 throughout (TensorFlow.js has no float64). The row's maximum is
    subtracted before dividing by ``T``: the same softmax, but the largest
    logit is exactly 0 and the others are at most 69 / T below it, so no
    ``T`` can make them overflow into NaN (a tiny ``T`` sends them to -inf,
    whose exponential is 0).
    """
    if temperature == 1:
        return proba  # scale_probabilities returns them unchanged too
    logits = tf.math.log(tf.maximum(proba, _TINY))
    logits = (logits - tf.reduce_max(logits, axis=1, keepdims=True)) / tf.constant(temperature, tf.float32)
    exp = tf.exp(logits)
    return exp / tf.reduce_sum(exp, axis=1, keepdims=True)
