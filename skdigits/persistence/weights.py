"""A network's architecture and its weights as plain named arrays, laid out by skdigits itself.

:func:`plan` is the TensorFlow-free mirror of :func:`skdigits.network.build_cnn`:
from the architecture parameters that ``build_cnn`` takes it lists every
layer in order, with the name and shape of each weight array. The saver
checks a Keras model against it (the names are Keras' variable paths, e.g.
``conv1/kernel``), the reader checks each ``.npy`` header against it before
reading any data, and :mod:`skdigits._numpy_network` computes the forward
pass from it. Weights are stored as one ``.npz`` per network (readable with
``numpy.load(..., allow_pickle=False)``): little-endian float32, C order.
"""

import io
from collections import namedtuple

import numpy as np

from skdigits.exceptions import UnsafeModelError
from skdigits.persistence import budgets
from skdigits.persistence import manifest as mf
from skdigits.persistence.archive import open_archive, zip_errors
from skdigits.utils.constraints import DOWNSAMPLING, PADDINGS, conv_blocks

__all__ = ["Step", "architecture_of", "check_architecture", "plan", "weight_shapes", "parameter_count",
           "to_npz", "read_npz", "check_finite"]

#: One layer of the network: its kind (Keras' class in snake case), name, weights and activation; a
#: convolution's ``options`` are its ``(stride, padding)``.
Step = namedtuple("Step", "kind name weights activation options", defaults=(None,))

DTYPE = np.dtype("<f4")
_BN_VARIABLES = ("gamma", "beta", "moving_mean", "moving_variance")
_ARCHITECTURE = ("image_shape", "n_classes", "filters", "kernel_sizes", "dense_units", "dropout", "batch_norm",
                 "augmentation")
# Fields added later, with the values that files written before them mean.
_OPTIONAL = {"downsample": "max-pool", "padding": "same", "block_dropout": 0.0}
_AUGMENTATION = ("rotation", "zoom", "shift")
# The classifier's parameters that decide its network.
_CLASSIFIER_ARCHITECTURE = ("filters", "kernel_sizes", "dense_units", "dropout", "batch_norm", "augment",
                            "rotation_range", "zoom_range", "shift_range", *_OPTIONAL)
_NPY_HEADER_BYTES = 4096  # numpy writes 64-byte-aligned headers of ~128 bytes for these arrays
_NPZ_OVERHEAD = 4096  # per array: zip headers and the .npy header


def architecture_of(params, image_shape, n_classes):
    """The architecture (``build_cnn``'s parameters but the seed) of a classifier with these parameters.

    Parameters
    ----------
    params : dict
        ``CNNDigitClassifier`` constructor parameters.
    image_shape : tuple of (int, int)
        Its fitted ``image_shape_``.
    n_classes : int
        Its number of classes.

    Returns
    -------
    dict
        JSON values: what ``CNNDigitClassifier._build_keras_model`` passes to ``build_cnn``.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If one of these parameters breaks the classifier's own constraints.
    KeyError
        If ``params`` lacks one of them.
    """
    from skdigits.utils import constraints

    caller = "CNNDigitClassifier"
    params = {**_OPTIONAL, **params}  # files written before these parameters existed
    constraints.validate({name: constraints.CLASSIFIER_CONSTRAINTS[name] for name in _CLASSIFIER_ARCHITECTURE},
                     {name: params[name] for name in _CLASSIFIER_ARCHITECTURE}, caller)
    filters, kernel_sizes = constraints.layer_widths(params["filters"], params["kernel_sizes"], caller)
    augmentation = None
    if params["augment"]:
        augmentation = {"rotation": params["rotation_range"], "zoom": params["zoom_range"],
                        "shift": params["shift_range"]}
    return {"image_shape": [int(s) for s in image_shape], "n_classes": int(n_classes), "filters": list(filters),
            "kernel_sizes": list(kernel_sizes), "dense_units": params["dense_units"], "dropout": params["dropout"],
            "batch_norm": params["batch_norm"], "downsample": params["downsample"], "padding": params["padding"],
            "block_dropout": params["block_dropout"], "augmentation": augmentation}


