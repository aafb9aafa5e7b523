"""What an exported graph computes, read off a fitted estimator; and what cannot be exported, refused by name.

:func:`plan_of` walks a Pipeline, a :class:`~skdigits.CNNDigitClassifier`
or a :class:`~skdigits.CNNEnsembleClassifier` and returns a :class:`Plan`:
the input width, the classes, and the stages (scale, reshape, network with
its temperature, mean of members) that together compute ``predict_proba``.
Nothing here builds a graph or imports TensorFlow; :mod:`skdigits.export.graph`
turns a plan into one. A step with no graph equivalent is refused here,
before any work, rather than dropped: the exported model would otherwise
answer other probabilities than the estimator it claims to be.
"""

from collections import namedtuple

from skdigits.exceptions import UnsupportedModelError

__all__ = ["Plan", "Stage", "plan_of"]

#: What an exported graph computes: ``n_features`` float32 columns in, one probability per class of
#: ``classes`` out, through ``stages`` in order.
Plan = namedtuple("Plan", "n_features classes stages")

#: One step of a plan. ``kind`` and ``value``: ``"scale"`` (divide by the float ``value``), ``"images"``
#: (reshape to ``(n, h, w, 1)``, ``value`` is ``(h, w)``), ``"network"`` (``value`` is the fitted
#: CNNDigitClassifier: its network at inference, then its temperature) or ``"mean"`` (``value`` is a tuple
#: of member Plans whose probabilities are averaged).
Stage = namedtuple("Stage", "kind value")

_WHAT_EXPORTS = ("export_model puts in a graph only DigitImageTransformer steps followed by a "
                 "CNNDigitClassifier or a CNNEnsembleClassifier (of those)")


def plan_of(estimator):
    """The plan of a fitted estimator, or a refusal naming what cannot be exported.

    Parameters
    ----------
    estimator : Pipeline, CNNDigitClassifier or CNNEnsembleClassifier
        Fitted. A Pipeline may hold ``DigitImageTransformer`` steps (and
        ``"passthrough"``) and must end in a classifier; an ensemble's
        members may be classifiers or such Pipelines.

    Returns
    -------
    Plan
        Its input width, classes and stages.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator, a step or a member is not fitted.
    skdigits.exceptions.UnsupportedModelError
        If it (or a step, or a member) has no graph equivalent; the
        message names it and says what to do.
    """
    return _plan(estimator, "the model")


def _plan(estimator, where):
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if type(estimator) is Pipeline:
        return _pipeline(estimator, where)
    kind = _skdigits_kind(estimator)
    if kind == "CNNDigitClassifier":
        check_is_fitted(estimator)
        height, width = (int(s) for s in estimator.image_shape_)
        _check_width(estimator, height * width, where)
        return Plan(height * width, tuple(estimator.classes_),
                    (Stage("images", (height, width)), Stage("network", estimator)))
    if kind == "CNNEnsembleClassifier":
        check_is_fitted(estimator)
        return _ensemble(estimator, where)
    raise UnsupportedModelError(_refusal(estimator, where) + ".")


def _skdigits_kind(estimator):
    """The skdigits class name of ``estimator``, or None: a subclass may compute other probabilities."""
    from skdigits.persistence.reader import CLASS_MODULES, class_named

    kind = type(estimator).__name__
    return kind if kind in CLASS_MODULES and type(estimator) is class_named(kind) else None


def _refusal(estimator, where):
    kind = type(estimator).__name__
    if kind == "DigitNormalizer":
        return (f"{where} is a DigitNormalizer: its ink separation and centring by mass work image by image "
                "in NumPy and SciPy and have no graph equivalent. Run it (or skdigits.load_digit_images) "
                "before the exported model, and export the model that follows it")
    if kind in ("DigitPredictor", "DigitEnsemblePredictor"):
        return (f"{where} is a {kind}, load_predictor's NumPy model, which holds no TensorFlow network; load "
                "the file with skdigits.load_model to export it")
    if kind == "DigitImageTransformer":
        return (f"{where} is a DigitImageTransformer, which predicts nothing; export a Pipeline that ends in "
                "a classifier")
    return (f"{where} is a {_type_name(estimator)}; {_WHAT_EXPORTS}. For a step of your own, run it before the "
            "exported model and export what follows it. A subclass of a skdigits estimator may compute something "
            "else, so only the skdigits classes themselves export")


def _pipeline(pipeline, where):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(pipeline)
    *steps, (last_name, last) = pipeline.steps
    stages, n_features, shape = [], None, None
    for index, (name, step) in enumerate(steps):
        if step is None or step == "passthrough":  # scikit-learn's identity step: nothing to compute
            continue
        step_where = f"step {name!r} of {where}"
        if _skdigits_kind(step) != "DigitImageTransformer":
            raise UnsupportedModelError(_refusal(step, step_where) + f" (export the steps after it, "
                                        f"pipeline[{index + 1}:], and feed the exported model what it outputs).")
        check_is_fitted(step)
        height, width = (int(s) for s in step.image_shape_)
        if shape is None:
            n_features = int(step.n_features_in_)
        elif shape[0] * shape[1] != int(step.n_features_in_):
            raise UnsupportedModelError(f"{step_where} was fitted on {step.n_features_in_} pixels, but the step "
                                        f"before it makes {shape[0]}x{shape[1]} images.")
        if step.scale is not None:
            stages.append(Stage("scale", float(step.scale)))
        stages.append(Stage("images", (height, width)))
        shape = (height, width)
    head = _plan(last, f"step {last_name!r} of {where}")
    if shape is None:
        return head
    if shape[0] * shape[1] != head.n_features:
        raise UnsupportedModelError(f"step {last_name!r} of {where} was fitted on {head.n_features} pixels, but "
                                    f"the steps before it make {shape[0]}x{shape[1]} images.")
    return Plan(n_features, head.classes, (*stages, *head.stages))


def _ensemble(ensemble, where):
    members = [_plan(member, f"member {i} of {where}") for i, member in enumerate(ensemble.estimators_)]
    classes = tuple(ensemble.classes_)
    for i, member in enumerate(members):
        if member.n_features != members[0].n_features or list(member.classes) != list(classes):
            raise UnsupportedModelError(f"member {i} of {where} takes {member.n_features} pixels and predicts "
                                        f"{len(member.classes)} classes, unlike the ensemble; refit it.")
    return Plan(members[0].n_features, classes, (Stage("mean", tuple(members)),))


def _check_width(classifier, n_features, where):
    if int(classifier.n_features_in_) != n_features:
        raise UnsupportedModelError(f"{where} was fitted on {classifier.n_features_in_} pixels but its images are "
                                    f"{classifier.image_shape_[0]}x{classifier.image_shape_[1]}; refit it.")


def _type_name(obj):
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"
