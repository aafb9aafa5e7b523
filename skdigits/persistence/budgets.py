"""The budgets of the safe format: how large a model file may be before any work is done.

Every limit is checked before the work it bounds (before a member is
inflated, an array allocated or a network built) and raises
:class:`skdigits.exceptions.BudgetExceededError` naming the budget, the
value found and this module's constant. The defaults are far above any
digit CNN that skdigits trains (the default network's file is ~3.3 MB, a
5-network ensemble of the Kaggle tutorial's ~17 MB) and far below what
would exhaust a small machine: loading a file within all budgets stays
under about 1 GB of memory. They are read when a file is loaded, so a
program that must load larger files can raise one for its own process
(``skdigits.persistence.budgets.MAX_PARAMETERS = ...``). docs/security.rst
lists them.
"""

from skdigits.exceptions import BudgetExceededError
from skdigits.utils.limits import (  # what a network may be: shared with the parameters' constraints
    MAX_CLASSES,
    MAX_DENSE_UNITS,
    MAX_ENSEMBLE_MEMBERS,
    MAX_FILTERS,
    MAX_FLOPS_PER_IMAGE,
    MAX_IMAGE_SIDE,
    MAX_KERNEL_SIZE,
    MAX_LAYERS,
    MAX_WORKING_BYTES_PER_IMAGE,
)

__all__ = [
    "MAX_FILE_BYTES", "MAX_ARCHIVE_BYTES", "MAX_MEMBERS", "MAX_CENTRAL_DIRECTORY_BYTES", "MAX_MANIFEST_BYTES",
    "MAX_JSON_DEPTH", "MAX_ENSEMBLE_MEMBERS", "MAX_NETWORKS", "MAX_PARAMETERS", "MAX_IMAGE_SIDE", "MAX_CLASSES",
    "MAX_LAYERS", "MAX_FILTERS", "MAX_KERNEL_SIZE", "MAX_DENSE_UNITS", "MAX_STRING_CHARS",
    "MAX_WORKING_BYTES_PER_IMAGE", "MAX_FLOPS_PER_IMAGE", "check",
]

#: Size of the model file on disk, checked with ``os.stat`` before it is opened.
MAX_FILE_BYTES = 256 << 20
#: Sum over all members of an archive (the file, or a network's ``.npz`` in it) of their declared
#: uncompressed sizes, checked before any member is inflated. zipfile never inflates past a declared size.
MAX_ARCHIVE_BYTES = 256 << 20
#: Members of one archive (the manifest plus one per network).
MAX_MEMBERS = 256
#: Size of an archive's central directory, checked before zipfile parses it.
MAX_CENTRAL_DIRECTORY_BYTES = 1 << 20
#: Uncompressed size of ``manifest.json``.
MAX_MANIFEST_BYTES = 4 << 20
#: Nesting depth of ``[`` and ``{`` in the manifest, counted before it is parsed.
MAX_JSON_DEPTH = 32
#: Networks in one file (ensemble members, pipelines' classifiers), each read and built once.
MAX_NETWORKS = 64
#: float32 parameters of all networks in a file together (256 MiB of weights).
MAX_PARAMETERS = 64 << 20
#: Characters of one string in the manifest (a label, a feature name, a parameter).
MAX_STRING_CHARS = 1024


def check(name, value, limit, what):
    """Raise :class:`BudgetExceededError` unless ``value <= limit``.

    Parameters
    ----------
    name : str
        The budget's constant in this module, e.g. ``"MAX_MEMBERS"``.
    value : int
        What the input holds or asks for.
    limit : int
        The budget.
    what : str
        What was counted, e.g. ``"the archive holds 300 members"`` is
        written as ``what="members in the archive"``.
    """
    if value > limit:
        raise BudgetExceededError(
            f"{value:,} {what} is over the budget {name}={limit:,} (skdigits.persistence.budgets); "
            "a model saved by skdigits stays far below it."
        )
