"""joblib files: any estimator, pickled. Loading one runs code from it, so only load files you trust."""

import os

from skdigits.exceptions import DataError, DataTypeError
from skdigits.persistence.files import ZIP_MAGIC, describe_start, is_joblib, open_model_file
from skdigits.utils.atomic import atomic_save

__all__ = ["save_joblib", "load_joblib"]


def save_joblib(estimator, path, *, compress=0):
    """Save any fitted estimator (e.g. a digit pipeline) to ``path`` with joblib.

    .. warning::
       A joblib file runs code when it is loaded. Share models with
       :func:`save_model` instead.

    Parameters
    ----------
    estimator : estimator object
        The model to save, typically a fitted pipeline from
        :func:`skdigits.make_digit_pipeline`.
    path : str or os.PathLike
        The file to write, e.g. ``"model.joblib"``; replaced if it exists.
        Its folder must exist.
    compress : int or bool, default=0
        Passed to :func:`joblib.dump`; 0 writes an uncompressed file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``predict`` method.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.

    See Also
    --------
    load_joblib : Read the file back.
    save_model : The safe format.

    Notes
    -----
    A :class:`CNNDigitClassifier` pickles its network with its weights but
    without its optimizer's state (RMSprop's running averages would double
    the file), here as in :func:`joblib.dump` or :func:`pickle.dumps`. A
    loaded classifier predicts exactly as the saved one, and ``partial_fit``
    trains on from its weights with a fresh optimizer made from its
    parameters.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from skdigits.persistence import load_joblib, save_joblib
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> _ = save_joblib(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_joblib(path).predict([[0]]).shape
    (1,)
    """
    from pathlib import Path

    import joblib

    if not callable(getattr(estimator, "predict", None)):
        raise DataTypeError(
            f"save_joblib() saves estimators with a predict method; got {type(estimator).__name__}."
        )
    atomic_save(path, lambda temp: joblib.dump(estimator, temp, compress=compress))
    return Path(path)


def load_joblib(path):
    """Load a model saved by :func:`save_joblib` (or by :func:`joblib.dump`).

    .. warning::
       Loading runs code stored in the file. Only load files you trust;
       :func:`load_model` reads the safe format, which runs none.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    estimator object
        The saved model, ready to ``predict``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is empty, truncated, corrupt, not a joblib file (say, a
        CSV file), or needs a module that is not installed. The message
        names the file and the problem.
    TypeError
        If the file holds an object that is not a model (no ``predict``).

    See Also
    --------
    save_joblib : Write a joblib file atomically.

    Examples
    --------
    >>> from skdigits.persistence import load_joblib
    >>> model = load_joblib("model.joblib")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    import joblib

    path = os.fspath(path)
    with open_model_file(path, budget=False) as (file, start):
        if not is_joblib(start):
            hint = "; load it with skdigits.load_model" if start.startswith(ZIP_MAGIC) else ""
            raise DataError(f"{path}: this is {describe_start(start)}, not a joblib model file{hint}.")
        model = _unpickle(joblib, file, path)
    if not callable(getattr(model, "predict", None)):
        raise DataTypeError(f"{path}: the file holds a {type(model).__name__}, not a model with a predict method.")
    return model


def _unpickle(joblib, file, path):
    try:
        return joblib.load(file)
    except (EOFError, MemoryError) as exc:
        raise DataError(f"{path}: the model file is truncated or corrupt ({type(exc).__name__}); "
                        "train the model again.") from exc
    except ModuleNotFoundError as exc:
        raise DataError(f"{path}: loading the model needs the module {exc.name!r}, which is not installed "
                        "(was it saved by other software or another version?).") from exc
    except Exception as exc:  # unpickling can fail in many ways; all mean "unusable file"
        detail = " ".join(str(exc).split())[:200]
        raise DataError(f"{path}: the model file is truncated, corrupt or not a skdigits model "
                        f"({type(exc).__name__}: {detail}).") from exc
