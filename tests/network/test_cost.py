"""The cost of a network from its description: shapes as Keras', memory above what NumPy allocates, FLOPs by hand."""

import tracemalloc

import numpy as np
import pytest

from skdigits.network.architecture import architecture_of, describe, weight_shapes
from skdigits.network.cost import NUMPY_OVERHEAD_BYTES, layer_costs, network_cost
from skdigits.network.numpy_model import build_network
from skdigits.utils import limits


def _arch(**changes):
    arch = {"image_shape": (28, 28), "n_classes": 10, "filters": (32, 64, 64), "kernel_sizes": (5, 3, 3),
            "dense_units": 256, "dropout": 0.5, "batch_norm": False, "downsample": "max-pool", "padding": "same",
            "block_dropout": 0.0, "augmentation": None}
    return {**arch, **changes}


ACCURATE = dict(filters=(32, 32, 32, 64, 64, 64, 128), kernel_sizes=(3, 3, 5, 3, 3, 5, 4), downsample="stride",
                padding="valid", batch_norm=True, dense_units=128, block_dropout=0.2)
NETWORKS = {
    "tutorial": _arch(),
    "accurate": _arch(**ACCURATE),
    "odd images, padded pools": _arch(image_shape=(13, 11), filters=(6, 6, 10), kernel_sizes=(4, 3, 2),
                                      batch_norm=True),
    "strided, odd": _arch(image_shape=(9, 7), filters=(3, 5, 5), kernel_sizes=(4, 3, 2), downsample="stride"),
    "wide 1x1 then a large kernel": _arch(image_shape=(12, 12), filters=(256, 2), kernel_sizes=(1, 9),
                                          dense_units=8),
}


def test_the_tutorial_networks_cost_is_the_hand_count():
    # Per layer, in float32 values: input + np.pad's copy + the im2col matrix + output for a convolution.
    conv1 = 784 + 32 * 32 + 784 * 25 + 784 * 32
    conv2 = 14 * 14 * 32 + 16 * 16 * 32 + 196 * 9 * 32 + 196 * 64
    conv3 = 196 * 64 + 16 * 16 * 64 + 196 * 9 * 64 + 196 * 64
    pool1 = 784 * 32 + 14 * 28 * 32 + 196 * 32  # input, the maxima of the rows, the output: no padding
    expected = {"conv1": (28, 28, 32), "pool1": (14, 14, 32), "conv2": (14, 14, 64), "conv3": (14, 14, 64),
                "pool3": (7, 7, 64), "flatten": (3136,), "dense": (256,), "dropout": (256,), "probabilities": (10,)}
    costs = {cost.name: cost for cost in layer_costs(_arch())}
    assert {name: cost.output_shape for name, cost in costs.items()} == expected
    assert [costs[name].working_bytes for name in ("conv1", "pool1", "conv2", "conv3")] == \
        [4 * conv1, 4 * pool1, 4 * conv2, 4 * conv3]
    # 2 FLOPs per multiply-add, 1 per bias and ReLU value (5 per softmax output).
    flops = {"conv1": 2 * 784 * 25 * 32 + 2 * 784 * 32, "conv2": 2 * 196 * 9 * 32 * 64 + 2 * 196 * 64,
             "conv3": 2 * 196 * 9 * 64 * 64 + 2 * 196 * 64, "dense": 2 * 3136 * 256 + 2 * 256,
             "probabilities": 2 * 256 * 10 + 10 + 5 * 10, "pool1": 14 * 28 * 32 + 196 * 32,
             "pool3": 7 * 14 * 64 + 49 * 64}
    assert {name: costs[name].flops for name in flops} == flops
    total = network_cost(_arch())
    assert (total.peak, total.working_bytes, total.flops) == ("conv3", 4 * conv3 + NUMPY_OVERHEAD_BYTES,
                                                              sum(flops.values()))
    assert total.flops == 24_670_332


