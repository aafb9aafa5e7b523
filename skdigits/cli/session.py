"""What one running command shares: progress on stderr, results on stdout, and the files it wrote."""

import contextlib
import json
import math
import os
import sys
import time

from skdigits.utils.terminal import printable

__all__ = ["Session", "epochs_phrase", "jsonable", "plural"]


def plural(n, word):
    """Format a count with its noun, e.g. ``"1 epoch"``, ``"15 epochs"``.

    Parameters
    ----------
    n : int
        The count.
    word : str
        The singular noun.

    Returns
    -------
    str
        The count and the noun, plural unless ``n == 1``.
    """
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def epochs_phrase(epochs, n_train, precision="auto"):
    """Format the epochs a fit trains for, e.g. ``"8 epochs"``, with ``epochs="auto"`` resolved.

    Parameters
    ----------
    epochs : int or "auto"
        The classifier's ``epochs``.
    n_train : int
        Images the fit trains on per epoch.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        The classifier's ``precision``, on which ``epochs="auto"`` depends.

    Returns
    -------
    str
        The count and the noun.
    """
    from skdigits._training.epochs import resolve_epochs
    from skdigits._training.precision import resolve_precision

    if not isinstance(epochs, str):
        return plural(int(epochs), "epoch")
    return plural(resolve_epochs(epochs, n_train, resolve_precision(precision)), "epoch")


def jsonable(value):
    """Convert numpy/pandas values and tuples to plain JSON types (NaN becomes null).

    Parameters
    ----------
    value : object
        A result value.

    Returns
    -------
    object
        Something :func:`json.dumps` accepts in strict mode.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)  # pd.NA, optimizer objects, ...


def _is_stdout(path):
    from skdigits.utils.output_paths import own_descriptor

    if own_descriptor(path) == 1:
        return True
    try:
        here, there = os.stat(path), os.fstat(1)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


class Session:
    """What one command shares: its options, its progress output and the files it wrote.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Attributes
    ----------
    written : list of str
        Files written so far, in order (for the message after Ctrl-C).
    """

    def __init__(self, args):
        self.args = args
        self.written = []
        self.stdout_is_output = False  # an output file is this process's stdout: results go to stderr

    def info(self, message):
        """Print a progress message to stderr, unless ``--quiet``.

        Parameters
        ----------
        message : str
            The message.
        """
        if not self.args.quiet:
            print(printable(message, keep="\n\t"), file=sys.stderr, flush=True)

    @property
    def keras_verbose(self):
        """int : Keras' ``verbose``: 0 if quiet, else a bar (1) on a terminal, a line per epoch (2) in a log."""
        if self.args.quiet:
            return 0
        return 1 if sys.stderr.isatty() else 2

    def path(self, explicit, name):
        """Return where to write an output file, after checking that it can be written.

        Checking before any training means a typo or a read-only folder costs
        seconds, not a training run. The output folder is created when it is
        used.

        Parameters
        ----------
        explicit : str or None
            A path given on the command line, or None.
        name : str
            The file name inside ``--output-dir`` when ``explicit`` is None.

        Returns
        -------
        str
            The path to write.

        Raises
        ------
        skdigits.exceptions.OutputPathError
            If the path is a folder, its folder is missing or not writable, or
            it names a special file that skdigits will not write.
        """
        from skdigits.utils.atomic import check_writable

        path = os.path.join(self.output_dir(), name) if explicit is None else explicit
        check_writable(path)
        self.stdout_is_output |= _is_stdout(path)
        return path

    def output_dir(self):
        """Return ``--output-dir``, created if it does not exist (after checking that it can be).

        Returns
        -------
        str
            The folder.

        Raises
        ------
        skdigits.exceptions.OutputPathError
            If it is a file, in ``/proc`` or ``/sys``, or cannot be created.
        """
        from skdigits.utils.atomic import check_writable

        folder = self.args.output_dir
        if not os.path.isdir(folder):
            check_writable(folder, folder=True)
            os.makedirs(folder, exist_ok=True)
        return folder

    def save(self, path, write, *what):
        """Write one output file with ``write(*what, path)`` and remember it.

        Parameters
        ----------
        path : str
            Where to write.
        write : callable
            An atomic writer such as :func:`skdigits.datasets.digit_recognizer.write_submission`.
        *what
            Passed to ``write`` before ``path`` (e.g. the predictions).

        Returns
        -------
        str
            ``path``.
        """
        write(*what, path)
        self.written.append(path)
        return path

    def save_figure(self, fig, path):
        """Save a matplotlib Figure as PNG, atomically, and remember it.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            A figure from :mod:`skdigits.plotting` (no pyplot involved).
        path : str
            Where to write, ending in ``.png``.

        Returns
        -------
        str
            ``path``.
        """
        from skdigits.utils.atomic import atomic_save

        return self.save(path, lambda p: atomic_save(p, lambda temp: fig.savefig(temp, dpi=110)))

    def save_text(self, text, path):
        """Write a UTF-8 text file atomically and remember it.

        Parameters
        ----------
        text : str
            The content.
        path : str
            Where to write.

        Returns
        -------
        str
            ``path``.
        """
        from skdigits.utils.atomic import atomic_write

        def write(p):
            # surrogateescape: a file name that is not UTF-8 is written back as the bytes it was, not a crash
            with atomic_write(p, encoding="utf-8", errors="surrogateescape", newline="\n") as f:
                f.write(text)

        return self.save(path, write)

    def fit(self, model, X, y):
        """Fit ``model`` with Keras' progress on stderr; return the seconds taken.

        Parameters
        ----------
        model : estimator object
            The pipeline (or search) to fit.
        X, y : array-like
            Training data.

        Returns
        -------
        float
            Wall-clock seconds of the fit.
        """
        # Ctrl-C and SIGTERM need no handling here: CNNDigitClassifier.fit stops
        # at the end of a batch and raises, and main() reports it.
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            model.fit(X, y)
        return time.perf_counter() - start

    def emit(self, result, text):
        """Print the command's result: ``text`` on stdout, or ``result`` as JSON with ``--json``.

        Parameters
        ----------
        result : dict
            The machine-readable result.
        text : str
            The human-readable result.

        Notes
        -----
        When an output file is this process's stdout (``--submission
        /dev/stdout``), the result goes to stderr, so that stdout holds the
        file alone.
        """
        out = sys.stderr if self.stdout_is_output else sys.stdout
        if self.args.json:
            print(json.dumps(jsonable(result), indent=2, allow_nan=False), file=out)
        else:
            print(printable(text, keep="\n\t"), file=out)

    @staticmethod
    def settings(model):
        """The classifier settings of a pipeline, for reports.

        Parameters
        ----------
        model : sklearn.pipeline.Pipeline
            A pipeline from :func:`skdigits.make_digit_pipeline`.

        Returns
        -------
        dict
            The CNN's parameters, except callbacks, verbosity and image shape.
        """
        params = model[-1].get_params()
        return {k: v for k, v in params.items() if k not in ("callbacks", "verbose", "image_shape")}

    def n_jobs(self):
        """``--n-jobs``, capped at the number of cores (with a note on stderr when capped).

        Returns
        -------
        int or None
            The number of parallel fits for joblib; None means one.
        """
        from skdigits.cli.options import available_cores

        wanted, cores = self.args.n_jobs, available_cores()
        if wanted == -1:
            return cores
        if wanted is not None and wanted > cores:
            self.info(f"--n-jobs {wanted} is more than the {plural(cores, 'core')} here; using {cores}.")
            return cores
        return wanted
