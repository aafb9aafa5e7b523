"""Reading what the options name: labelled and unlabelled CSV files, the embedded sample, saved models."""

import os

from skdigits.exceptions import DataError

__all__ = ["SAMPLE", "load_labelled", "load_unlabelled", "load_model_for_prediction", "pixels_for",
           "require_digit_classes"]

SAMPLE = "the embedded sample of 5,000 MNIST digits"


def load_labelled(path, option):
    """Load labelled digits from a CSV file, or the embedded sample when ``path`` is None.

    Parameters
    ----------
    path : str or None
        A Kaggle train.csv-style file.
    option : str
        The option that named the file, for the error message.

    Returns
    -------
    X : pandas.DataFrame of shape (n, 784)
        Pixel values 0-255.
    y : pandas.Series of shape (n,)
        Digit labels.
    source : str
        ``path``, or a description of the sample.

    Raises
    ------
    skdigits.exceptions.DataError
        If the file is not a valid Digit Recognizer CSV or has no labels.
    """
    from skdigits.datasets.digit_recognizer import load_digit_recognizer, load_sample

    if path is None:
        X, y = load_sample()
        return X, y, SAMPLE
    loaded = load_digit_recognizer(path)
    if not isinstance(loaded, tuple):
        raise DataError(f"{path}: has no 'label' column; {option} needs labelled digits like Kaggle's train.csv.")
    return (*loaded, path)


def load_unlabelled(path):
    """Load the pixels of a CSV file, ignoring its labels if it has any.

    Parameters
    ----------
    path : str
        A Kaggle test.csv- or train.csv-style file.

    Returns
    -------
    pandas.DataFrame of shape (n, 784)
        Pixel values 0-255.
    """
    from skdigits.datasets.digit_recognizer import load_digit_recognizer

    loaded = load_digit_recognizer(path)
    return loaded[0] if isinstance(loaded, tuple) else loaded


def load_model_for_prediction(args, session):
    """Load the model named by ``--model`` (default DIR/model.skdigits) for prediction.

    The commands that only predict use :func:`~skdigits.load_predictor`:
    its NumPy forward pass spares them TensorFlow's import of several
    seconds, and it computes every network the classifier builds.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    session : skdigits.cli.session.Session
        The running command.

    Returns
    -------
    path : str
        The model file.
    model : estimator object
        The loaded model, with ``predict``, ``predict_proba`` and ``classes_``.
    """
    from skdigits.predictor import load_predictor

    path = args.model or os.path.join(args.output_dir, "model.skdigits")
    session.info(f"Loading model {path}...")
    return path, load_predictor(path)


def pixels_for(model, X):
    """The pixels of a CSV as ``model`` was fitted on them: a DataFrame only if it was fitted on one.

    Parameters
    ----------
    model : estimator object
        The loaded model.
    X : pandas.DataFrame
        Pixel columns from a CSV file.

    Returns
    -------
    pandas.DataFrame or ndarray
        ``X``, or its values (so scikit-learn does not warn about feature names the model never saw).
    """
    return X if getattr(model, "feature_names_in_", None) is not None else X.to_numpy()


def require_digit_classes(model, path, use):
    """Refuse a model whose classes are not numbers, for a use that needs digit labels.

    Parameters
    ----------
    model : estimator object
        The loaded model, with ``classes_``.
    path : str
        Its file, for the message.
    use : str
        What needs digit labels, e.g. ``"a Kaggle submission"``.

    Raises
    ------
    skdigits.exceptions.DataError
        If the model's classes are not numbers.
    """
    import numpy as np

    classes = np.asarray(model.classes_)
    if classes.dtype.kind not in "iu":
        raise DataError(f"{path}: the model predicts labels such as {classes[:3].tolist()}, not digits; "
                        f"{use} needs a model trained on digit labels 0-9.")