def check_architecture(arch, where):
    """Type-check an architecture read from a manifest and fit it to the budgets; return it with tuples.

    Raises
    ------
    UnsafeModelError
        A missing, unknown, wrongly typed or out-of-range field.
    BudgetExceededError
        Images, layers, filters, kernels, units, classes or parameters over their budget.
    """
    mf.fields(arch, where, _ARCHITECTURE, tuple(_OPTIONAL))
    arch = {**_OPTIONAL, **arch}
    filters = mf.listed(arch["filters"], f"{where}.filters", limit=budgets.MAX_LAYERS, budget="MAX_LAYERS")
    kernels = mf.listed(arch["kernel_sizes"], f"{where}.kernel_sizes", limit=budgets.MAX_LAYERS,
                        budget="MAX_LAYERS")
    if not filters or len(kernels) != len(filters):
        raise UnsafeModelError(f"{where} has {len(filters)} filters and {len(kernels)} kernel sizes.")
    checked = {
        "image_shape": mf.image_shape(arch["image_shape"], f"{where}.image_shape"),
        "n_classes": mf.counted(arch["n_classes"], f"{where}.n_classes", "MAX_CLASSES"),
        "filters": tuple(mf.counted(f, f"{where}.filters", "MAX_FILTERS") for f in filters),
        "kernel_sizes": tuple(mf.counted(k, f"{where}.kernel_sizes", "MAX_KERNEL_SIZE") for k in kernels),
        "dense_units": mf.counted(arch["dense_units"], f"{where}.dense_units", "MAX_DENSE_UNITS"),
        "dropout": mf.real(arch["dropout"], f"{where}.dropout", low=0, high=1),
        "batch_norm": mf.boolean(arch["batch_norm"], f"{where}.batch_norm"),
        "downsample": mf.choice(arch["downsample"], f"{where}.downsample", DOWNSAMPLING),
        "padding": mf.choice(arch["padding"], f"{where}.padding", PADDINGS),
        "block_dropout": mf.real(arch["block_dropout"], f"{where}.block_dropout", low=0, high=1),
        "augmentation": None,
    }
    if arch["augmentation"] is not None:
        augmentation = mf.fields(arch["augmentation"], f"{where}.augmentation", _AUGMENTATION)
        checked["augmentation"] = {key: mf.real(augmentation[key], f"{where}.augmentation.{key}", low=0, high=360)
                                   for key in _AUGMENTATION}
    budgets.check("MAX_PARAMETERS", parameter_count(plan(checked)), budgets.MAX_PARAMETERS,
                  f"parameters in the network {where}")
    return checked


def _weighted(kind, name, weights, batch_norm, width, options=None):
    """A convolution or the hidden dense layer: with batch norm, linear and bias-free, then BN and ReLU."""
    if not batch_norm:
        return [Step(kind, name, weights, "relu", options)]
    return [Step(kind, name, weights[:1], None, options),
            Step("batch_normalization", f"{name}_bn", tuple((v, (width,)) for v in _BN_VARIABLES), None),
            Step("activation", f"{name}_relu", (), "relu")]


