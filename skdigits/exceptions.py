"""The errors and warnings that skdigits raises.

Every error that bad input causes (a parameter, an array, a CSV, an image,
a model file, an output path) is a :class:`SkdigitsError`. Each is also a
``ValueError`` or ``TypeError``, so code that catches the built-in types
keeps working. The ``skdigits`` command turns a :class:`SkdigitsError` into
one line and exit status 2. Any other exception is a bug: it keeps its
traceback and exit status 1.

Importing this module imports nothing else (a message's escaping imports
:mod:`skdigits.utils.terminal`, which imports nothing, when it is shown).
"""

__all__ = [
    "SkdigitsError",
    "DataError",
    "DataTypeError",
    "InvalidParameterError",
    "BudgetExceededError",
    "UnsafeModelError",
    "UnsupportedModelError",
    "OutputPathError",
    "TrainingDivergedError",
    "Terminated",
    "ModelVersionWarning",
]


class SkdigitsError(Exception):
    """Base class of the errors that bad input causes; the message says what to fix.

    Its message shows control characters (from a hostile file name or a
    string inside a file) escaped, as :func:`skdigits.utils.terminal.printable`
    does, so printing it to a terminal cannot forge lines or send escape
    sequences. Newlines and tabs that skdigits writes itself stay.
    """

    def __str__(self):
        from skdigits.utils.terminal import printable  # imports nothing; deferred so this module imports nothing

        return printable(super().__str__(), keep="\n\t")


class DataError(SkdigitsError, ValueError):
    """Input data (an array, a CSV, an image file) that skdigits cannot use as it is."""


class DataTypeError(SkdigitsError, TypeError):
    """Input of a type skdigits does not take (for example sparse pixels, or ``X=None``)."""


class InvalidParameterError(SkdigitsError, ValueError, TypeError):
    """An estimator or command parameter of the wrong type, out of range, or not finite.

    Like scikit-learn's own ``InvalidParameterError``, it is both a
    ``ValueError`` and a ``TypeError``.
    """


class BudgetExceededError(DataError):
    """Input larger than a documented budget (see the security page); checked before the work."""


class UnsafeModelError(DataError):
    """A model file that is damaged, foreign or tampered with; nothing in it was run."""


class UnsupportedModelError(DataError):
    """A sound model file that this reader cannot serve (for example a layer the NumPy predictor lacks)."""


class OutputPathError(SkdigitsError, ValueError):
    """An output path that skdigits will not write: a folder that is not writable, or a special file."""


class TrainingDivergedError(SkdigitsError, FloatingPointError):
    """Training stopped because the loss became NaN or infinite (try a lower ``learning_rate``)."""


class Terminated(SystemExit):
    """SIGTERM arrived and the work stopped cleanly; ``code`` is 143 (128 + SIGTERM).

    Training stops at the end of a batch and a save removes its temporary
    file before this is raised. A ``SystemExit``, not an ``Exception``: left
    uncaught it ends the process with status 143, and ``except Exception``
    blocks let it through.

    Parameters
    ----------
    code : int, default=143
        The exit status.
    """

    def __init__(self, code=143):
        super().__init__(code)


class ModelVersionWarning(UserWarning):
    """A model file was written by other versions of skdigits or its libraries."""

