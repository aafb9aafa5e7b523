"""Which fit is running: "Fold 2/5", "Candidate 3/4, fold 1/3", "Refitting", on stderr as each fit starts."""

__all__ = ["announcing_fits"]


def announcing_fits(session, labels):
    """A Keras callback that announces fit ``i`` with ``labels[i]``, for the fits of one cross-validation.

    Cross-validation clones the classifier for every fit, and cloning
    deep-copies its callbacks; the announcer is a function, which a deep copy
    shares, so the clones count the fits together. The fits must run in this
    process (``n_jobs`` None or 1).

    Parameters
    ----------
    session : skdigits.cli.session.Session
        The running command (its ``info`` prints unless ``--quiet``).
    labels : iterable of str
        The fits' labels, in the order they run.

    Returns
    -------
    keras.callbacks.Callback
    """
    from skdigits._training.backend import keras

    remaining = iter(labels)

    def announce():
        session.info(next(remaining, "Fitting..."))

    class AnnounceFit(keras.callbacks.Callback):
        def __init__(self, announce):
            super().__init__()
            self.announce = announce

        def on_train_begin(self, logs=None):
            self.announce()

    return AnnounceFit(announce)
