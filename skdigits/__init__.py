"""skdigits: a Keras CNN for handwritten digits as a scikit-learn estimator.

Public names load lazily, so ``import skdigits`` does not import TensorFlow
(or even scikit-learn); TensorFlow loads when a classifier is first used.
"""

import importlib

_PUBLIC = {
    "DigitImageTransformer": "skdigits.preprocessing",
    "DigitNormalizer": "skdigits.images.normalize",
    "load_digit_images": "skdigits.images.files",
    "predict_image_files": "skdigits.images.files",
    "plot_normalization_steps": "skdigits.images.plotting",
    "CNNDigitClassifier": "skdigits.classifier",
    "CNNEnsembleClassifier": "skdigits.ensemble",
    "make_digit_pipeline": "skdigits.pipeline",
    "FAST_RECIPE": "skdigits.recipes",
    "ACCURATE_RECIPE": "skdigits.recipes",
    "TUTORIAL_RECIPE": "skdigits.recipes",
    "load_digit_recognizer": "skdigits.datasets.digit_recognizer",
    "load_sample": "skdigits.datasets.digit_recognizer",
    "write_digit_recognizer": "skdigits.datasets.digit_recognizer",
    "write_submission": "skdigits.datasets.digit_recognizer",
    "cross_validation_report": "skdigits.reports",
    "grid_search_report": "skdigits.reports",
    "format_report": "skdigits.reports",
    "classification_summary": "skdigits.reports",
    "format_run_report": "skdigits.reports",
    "plot_learning_curves": "skdigits.plotting",
    "plot_digits": "skdigits.plotting",
    "plot_confusion_matrix": "skdigits.plotting",
    "plot_top_errors": "skdigits.plotting",
    "plot_grid_search": "skdigits.plotting",
    "save_model": "skdigits.persistence",
    "load_model": "skdigits.persistence",
    "save_joblib": "skdigits.persistence",
    "load_joblib": "skdigits.persistence",
    "load_predictor": "skdigits.predictor",
    "DigitPredictor": "skdigits.predictor",
    "DigitEnsemblePredictor": "skdigits.predictor",
    "export_model": "skdigits.export",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name == "__version__":
        from importlib.metadata import version

        value = version("skdigits")
    else:
        raise AttributeError(f"module 'skdigits' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
