"""A network's weights as plain named arrays, laid out by its description.

The layout is :func:`skdigits.network.architecture.describe`'s: every
weight array in the layers' order, named by Keras' variable path (e.g.
``conv1/kernel``). The saver checks a Keras model against it, the reader
checks each ``.npy`` header against it before reading any data. Weights are
stored as one ``.npz`` per network (readable with ``numpy.load(...,
allow_pickle=False)``): little-endian float32, C order.
"""

import io

import numpy as np

from skdigits.exceptions import InvalidParameterError, UnsafeModelError
from skdigits.network.architecture import describe, parameter_count, weight_shapes
from skdigits.network.cost import check_cost, network_cost
from skdigits.persistence import budgets
from skdigits.persistence import manifest as mf
from skdigits.persistence.archive import open_archive, zip_errors
from skdigits.utils.constraints import DOWNSAMPLING, PADDINGS

__all__ = ["check_architecture", "to_npz", "read_npz", "check_finite", "npz_limit"]

DTYPE = np.dtype("<f4")
_ARCHITECTURE = ("image_shape", "n_classes", "filters", "kernel_sizes", "dense_units", "dropout", "batch_norm",
                 "downsample", "padding", "block_dropout", "augmentation")
_AUGMENTATION = ("rotation", "zoom", "shift")
_NPY_HEADER_BYTES = 4096  # numpy writes 64-byte-aligned headers of ~128 bytes for these arrays
_NPZ_OVERHEAD = 4096  # per array: zip headers and the .npy header


def check_architecture(arch, where):
    """Type-check an architecture read from a manifest and fit it to the budgets; return it with tuples.

    Raises
    ------
    UnsafeModelError
        A missing, unknown, wrongly typed or out-of-range field.
    BudgetExceededError
        Images, layers, filters, kernels, units, classes or parameters over
        their budget, or a forward pass that would need more working memory
        or arithmetic per image than ``MAX_WORKING_BYTES_PER_IMAGE`` or
        ``MAX_FLOPS_PER_IMAGE`` (:mod:`skdigits.network.cost`): all checked
        from the manifest, before any weight is read.
    """
    mf.fields(arch, where, _ARCHITECTURE)
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
    try:
        layers = describe(checked)
    except InvalidParameterError as exc:
        raise UnsafeModelError(f"{where}: {exc}") from None
    budgets.check("MAX_PARAMETERS", parameter_count(layers), budgets.MAX_PARAMETERS,
                  f"parameters in the network {where}")
    check_cost(network_cost(checked, layers), f"the network {where}",
               max_working_bytes=budgets.MAX_WORKING_BYTES_PER_IMAGE, max_flops=budgets.MAX_FLOPS_PER_IMAGE,
               home="skdigits.persistence.budgets")
    return checked


def npz_limit(layers):
    """The most bytes a network's ``.npz`` may declare: its data plus headers."""
    return 4 * parameter_count(layers) + _NPZ_OVERHEAD * (len(weight_shapes(layers)) + 1)


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


def read_npz(data, layers, where):
    """Read a network's ``.npz`` bytes into its weight arrays in the description's order, checking headers first.

    Raises
    ------
    UnsafeModelError
        Missing, extra or duplicated arrays; a header that is not the
        architecture's float32 shape; data of the wrong length; NaN or
        infinite weights.
    BudgetExceededError
        As :func:`~skdigits.persistence.archive.open_archive`.
    """
    expected = weight_shapes(layers)
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
