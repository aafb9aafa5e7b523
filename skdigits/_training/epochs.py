"""How many epochs ``epochs="auto"`` trains for: fewer as the training set grows.

Each epoch over more digits is more gradient steps, so a large training set
needs fewer passes. ``benchmarks/recipe_search.py`` measured both ends on
held-out training digits: on 8,000 digits, 8 epochs cost accuracy against
15; on Kaggle's 42,000, 8 epochs were no worse than 15 (at the defaults'
peak learning rate, 0.004). A fit in bfloat16 (``precision``) needed 10
there: its steps are noisier, and 8 of them cost accuracy. Between 10,000
and 40,000 digits the count falls in a straight line; those sizes were not
measured. Imports nothing.
"""

__all__ = ["resolve_epochs"]

#: Epochs on at most SMALL_TRAINING_SET images.
MOST_EPOCHS = 15
#: Epochs on at least LARGE_TRAINING_SET images, in float32.
FEWEST_EPOCHS = 8
#: Epochs on at least LARGE_TRAINING_SET images, in bfloat16.
FEWEST_EPOCHS_BFLOAT16 = 10
SMALL_TRAINING_SET = 10_000
LARGE_TRAINING_SET = 40_000


def resolve_epochs(epochs, n_train, precision="float32"):
    """The number of epochs a fit trains for.

    Parameters
    ----------
    epochs : int or "auto"
        The classifier's ``epochs``.
    n_train : int
        Images trained on per epoch (the validation part left out).
    precision : {"float32", "bfloat16"}, default="float32"
        The arithmetic the fit trains in (a resolved ``precision``, see
        :func:`skdigits._training.precision.resolve_precision`).

    Returns
    -------
    int
        ``epochs`` itself, or for ``"auto"``: 15 on up to 10,000 images, 8 on
        40,000 or more (10 in bfloat16), and in between, the nearest integer
        on the straight line joining the two.

    Examples
    --------
    >>> resolve_epochs("auto", 8_000), resolve_epochs("auto", 25_000), resolve_epochs("auto", 42_000)
    (15, 12, 8)
    >>> resolve_epochs("auto", 42_000, "bfloat16")
    10
    >>> resolve_epochs(3, 42_000)
    3
    """
    if not isinstance(epochs, str):
        return int(epochs)
    fewest = FEWEST_EPOCHS_BFLOAT16 if precision == "bfloat16" else FEWEST_EPOCHS
    if n_train <= SMALL_TRAINING_SET:
        return MOST_EPOCHS
    if n_train >= LARGE_TRAINING_SET:
        return fewest
    fraction = (n_train - SMALL_TRAINING_SET) / (LARGE_TRAINING_SET - SMALL_TRAINING_SET)
    return round(MOST_EPOCHS - (MOST_EPOCHS - fewest) * fraction)
