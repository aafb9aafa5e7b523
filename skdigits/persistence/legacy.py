"""Format 1 networks (a Keras ``.keras`` file per network), read for one more release without Keras' loader.

A format-1 network is read from its ``model.weights.h5`` alone, by the
same architecture :func:`skdigits.persistence.weights.plan` computes from
the classifier's saved parameters: ``config.json`` is never parsed. The
HDF5 file is walked before anything is read, and refused
(:class:`~skdigits.exceptions.UnsafeModelError`) if it holds a soft or
external link, a virtual dataset, a dataset with external storage, chunks
or filters, or any dataset whose dtype or shape is not the architecture's.
Only then are the datasets read, each into an array of the checked shape,
and refused if it holds NaN or an infinity (as a dataset never written
does when its fill value is NaN).
h5py is imported only here.
"""

import io

import numpy as np

from skdigits.exceptions import SkdigitsError, UnsafeModelError, UnsupportedModelError
from skdigits.persistence import budgets
from skdigits.persistence.archive import open_archive, read_member, zip_errors
from skdigits.persistence.weights import DTYPE, check_finite, parameter_count

__all__ = ["read_keras_network"]

_KERAS_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
_H5_OVERHEAD = 1 << 20  # HDF5's own headers, well above Keras' ~2 KB per layer


def _datasets(steps):
    """``{HDF5 path: shape}`` as Keras writes ``model.weights.h5``: ``layers/<class>[_<k>]/vars/<i>``."""
    used, expected = {}, {}
    for step in steps:
        if not step.weights:
            continue
        k = used[step.kind] = used.get(step.kind, -1) + 1
        group = f"layers/{step.kind}_{k}" if k else f"layers/{step.kind}"
        for i, (_, shape) in enumerate(step.weights):
            expected[f"{group}/vars/{i}"] = shape
    return expected


def _check_dataset(h5py, dataset, path, expected, where):
    if path not in expected:
        raise UnsafeModelError(f"{where} holds the dataset {path!r}, which its architecture does not have.")
    if dataset.is_virtual:
        raise UnsafeModelError(f"{where}: the dataset {path!r} is virtual (it maps other files).")
    plist = dataset.id.get_create_plist()
    if plist.get_external_count():
        raise UnsafeModelError(f"{where}: the dataset {path!r} has external storage (it would read another file).")
    if dataset.chunks is not None or plist.get_nfilters():
        raise UnsafeModelError(f"{where}: the dataset {path!r} is chunked or filtered; Keras writes neither.")
    if dataset.dtype != DTYPE or dataset.shape != expected[path]:
        raise UnsafeModelError(f"{where}: the dataset {path!r} is {dataset.dtype}{list(dataset.shape)} where the "
                               f"architecture needs float32{list(expected[path])}.")


def _walk(h5py, root, expected, where):
    """Check every link and object in the file before any data is read; return the datasets by path."""
    found, stack, seen = {}, [("", root)], 0
    while stack:
        prefix, group = stack.pop()
        for name in group:
            seen += 1
            budgets.check("MAX_HDF5_OBJECTS", seen, budgets.MAX_HDF5_OBJECTS, f"objects in {where}")
            path = f"{prefix}{name}"
            link = group.get(name, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise UnsafeModelError(f"{where}: {path!r} is a {type(link).__name__}; skdigits never follows "
                                       "soft or external links.")
            node = group[name]
            if isinstance(node, h5py.Group):
                stack.append((f"{path}/", node))
            elif isinstance(node, h5py.Dataset):
                _check_dataset(h5py, node, path, expected, where)
                found[path] = node
            else:
                raise UnsafeModelError(f"{where}: {path!r} is a {type(node).__name__}, not a group or a dataset.")
    missing = sorted(set(expected) - set(found))
    if missing:
        raise UnsafeModelError(f"{where} lacks the weights {missing[:5]} that its architecture needs.")
    return found


def read_keras_network(data, steps, where):
    """Read a format-1 network (the bytes of a ``.keras`` file) into its weight arrays in ``build_cnn``'s order.

    Raises
    ------
    UnsafeModelError
        As the module says; or a ``.keras`` archive with other members, or an HDF5 file h5py cannot open.
    BudgetExceededError
        A weights file larger than the architecture's weights allow, or too many HDF5 objects.
    """
    try:
        import h5py
    except ImportError:  # h5py comes with Keras; format 2 does not need it
        raise UnsupportedModelError(f"{where} is in format 1 (Keras .keras), which needs h5py to read: "
                                    "pip install h5py, then save the model again with skdigits.save_model.") from None

    with open_archive(io.BytesIO(data), where, allowed=lambda names: set(names) - _KERAS_MEMBERS) as archive:
        limit = 4 * parameter_count(steps) + _H5_OVERHEAD
        with zip_errors(where):
            weights = read_member(archive, "model.weights.h5", where, limit=limit)
    expected = _datasets(steps)
    try:
        with h5py.File(io.BytesIO(weights), "r") as file:
            datasets = _walk(h5py, file, expected, where)
            arrays = []
            for path in expected:
                array = np.empty(expected[path], dtype=DTYPE)
                datasets[path].read_direct(array)  # a dataset never written reads as its fill value
                check_finite(array, path, where)
                arrays.append(array)
    except (OSError, KeyError, RuntimeError, ValueError) as exc:  # what h5py raises on a damaged file
        if isinstance(exc, SkdigitsError):
            raise
        raise UnsafeModelError(f"{where}: its HDF5 weights are damaged ({type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:200]}).") from None
    return arrays
