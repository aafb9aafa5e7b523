"""One network definition: the Keras model, the NumPy forward pass and the safe format's weight layout all
follow :func:`skdigits.network.architecture.describe`, for every recipe and a grid of parameters."""

import itertools

import numpy as np
import pytest

from skdigits import ACCURATE_RECIPE, FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier
from skdigits.network.architecture import architecture_of, describe, weight_shapes

KERAS_CLASSES = {"augment": "RandomDigitAffine", "conv2d": "Conv2D", "batch_normalization": "BatchNormalization",
                 "activation": "Activation", "max_pooling2d": "MaxPooling2D", "flatten": "Flatten", "dense": "Dense",
                 "dropout": "Dropout"}


def _architecture(image_shape=(28, 28), n_classes=10, **params):
    return architecture_of({**CNNDigitClassifier().get_params(), **params}, image_shape, n_classes)


RECIPES = {"defaults": _architecture(), "FAST_RECIPE": _architecture(**FAST_RECIPE),
           "TUTORIAL_RECIPE": _architecture(**TUTORIAL_RECIPE), "ACCURATE_RECIPE": _architecture(**ACCURATE_RECIPE)}
# Every way the parameters change the layers, narrow so that the grid stays fast; an odd image size, so
# that 'same' pooling and stride-2 padding are uneven.
GRID = {
    f"{filters}-bn{bn}-{down}-{pad}-bd{bd}-aug{aug}": _architecture(
        (13, 11), 3, filters=filters, kernel_sizes=(3, 2, 4)[:len(filters)], dense_units=6, batch_norm=bn,
        downsample=down, padding=pad, block_dropout=bd, augment=aug)
    for filters, bn, down, pad, (bd, aug) in itertools.product(
        [(4,), (3, 5, 5)], [False, True], ["max-pool", "stride"], ["same", "valid"], [(0.0, False), (0.2, True)])
}
CASES = {**RECIPES, **GRID}


def _keras_network(arch):
    """``build_cnn``'s model of ``arch`` with random weights (batch norm's variances positive)."""
    from skdigits.network.keras_model import build_cnn

    model = build_cnn(**arch, seed=0)
    rng = np.random.RandomState(1)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            *others, variance = layer.get_weights()
            layer.set_weights([*others, np.abs(variance) + 0.1])
    return model


@pytest.mark.parametrize("name", CASES)
def test_keras_numpy_and_the_safe_format_build_the_described_network(name):
    from skdigits.network.numpy_model import build_network
    from skdigits.persistence.weights import check_architecture, read_npz, to_npz

    arch = check_architecture(CASES[name], name)  # the reader's view of it: what a saved model would hold
    layers = describe(arch)
    model = _keras_network(arch)
    # The same layers, in order, of the same kinds, with the same weights' Keras paths and shapes.
    assert [layer.name for layer in layers] == [layer.name for layer in model.layers[1:]]
    assert [KERAS_CLASSES[layer.kind] for layer in layers] == [type(layer).__name__ for layer in model.layers[1:]]
    assert weight_shapes(layers) == [(w.path, tuple(w.shape)) for w in model.weights]
    # The safe format lays the weights out by the description and reads them back in its order.
    arrays = read_npz(to_npz(zip([n for n, _ in weight_shapes(layers)], model.get_weights())), layers, name)
    assert all(np.array_equal(a, b) for a, b in zip(arrays, model.get_weights(), strict=True))
    # The same outputs, from the NumPy forward pass of those arrays.
    images = np.random.RandomState(2).uniform(0, 1, (5, *arch["image_shape"], 1)).astype(np.float32)
    expected = np.asarray(model(images, training=False))
    np.testing.assert_allclose(build_network(arch, arrays).predict(images), expected, rtol=0, atol=1e-5)


def test_the_grid_covers_every_layer_kind_and_each_builder_handles_each():
    from skdigits.network.keras_model import _KERAS_LAYERS
    from skdigits.network.numpy_model import _MAKERS, LAYER_COSTS

    kinds = {layer.kind for arch in CASES.values() for layer in describe(arch)}
    assert kinds == set(KERAS_CLASSES) == set(_KERAS_LAYERS) == set(_MAKERS) == set(LAYER_COSTS)


def test_a_fitted_classifier_saves_the_architecture_it_was_built_from():
    clf = CNNDigitClassifier(**ACCURATE_RECIPE)
    clf.image_shape_, clf.n_classes_ = (28, 28), 10
    from skdigits._training.loop import network_arguments

    assert network_arguments(clf) == RECIPES["ACCURATE_RECIPE"]
