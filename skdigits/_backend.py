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


def tensorflow_logs_requested():
    """Tell whether the user asked to see TensorFlow's own log output.

    Returns
    -------
    bool
        True when the environment variable ``SKDIGITS_TF_LOGS`` is set to a
        value other than ``""``, ``"0"`` or ``"false"``.
    """
    return os.environ.get("SKDIGITS_TF_LOGS", "").strip().lower() not in ("", "0", "false")


def _import_quietly():
    if tensorflow_logs_requested():
        import keras
        import tensorflow as tf

        return tf, keras

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import keras
        import tensorflow as tf

        # Device discovery logs its own errors on machines without CUDA.
        tf.config.list_physical_devices()
        tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)
    return tf, keras


tf, keras = _import_quietly()

# scikeras patches keras.Model.__reduce__ on import; importing it here makes
# every fitted model picklable no matter which skdigits module loads first.
import scikeras  # noqa: E402,F401

__all__ = ["tf", "keras", "tensorflow_logs_requested"]
