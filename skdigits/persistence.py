"""Save and load fitted models with joblib, atomically and with clear errors.

.. warning::
   joblib (like pickle) runs code while it loads a file. Only load model
   files you made yourself or got from someone you trust.

joblib and numpy only: importing this module does not import TensorFlow
(loading a model does, since the model holds a Keras network).
"""

import os

from skdigits._atomic import atomic_save

__all__ = ["save_model", "load_model"]

# How a joblib file can start: a pickle (protocol 2+) or one of joblib's compressors.
_PICKLE_MAGIC = b"\x80"
_COMPRESSED_MAGICS = {
    b"\x78": "zlib",
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ": "xz",
    b"\x5d\x00\x00": "lzma",
    b"\x04\x22\x4d\x18": "lz4",
}


def save_model(estimator, path, *, compress=0):
    """Save a fitted estimator (e.g. a digit pipeline) to ``path`` with joblib.

    The file is written to a temporary file in the same folder and moved
    into place only when complete, so a failure or Ctrl-C never leaves a
    truncated file and never damages an existing one.

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
    load_model : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from skdigits.persistence import load_model, save_model
    >>> path = os.path.join(tempfile.mkdtemp(), "model.joblib")
    >>> _ = save_model(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_model(path).predict([[0]]).shape
    (1,)
    """
    import joblib
    from pathlib import Path

    if not callable(getattr(estimator, "predict", None)):
        raise TypeError(
            f"save_model() saves estimators with a predict method; got {type(estimator).__name__}."
        )
    atomic_save(path, lambda temp: joblib.dump(estimator, temp, compress=compress))
    return Path(path)


def _check_model_file(path):
    """Raise a clear error when ``path`` cannot be a joblib model file."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such model file. Train one first, e.g. with 'skdigits train'.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path} is a directory; pass the model file inside it, e.g. model.joblib.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path}: the model file is empty (was saving it interrupted?); train the model again.")
    with open(path, "rb") as f:
        start = f.read(512)
    if start.startswith(_PICKLE_MAGIC) or any(start.startswith(m) for m in _COMPRESSED_MAGICS):
        return
    if start.startswith(b"PK\x03\x04"):
        what = "a zip archive (a Keras .keras file?)"
    elif start.lstrip().lower().startswith((b"label", b"pixel", b"imageid")):
        what = "a CSV data file"
    elif b"\0" not in start:
        what = "a text file"
    else:
        what = "some other binary file"
    raise ValueError(f"{path}: this is {what}, not a model saved by skdigits (a joblib file).")


def load_model(path):
    """Load a model saved by :func:`save_model` (or by :func:`joblib.dump`).

    .. warning::
       Loading runs code stored in the file. Only load files you trust.

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
    save_model : Write a model file atomically.

    Examples
    --------
    >>> from skdigits.persistence import load_model
    >>> model = load_model("model.joblib")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    import joblib

    path = os.fspath(path)
    _check_model_file(path)
    try:
        model = joblib.load(path)
    except (EOFError, MemoryError) as exc:
        raise ValueError(f"{path}: the model file is truncated or corrupt ({type(exc).__name__}); "
                         "train the model again.") from exc
    except ModuleNotFoundError as exc:
        raise ValueError(f"{path}: loading the model needs the module {exc.name!r}, which is not installed "
                         "(was it saved by other software or another version?).") from exc
    except Exception as exc:  # unpickling can fail in many ways; all mean "unusable file"
        detail = " ".join(str(exc).split())[:200]
        raise ValueError(f"{path}: the model file is truncated, corrupt or not a skdigits model "
                         f"({type(exc).__name__}: {detail}).") from exc
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"{path}: the file holds a {type(model).__name__}, not a model with a predict method.")
    return model
