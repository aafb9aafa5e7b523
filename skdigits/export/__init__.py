"""Export a fitted model, calibration and pixel scaling included, as ONNX or as a TensorFlow SavedModel.

``model.model_.export(...)`` saves the bare Keras network: it leaves out the
pixel scaling of :class:`~skdigits.DigitImageTransformer` and the fitted
temperature, so its probabilities are not ``predict_proba``'s.
:func:`export_model` puts everything ``predict_proba`` computes into the
graph. The work is split in small modules: :mod:`~skdigits.export.plan`
reads the estimator (and refuses what has no graph equivalent),
:mod:`~skdigits.export.graph` builds the TensorFlow function, and
:mod:`~skdigits.export.onnx_file` and :mod:`~skdigits.export.saved_model`
write it.

Importing this package does not import TensorFlow; exporting does.
"""

from skdigits.exceptions import InvalidParameterError

__all__ = ["export_model", "FORMATS"]

#: The formats :func:`export_model` writes.
FORMATS = ("onnx", "savedmodel")


def export_model(model, path, format="onnx"):
    """Export a fitted model as one graph: raw pixels in, calibrated probabilities out.

    The graph computes what ``model.predict_proba`` computes: the pixel
    scaling and reshaping of a :class:`~skdigits.DigitImageTransformer`
    step, the network at inference (no augmentation, dropout off), the
    fitted temperature (``softmax(log p / temperature_)``) and, for an
    ensemble, the mean of its members' probabilities.

    Parameters
    ----------
    model : Pipeline, CNNDigitClassifier or CNNEnsembleClassifier
        Fitted; for example what :func:`skdigits.make_digit_pipeline` makes,
        ``skdigits train`` saves and :func:`skdigits.load_model` loads. A
        Pipeline may hold only ``DigitImageTransformer`` steps (or
        ``"passthrough"``) before its classifier; an ensemble's members may
        be classifiers or such Pipelines.
    path : str or os.PathLike
        With ``format="onnx"``, the file to write (by convention ending in
        ``.onnx``), replaced atomically if it is a regular file. With
        ``format="savedmodel"``, the folder to create; it must not exist.
    format : {"onnx", "savedmodel"}, default="onnx"
        ``"onnx"`` for onnxruntime and other ONNX runtimes (needs the
        ``export`` extra: ``pip install 'skdigits[export]'``);
        ``"savedmodel"`` for TensorFlow Serving, ``tf.saved_model.load`` and
        the TensorFlow.js converter (the signature is ``serving_default``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model, one of its steps or one of its members is not fitted.
    skdigits.exceptions.UnsupportedModelError
        If the model, a step or a member has no graph equivalent (a
        :class:`~skdigits.DigitNormalizer`, another scikit-learn step, a
        subclass of a skdigits estimator, a network that is not the one
        skdigits builds); the message names it and says what to do.
        Nothing is dropped silently.
    skdigits.exceptions.InvalidParameterError
        If ``format`` is unknown, or is ``"onnx"`` without tf2onnx installed.
    skdigits.exceptions.OutputPathError
        If ``path`` cannot be written: for ONNX a folder or a device (as
        for every file skdigits writes); for a SavedModel anything that
        exists there already, a symlink included.

    Notes
    -----
    The exported model has one input, ``pixels``: float32 of shape
    ``(n, n_features)``, the pixel rows the model was fitted on, in the
    same order (Kaggle's ``pixel0`` ... ``pixel783``). For a Pipeline that
    means raw values in ``[0, scale]`` (0-255 for Kaggle's CSV); for a bare
    :class:`~skdigits.CNNDigitClassifier`, the rows as it takes them,
    already scaled (say to [0, 1]), flattened. It has one output,
    ``probabilities``: float32 of shape ``(n, n_classes)``, its columns in
    the order of ``model.classes_``. The ONNX file's metadata holds the
    classes as JSON (key ``skdigits.classes``).

    The graph does not check its input as the estimator does: pixels
    outside ``[0, scale]``, NaN, or images in another layout give
    probabilities without an error. Check the input before, or keep the
    estimator where the input is untrusted.

    Examples
    --------
    >>> from skdigits import export_model, load_model
    >>> export_model(load_model("model.skdigits"), "digits.onnx")  # doctest: +SKIP
    >>> import onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("digits.onnx")  # doctest: +SKIP
    >>> session.run(["probabilities"], {"pixels": X_test.astype("float32")})[0]  # doctest: +SKIP
    """
    from pathlib import Path

    from skdigits.export.plan import plan_of

    if format not in FORMATS:
        raise InvalidParameterError(f"format={format!r} is not one of {', '.join(map(repr, FORMATS))}.")
    if format == "onnx":
        from skdigits.export.onnx_file import require_onnx
        from skdigits.utils.atomic import check_writable

        require_onnx()
        check_writable(path)  # before the conversion, which takes seconds
    else:
        from skdigits.export.saved_model import check_new_folder

        check_new_folder(path)
    plan = plan_of(model)
    from skdigits.export.graph import inference_networks, probabilities_function

    networks = inference_networks(plan)
    function = probabilities_function(plan, networks)
    if format == "onnx":
        from skdigits.export.onnx_file import write_onnx

        write_onnx(function, plan, path)
    else:
        from skdigits.export.saved_model import write_saved_model

        write_saved_model(function, networks, path)
    return Path(path)
