"""Import TensorFlow and Keras once, quietly.

TensorFlow writes start-up chatter (CUDA probing, CPU-feature notices) from C++
straight to file descriptor 2, where ``TF_CPP_MIN_LOG_LEVEL`` no longer reaches
it. We silence that descriptor while TensorFlow loads and initialises its
devices, then restore it. Set ``SKDIGITS_TF_LOGS=1`` to see everything.

Every skdigits module that needs Keras imports it from here, never directly,
so that ``import skdigits`` itself stays free of TensorFlow.
"""

import os
import sys

from skdigits.utils import compat


def tensorflow_logs_requested():
    """Tell whether the user asked to see TensorFlow's own log output.

    Returns
    -------
    bool
        True when the environment variable ``SKDIGITS_TF_LOGS`` is set to a
        value other than ``""``, ``"0"`` or ``"false"``.
    """
    return os.environ.get("SKDIGITS_TF_LOGS", "").strip().lower() not in ("", "0", "false")


def thread_budget():
    """Return how many CPU threads TensorFlow may use in this process.

    TensorFlow ignores ``OMP_NUM_THREADS``. joblib's process workers (as in
    ``GridSearchCV(n_jobs=k)`` or ``cross_val_score(n_jobs=k)``) receive it
    set to ``cores // k``, and users set it to share a machine, so skdigits
    applies it to TensorFlow's thread pools when it loads TensorFlow: k
    parallel fits then share the cores instead of each sizing its pools to
    all of them.

    Returns
    -------
    int or None
        The value of ``OMP_NUM_THREADS`` if it is a positive integer, else
        None (TensorFlow's own default: every core).
    """
    try:
        value = int(os.environ.get("OMP_NUM_THREADS", "").strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _apply_thread_budget(tf):
    budget = thread_budget()
    if budget is None:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(budget)
        tf.config.threading.set_inter_op_parallelism_threads(budget)
    except RuntimeError:  # TensorFlow already ran something in this process: too late to resize
        pass


def _import_quietly():
    if tensorflow_logs_requested():
        import keras
        import tensorflow as tf

        _apply_thread_budget(tf)
        return tf, keras

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import keras
        import tensorflow as tf

        _apply_thread_budget(tf)
        # Device discovery logs its own errors on machines without CUDA.
        tf.config.list_physical_devices()
        tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)
    return tf, keras


tf, keras = _import_quietly()

# scikeras patches keras.Model.__reduce__ on import (see skdigits.utils.compat);
# doing it here makes every fitted model picklable no matter which skdigits
# module loads first.
compat.install_keras_pickling()

__all__ = ["keras", "tensorflow_logs_requested", "tf", "thread_budget"]
