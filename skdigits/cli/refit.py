"""The fits behind a model that ``run`` submits or ``train`` saves: measure on a part, then refit on every digit.

A validation split (for the learning curves and the temperature) and a
held-out part (for the reported accuracy) each take digits away from the
network they measure. So the model that is saved and submitted is a second
fit, on every labelled digit, with the same settings and epochs
(``epochs="auto"`` is resolved once, for the refit's number of digits, and
both fits train that many). The accuracy reported is the measuring fit's,
and the report says so.

The refit has no unseen digits to calibrate on. When the measuring fit had
a validation part, its temperature, fitted on digits that network did not
train on, goes to the refit, a network trained the same way on more digits
(an estimate: nothing is left to check it on). Without one, the refit fits its own, on its
training digits, as ``CNNDigitClassifier`` does with ``validation_split=0``.
The saved classifier's parameters are the refit's (``validation_split=0``),
so refitting it with :func:`sklearn.base.clone` would fit its temperature
that second way.
"""

from dataclasses import dataclass

__all__ = ["Fits", "fit_measured_then_all", "n_trained"]


def n_trained(n_samples, validation_split):
    """The number of digits a network trains on when ``fit`` is given ``n_samples`` of them.

    Parameters
    ----------
    n_samples : int
        Digits passed to ``fit``.
    validation_split : float
        The classifier's ``validation_split``.

    Returns
    -------
    int
        ``n_samples`` less the validation part.
    """
    from skdigits._training.loop import validation_size

    return n_samples - validation_size(n_samples, validation_split)


@dataclass
class Fits:
    """The fits of one command.

    Attributes
    ----------
    measured : sklearn.pipeline.Pipeline
        The fit whose learning curves (and held-out accuracy) are reported.
    final : sklearn.pipeline.Pipeline
        The model saved and submitted: ``measured`` itself, or the refit on every digit.
    n_trained : int
        Digits the final network trained on.
    n_measured : int
        Digits the measuring network trained on (less its validation part).
    seconds : dict
        ``{"fit_seconds": ...}``, plus ``"refit_seconds"`` when there was a refit.
    """

    measured: object
    final: object
    n_trained: int
    n_measured: int
    seconds: dict

    @property
    def refitted(self):
        """bool : Whether the final model is a second fit, on every digit."""
        return self.final is not self.measured


def fit_measured_then_all(session, params, X_fit, y_fit, X_all=None, y_all=None):
    """Fit on ``(X_fit, y_fit)``; then, given ``X_all``, refit on it for the model to keep.

    Parameters
    ----------
    session : skdigits.cli.session.Session
        The running command, which prints and times the fits.
    params : dict
        Keyword arguments for :func:`skdigits.make_digit_pipeline`.
    X_fit, y_fit : array-like
        The digits of the measuring fit (the training data less any held-out part).
    X_all, y_all : array-like or None, default=None
        Every labelled digit. None keeps the measuring fit as the final model.

    Returns
    -------
    Fits
        The measuring and final fits, and what they cost.
    """
    from skdigits._training.epochs import resolve_epochs
    from skdigits._training.precision import resolve_precision
    from skdigits.cli.session import epochs_phrase
    from skdigits.pipeline import make_digit_pipeline

    trained = n_trained(len(X_fit), params.get("validation_split", 0.0))
    if X_all is not None:  # both fits train the refit's epochs
        precision = resolve_precision(params.get("precision", "auto"))
        params = {**params, "epochs": resolve_epochs(params["epochs"], len(X_all), precision)}
    epochs = epochs_phrase(params["epochs"], trained, params.get("precision", "auto"))
    augment = " with augmentation" if params.get("augment") else ""
    measured = make_digit_pipeline(**params)
    held = f" (and {len(X_fit) - trained:,} for validation)" if trained < len(X_fit) else ""
    session.info(f"Training on {trained:,} digits{held} for {epochs}{augment}...")
    seconds = {"fit_seconds": session.fit(measured, X_fit, y_fit)}
    if X_all is None:
        return Fits(measured, measured, trained, trained, seconds)

    validated = trained < len(X_fit)
    final = make_digit_pipeline(**{**params, "validation_split": 0.0,
                                   **({"temperature_scaling": False} if validated else {})})
    session.info(f"Refitting on all {len(X_all):,} digits for {epochs}{augment}, for the model to keep...")
    seconds["refit_seconds"] = session.fit(final, X_all, y_all)
    if validated:
        final[-1].set_params(temperature_scaling=measured[-1].temperature_scaling)
        final[-1].temperature_ = measured[-1].temperature_
    return Fits(measured, final, len(X_all), trained, seconds)