def plan(arch):
    """Every layer that ``build_cnn(**arch)`` creates after its input, in order.

    Parameters
    ----------
    arch : dict
        A checked architecture (see :func:`check_architecture`).

    Returns
    -------
    list of Step
        ``Step.weights`` is a tuple of ``(variable, shape)`` in Keras' order.

    Raises
    ------
    UnsafeModelError
        If ``padding="valid"`` leaves a convolution no pixels of the images.
    """
    (height, width), channels = arch["image_shape"], 1
    strided = arch.get("downsample", "max-pool") == "stride"
    padding, block_dropout = arch.get("padding", "same"), arch.get("block_dropout", 0.0)
    steps = [Step("augment", "augment", (), None)] if arch["augmentation"] is not None else []
    for number, block in enumerate(conv_blocks(arch["filters"]), start=1):
        for i in block:
            f, k = arch["filters"][i], arch["kernel_sizes"][i]
            stride = 2 if strided and i == block[-1] else 1
            options = (stride, "same" if stride > 1 else padding)
            steps += _weighted("conv2d", f"conv{i + 1}", (("kernel", (k, k, channels, f)), ("bias", (f,))),
                               arch["batch_norm"], f, options)
            channels = f
            if options == (1, "valid"):
                height, width = height - k + 1, width - k + 1
                if min(height, width) < 1:
                    raise UnsafeModelError(f"the architecture's unpadded conv{i + 1} ({k}x{k}) has no pixels left "
                                           f"of {arch['image_shape'][0]}x{arch['image_shape'][1]} images.")
        if not strided:
            steps.append(Step("max_pooling2d", f"pool{i + 1}", (), None))
        if block_dropout:
            steps.append(Step("dropout", f"block{number}_dropout", (), None))
        height, width = -(-height // 2), -(-width // 2)
    steps.append(Step("flatten", "flatten", (), None))
    units, n_classes = arch["dense_units"], arch["n_classes"]
    steps += _weighted("dense", "dense", (("kernel", (height * width * channels, units)), ("bias", (units,))),
                       arch["batch_norm"], units)
    steps.append(Step("dropout", "dropout", (), None))
    steps.append(Step("dense", "probabilities", (("kernel", (units, n_classes)), ("bias", (n_classes,))), "softmax"))
    return steps


def weight_shapes(steps):
    """``[(name, shape)]`` of all weight arrays, named ``layer/variable`` as Keras' variable paths."""
    return [(f"{step.name}/{variable}", shape) for step in steps for variable, shape in step.weights]


def parameter_count(steps):
    """The number of float32 parameters (Python ints: no overflow)."""
    return sum(int(np.prod(shape, dtype=object)) for _, shape in weight_shapes(steps))


def npz_limit(steps):
    """The most bytes a network's ``.npz`` may declare: its data plus headers."""
    return 4 * parameter_count(steps) + _NPZ_OVERHEAD * (len(weight_shapes(steps)) + 1)


def to_npz(named_arrays):
    """The bytes of an uncompressed ``.npz`` of ``[(name, array)]``, each as little-endian float32."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.ascontiguousarray(array, dtype=DTYPE) for name, array in named_arrays})
    return buffer.getvalue()


def _read_npy(member, name, shape, where):
    """One ``.npy`` member: its header is checked against ``shape`` before the data is allocated and read."""
    try:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"format version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        found, fortran, dtype = read_header(member, max_header_size=_NPY_HEADER_BYTES)
    except ValueError as exc:
        raise UnsafeModelError(f"the array {name!r} of {where} has a damaged .npy header ({exc}).") from None
    if dtype != DTYPE or fortran or found != shape:
        raise UnsafeModelError(f"the array {name!r} of {where} is {dtype}{list(found)} "
                               f"{'in Fortran order ' if fortran else ''}where the architecture needs "
                               f"float32{list(shape)}.")
    array = np.empty(shape, dtype=DTYPE)
    if member.readinto(memoryview(array).cast("B")) != array.nbytes or member.read(1):
        raise UnsafeModelError(f"the array {name!r} of {where} does not hold exactly {array.nbytes:,} bytes.")
    check_finite(array, name, where)
    return array


def check_finite(array, name, where):
    """Refuse a weight array holding NaN or an infinity: such a network predicts one class for every image.

    Raises
    ------
    UnsafeModelError
        Naming the array and how many of its values are not finite.
    """
    finite = np.isfinite(array)
    if not finite.all():
        raise UnsafeModelError(f"the array {name!r} of {where} holds {int(finite.size - finite.sum()):,} NaN or "
                               "infinite weights; the file is damaged or was tampered with.")


def read_npz(data, steps, where):
    """Read a network's ``.npz`` bytes into its weight arrays in ``build_cnn``'s order, checking every header first.

    Raises
    ------
    UnsafeModelError
        Missing, extra or duplicated arrays; a header that is not the
        architecture's float32 shape; data of the wrong length; NaN or
        infinite weights.
    BudgetExceededError
        As :func:`~skdigits.persistence.archive.open_archive`.
    """
    expected = weight_shapes(steps)
    members = {f"{name}.npy": (name, shape) for name, shape in expected}
    with open_archive(io.BytesIO(data), where, allowed=lambda names: set(names) - set(members)) as archive:
        missing = sorted(set(members) - set(archive.namelist()))
        if missing:
            raise UnsafeModelError(f"{where} lacks the arrays {missing[:10]} that its architecture needs.")
        arrays = []
        for member, (name, shape) in members.items():
            info = archive.getinfo(member)
            if info.file_size > 4 * int(np.prod(shape)) + _NPY_HEADER_BYTES + 16:
                raise UnsafeModelError(f"the array {name!r} of {where} declares {info.file_size:,} bytes, more "
                                       f"than a float32{list(shape)} array.")
            with zip_errors(f"the array {name!r} of {where}"), archive.open(info) as stream:
                arrays.append(_read_npy(stream, name, shape, where))
    return arrays
