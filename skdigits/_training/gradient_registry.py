"""Release the traced training graphs that TensorFlow's gradient registry keeps alive.

Keras' TensorFlow optimizer all-reduces the gradients even without a
distribution strategy, and that wraps them in ``tf.custom_gradient``, which
registers a uniquely named entry in TensorFlow's global gradient registry on
every trace and never removes it. Each entry holds the whole traced training
step, so every new network that is fitted leaves its traced step behind
(``benchmarks/memory_cycles.py`` measures the growth per fit/predict
cycle). The entries are only
read while a graph is being traced, so once no fit is running they can go.

The registry is private TensorFlow; :func:`skdigits.utils.compat.tensorflow_gradient_registry`
reaches it, and ``tests/test_compat.py`` fails if it moves.
"""

import contextlib
import threading

from skdigits.utils.compat import tensorflow_gradient_registry

_lock = threading.Lock()
_active = 0
_before = set()


@contextlib.contextmanager
def releasing_traced_gradients():
    """Run a fit, then drop the custom-gradient entries added while any fit was running.

    Fits running at the same time (in threads) share one window: the
    entries are dropped only when the last of them ends, so no trace still
    in progress loses its gradient.

    Yields
    ------
    None
    """
    global _active, _before
    registry = tensorflow_gradient_registry()
    if registry is None:  # another TensorFlow layout: leave it alone
        yield
        return
    with _lock:
        if _active == 0:
            _before = set(registry)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                for name in set(registry) - _before:
                    if name.startswith("CustomGradient-"):
                        registry.pop(name, None)
