"""make_digit_pipeline: the transformer and the classifier in one Pipeline."""

from sklearn.pipeline import Pipeline

from skdigits.classifier import CNNDigitClassifier
from skdigits.preprocessing import DigitImageTransformer


def make_digit_pipeline(*, image_shape=None, scale=255.0, **classifier_params):
    """Build ``Pipeline([("images", DigitImageTransformer()), ("cnn", CNNDigitClassifier())])``.

    Parameters
    ----------
    image_shape : None or tuple of (int, int), default=None
        Passed to :class:`DigitImageTransformer`; None infers square images.
    scale : float or None, default=255.0
        Passed to :class:`DigitImageTransformer`: the value of full ink.
    **classifier_params : dict
        Parameters of :class:`CNNDigitClassifier`, e.g. ``epochs=10``.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``"images"`` and ``"cnn"``; grid-search them as
        ``"cnn__filters"``, ``"cnn__optimizer"`` and so on.

    Examples
    --------
    >>> from skdigits import make_digit_pipeline
    >>> pipe = make_digit_pipeline(epochs=5, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['images', 'cnn']
    """
    return Pipeline(
        [
            ("images", DigitImageTransformer(image_shape=image_shape, scale=scale)),
            ("cnn", CNNDigitClassifier(**classifier_params)),
        ]
    )
