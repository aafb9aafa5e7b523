"""What a network costs per image, from its architecture alone: output shapes, working memory, arithmetic.

A model file of a few kilobytes can describe a network whose forward pass
needs gigabytes (a wide 1x1 convolution, then a large kernel over its
channels): the weight budgets bound the file, not the work. This module
computes the work from :func:`skdigits.network.architecture.describe`, with
no weights and no TensorFlow, so that it can be checked before anything is
allocated: by :func:`skdigits.network.keras_model.build_cnn`, by both
loaders (:func:`skdigits.persistence.weights.check_architecture`), and by
:func:`skdigits.network.numpy_model.build_network`, which also sizes its
chunks of images by it.

The working memory is that of the NumPy forward pass
(:mod:`skdigits.network.numpy_model`, whose ``LAYER_COSTS`` count each kind
of layer array by array beside the code that makes those arrays): for each
layer, the bytes alive at its peak (its input, the copies it makes, its
output), and the network's is the largest over its layers. It is
an upper bound on what that pass allocates per image (tests/network checks it
with tracemalloc); the weights and the caller's input and output arrays are
not included. Keras' own kernels use no more per image.

Imports NumPy only.
"""

from collections import namedtuple

from skdigits.exceptions import BudgetExceededError
from skdigits.network.architecture import describe
from skdigits.network.numpy_model import BYTES_PER_VALUE, LAYER_COSTS, NUMPY_OVERHEAD_BYTES
from skdigits.utils import limits

__all__ = ["LayerCost", "NetworkCost", "layer_costs", "network_cost", "check_cost"]

#: One layer's cost for one image: its ``kind`` and ``name`` (as in
#: :class:`~skdigits.network.architecture.Layer`), its ``output_shape`` (a
#: tuple, without the batch axis), ``working_bytes`` (the bytes alive at the
#: layer's peak in the NumPy forward pass) and ``flops`` (floating-point
#: operations: 2 per multiply-add, 1 per elementwise operation or comparison).
LayerCost = namedtuple("LayerCost", "kind name output_shape working_bytes flops")

#: A network's cost for one image: ``layers`` (its :data:`LayerCost` list),
#: ``working_bytes`` (the largest of theirs, plus :data:`NUMPY_OVERHEAD_BYTES`),
#: ``peak`` (the name of the layer where it is reached) and ``flops`` (the sum of theirs).
NetworkCost = namedtuple("NetworkCost", "layers working_bytes peak flops")


def layer_costs(arch, layers=None):
    """The cost of each layer of the network ``arch`` describes, for one image.

    Parameters
    ----------
    arch : dict
        A checked architecture (see :mod:`skdigits.network.architecture`).
    layers : list of Layer or None, default=None
        ``describe(arch)``, if the caller has it already.

    Returns
    -------
    list of LayerCost
        In the layers' order.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        As :func:`~skdigits.network.architecture.describe`.
    """
    shape = (*(int(side) for side in arch["image_shape"]), 1)
    costs = []
    for layer in describe(arch) if layers is None else layers:
        shape, alive, flops = LAYER_COSTS[layer.kind](layer, shape)
        costs.append(LayerCost(layer.kind, layer.name, tuple(shape), BYTES_PER_VALUE * alive, flops))
    return costs


def network_cost(arch, layers=None):
    """The peak working memory and the arithmetic of the network ``arch`` describes, for one image.

    Parameters
    ----------
    arch : dict
        A checked architecture.
    layers : list of Layer or None, default=None
        ``describe(arch)``, if the caller has it already.

    Returns
    -------
    NetworkCost
        ``working_bytes`` bounds what the NumPy forward pass allocates for
        one image (for a chunk of ``n``, ``n`` times the peak layer's
        ``working_bytes`` plus :data:`NUMPY_OVERHEAD_BYTES`); ``flops``
        counts its floating-point operations.

    Examples
    --------
    >>> from skdigits.network.cost import network_cost
    >>> arch = {"image_shape": (28, 28), "n_classes": 10, "filters": (32, 64, 64), "kernel_sizes": (5, 3, 3),
    ...         "dense_units": 256, "dropout": 0.5, "batch_norm": False, "downsample": "max-pool",
    ...         "padding": "same", "block_dropout": 0.0, "augmentation": None}
    >>> cost = network_cost(arch)  # the Kaggle tutorial's network
    >>> cost.peak, f"{cost.working_bytes:,} bytes", f"{cost.flops:,} FLOPs"
    ('conv3', '683,008 bytes', '24,670,332 FLOPs')
    """
    costs = layer_costs(arch, layers)
    peak = max(costs, key=lambda cost: cost.working_bytes)
    return NetworkCost(costs, peak.working_bytes + NUMPY_OVERHEAD_BYTES, peak.name, sum(cost.flops for cost in costs))


def check_cost(cost, what, *, max_working_bytes=None, max_flops=None, home="skdigits.utils.limits"):
    """Raise :class:`~skdigits.exceptions.BudgetExceededError` if a network costs more than its budgets.

    Parameters
    ----------
    cost : NetworkCost
        As :func:`network_cost` returns.
    what : str
        The network, for the message (``"build_cnn: the network for 28x28
        images with filters=(32, 64)"``).
    max_working_bytes, max_flops : int or None, default=None
        The budgets; None reads :data:`skdigits.utils.limits.MAX_WORKING_BYTES_PER_IMAGE`
        and :data:`skdigits.utils.limits.MAX_FLOPS_PER_IMAGE` now.
    home : str, default="skdigits.utils.limits"
        The module whose constants the caller checks against, for the message.

    Raises
    ------
    skdigits.exceptions.BudgetExceededError
        Naming the budget, the network, its cost and the layer that costs most.
    """
    max_working_bytes = limits.MAX_WORKING_BYTES_PER_IMAGE if max_working_bytes is None else max_working_bytes
    max_flops = limits.MAX_FLOPS_PER_IMAGE if max_flops is None else max_flops
    if cost.working_bytes > max_working_bytes:
        raise BudgetExceededError(
            f"{what} would need {cost.working_bytes:,} bytes of working memory per image (at its layer "
            f"{cost.peak}), over the budget MAX_WORKING_BYTES_PER_IMAGE={max_working_bytes:,} ({home}). "
            "Use fewer filters, smaller kernels or smaller images.")
    if cost.flops > max_flops:
        costliest = max(cost.layers, key=lambda layer: layer.flops)
        raise BudgetExceededError(
            f"{what} would need {cost.flops:,} floating-point operations per image ({costliest.flops:,} at its "
            f"layer {costliest.name}), over the budget MAX_FLOPS_PER_IMAGE={max_flops:,} ({home}). "
            "Use fewer filters, smaller kernels or smaller images.")
