"""Save and load models: a safe format that runs no code, and joblib.

Two formats, both written atomically (to a temporary file in the same folder,
then renamed), so a failure or Ctrl-C never leaves a half-written file and
never damages an existing one:

* :func:`save_model` / :func:`load_model`: skdigits' **safe format**, one zip
  file (``.skdigits`` by convention) of a JSON manifest and one ``.npz`` of
  plain float32 arrays per network, laid out by skdigits itself
  (:mod:`~skdigits.persistence.weights`). No pickle anywhere, and the reader
  parses nothing it does not own: loading a file from a stranger cannot run
  code, read other files or exhaust memory (:mod:`~skdigits.persistence.budgets`).
  It holds :class:`DigitImageTransformer`, :class:`CNNDigitClassifier`,
  :class:`CNNEnsembleClassifier`, and Pipelines of them.
* :func:`save_joblib` / :func:`load_joblib`: joblib (pickle), for any
  estimator, including pipelines with other scikit-learn steps.

.. warning::
   joblib (like pickle) runs code while it loads a file. Only load joblib
   files you made yourself or got from someone you trust; share models in
   the safe format.

Importing this package does not import TensorFlow; saving or loading a
network does (:func:`skdigits.load_predictor` loads without it).
"""

from skdigits.exceptions import ModelVersionWarning
from skdigits.persistence.joblib_files import load_joblib, save_joblib

__all__ = ["save_model", "load_model", "save_joblib", "load_joblib", "ModelVersionWarning"]


def save_model(estimator, path):
    """Save an estimator in skdigits' safe format: JSON and plain float32 arrays, no pickle.

    Parameters
    ----------
    estimator : DigitImageTransformer, CNNDigitClassifier, CNNEnsembleClassifier or Pipeline
        Fitted or not. A Pipeline may hold only those kinds of step (as
        :func:`skdigits.make_digit_pipeline` builds it); an ensemble's
        members may be classifiers or such Pipelines.
    path : str or os.PathLike
        The file to write, by convention ending in ``.skdigits``; replaced
        if it exists. Its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``estimator`` (or a step) is of another class, its network is not
        the one ``build_cnn`` makes for its parameters, or a parameter or
        label cannot be written as JSON (save it with :func:`save_joblib`).
    skdigits.exceptions.BudgetExceededError
        If a network is larger than :mod:`skdigits.persistence.budgets`
        allows a file to hold (the file could not be loaded).

    Warns
    -----
    UserWarning
        When ``callbacks`` or a ``RandomState`` are dropped: they are code or
        state, not values; the loaded model has ``None`` in their place.

    See Also
    --------
    load_model : Read the file back, running no code from it.
    save_joblib : The joblib format, for any estimator.

    Notes
    -----
    The file is format version 2: ``manifest.json`` (the estimators, their
    parameters and fitted attributes, and each network's architecture, the
    parameters of :func:`skdigits.network.keras_model.build_cnn`) and one ``.npz`` of
    float32 arrays per network, named as Keras names the weights
    (``conv1/kernel``, ...). A network is saved with its weights but without its optimizer's state
    (RMSprop's running averages would double the file). A loaded classifier
    predicts exactly as the saved one, and ``partial_fit`` trains on from its
    weights with a fresh optimizer made from its parameters.

    Examples
    --------
    >>> import os, tempfile
    >>> from skdigits import DigitImageTransformer, load_model, save_model
    >>> path = os.path.join(tempfile.mkdtemp(), "images.skdigits")
    >>> _ = save_model(DigitImageTransformer(scale=16.0), path)
    >>> load_model(path)
    DigitImageTransformer(scale=16.0)
    """
    from pathlib import Path

    from skdigits.persistence.writer import save_safe

    save_safe(estimator, path)
    return Path(path)


def load_model(path):
    """Load a model saved by :func:`save_model`, running no code from the file.

    The file is checked before anything is built: a regular file, an
    archive and a manifest within the budgets of
    :mod:`skdigits.persistence.budgets`; only the classes
    :class:`DigitImageTransformer`, :class:`CNNDigitClassifier`,
    :class:`CNNEnsembleClassifier` and ``Pipeline``, only their own
    parameters, each of a JSON type and finite; each network's arrays of
    exactly the shapes its architecture needs, checked before they are
    read. Each network is rebuilt by :func:`skdigits.network.keras_model.build_cnn`
    and given those weights. See :doc:`/security`.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.skdigits`` file.

    Returns
    -------
    estimator object
        The saved estimator, ready to ``predict`` (or to ``fit``, if it was
        saved unfitted).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    skdigits.exceptions.UnsafeModelError
        (a ValueError) If the file is a FIFO, a device or a socket, empty,
        truncated, a joblib/pickle file (load that with :func:`load_joblib`
        if you trust it), or anything else than a model in the safe format,
        or if it was tampered with. The message names the file and the
        problem; nothing from the file was run.
    skdigits.exceptions.BudgetExceededError
        (a ValueError) If the file is larger than a budget allows; the
        message names the budget.

    Warns
    -----
    skdigits.exceptions.ModelVersionWarning
        When the file was written with another major or minor version of
        skdigits, Keras, TensorFlow, scikit-learn or NumPy.

    See Also
    --------
    save_model : Write such a file.
    load_joblib : Load a joblib file (runs code from it).

    Examples
    --------
    >>> from skdigits import load_model
    >>> model = load_model("model.skdigits")  # doctest: +SKIP
    >>> model.predict(X_test)  # doctest: +SKIP
    """
    from skdigits.persistence.reader import ESTIMATORS, load_safe

    return load_safe(path, ESTIMATORS)