@pytest.mark.parametrize("name", NETWORKS)
def test_output_shapes_are_the_keras_networks(name):
    from skdigits.network.keras_model import build_cnn

    arch = NETWORKS[name]
    model = build_cnn(**arch)
    keras_shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}
    assert {cost.name: cost.output_shape for cost in layer_costs(arch)} == keras_shapes


def _numpy_network(arch, seed=0):
    rng = np.random.RandomState(seed)
    arrays = [rng.standard_normal(shape).astype(np.float32) * 0.1 for _, shape in weight_shapes(describe(arch))]
    for i, (name, _) in enumerate(weight_shapes(describe(arch))):
        if name.endswith("moving_variance"):
            arrays[i] = np.abs(arrays[i]) + 1
    return build_network(arch, arrays)


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("n_images", [1, 7])
def test_the_numpy_pass_allocates_no_more_than_the_computed_bound(name, n_images):
    arch = NETWORKS[name]
    network = _numpy_network(arch)
    network.chunk_size = n_images
    cost = network_cost(arch)
    assert network.working_bytes == cost.working_bytes
    images = np.random.RandomState(1).rand(n_images, *arch["image_shape"], 1).astype(np.float32)
    network.predict(images)  # warm up: first calls may allocate caches
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        network.predict(images)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    per_image = cost.working_bytes - NUMPY_OVERHEAD_BYTES  # the peak layer's arrays
    output = 4 * n_images * arch["n_classes"]
    assert peak <= n_images * per_image + NUMPY_OVERHEAD_BYTES + output, (peak, per_image)
    if per_image > NUMPY_OVERHEAD_BYTES:  # the bound is tight, not loose, where the arrays outweigh NumPy's buffers
        assert peak >= 0.8 * n_images * per_image, (peak, per_image)


def test_the_bound_is_tight_on_the_issues_shape_of_attack():
    arch = NETWORKS["wide 1x1 then a large kernel"]
    network, cost = _numpy_network(arch), network_cost(arch)
    assert cost.peak == "conv2"
    network.chunk_size = 1
    images = np.zeros((1, 12, 12, 1), np.float32)
    tracemalloc.start()
    try:
        network.predict(images)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0.9 * cost.working_bytes <= peak <= cost.working_bytes, (peak, cost.working_bytes)


def test_chunks_hold_32_mib_of_work_at_most():
    for arch in NETWORKS.values():
        network = _numpy_network(arch)
        assert network.chunk_size == min(max((32 << 20) // network.working_bytes, 1), 1024)
    assert _numpy_network(_arch()).chunk_size == 49  # 683,008 bytes per image


@pytest.mark.parametrize("recipe, side", [("FAST_RECIPE", 28), ("TUTORIAL_RECIPE", 28), ("ACCURATE_RECIPE", 28),
                                          ("TUTORIAL_RECIPE", 100), ("ACCURATE_RECIPE", 100)])
def test_every_recipe_is_far_below_the_compute_budgets(recipe, side):
    from skdigits import CNNDigitClassifier, recipes
    from skdigits.network.keras_model import build_cnn
    from skdigits.persistence.weights import check_architecture

    params = CNNDigitClassifier(**getattr(recipes, recipe)).get_params()
    arch = architecture_of(params, (side, side), 10)
    cost = network_cost(arch)
    margin = 15 if side == 28 else 1  # 28x28 digits: at least 15 times below; 100x100 images: still loadable
    assert cost.working_bytes * margin <= limits.MAX_WORKING_BYTES_PER_IMAGE, cost.working_bytes
    assert cost.flops * margin <= limits.MAX_FLOPS_PER_IMAGE, cost.flops
    manifest_like = {**arch, "image_shape": list(arch["image_shape"]), "filters": list(arch["filters"]),
                     "kernel_sizes": list(arch["kernel_sizes"])}
    assert check_architecture(manifest_like, "the recipe")["filters"] == tuple(arch["filters"])  # the loaders' check
    if side == 28:
        assert build_cnn(**arch).count_params() > 0
