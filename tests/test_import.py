"""`import skdigits` stays light and quiet; TensorFlow loads only on use."""

import os
import subprocess
import sys


def _python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_import_does_not_load_tensorflow_or_heavy_libraries():
    done = _python(
        "import sys, skdigits\n"
        "heavy = {'tensorflow', 'keras', 'scikeras', 'sklearn', 'pandas', 'matplotlib'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_public_names_resolve_lazily():
    done = _python(
        "import sys, skdigits\n"
        "assert 'DigitImageTransformer' in dir(skdigits)\n"
        "skdigits.DigitImageTransformer\n"
        "assert 'tensorflow' not in sys.modules, 'the transformer is numpy only'\n"
        "skdigits.CNNDigitClassifier\n"
        "assert 'tensorflow' in sys.modules\n"
        "print(skdigits.__version__)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_unknown_attribute():
    done = _python("import skdigits; skdigits.nope")
    assert "module 'skdigits' has no attribute 'nope'" in done.stderr


def test_tensorflow_start_up_noise_is_hidden_unless_asked():
    code = "from skdigits import CNNDigitClassifier; import skdigits._training.backend as b; b.tf.constant(1)"
    quiet = _python(code, SKDIGITS_TF_LOGS="0")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    loud = _python(code, SKDIGITS_TF_LOGS="1", TF_CPP_MIN_LOG_LEVEL="0")
    assert loud.returncode == 0
    # At log level 0 TensorFlow always announces itself (oneDNN, CPU features).
    assert loud.stderr.strip(), "SKDIGITS_TF_LOGS=1 should let TensorFlow's own logs through"


def _tensorflow_threads():
    from skdigits._training.backend import tf

    return (tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


def test_omp_num_threads_bounds_tensorflow_threads():
    code = "from test_import import _tensorflow_threads; print(*_tensorflow_threads())"
    tests = os.path.dirname(__file__)
    bounded = _python(code, OMP_NUM_THREADS="1", PYTHONPATH=tests)
    assert bounded.returncode == 0, bounded.stderr
    assert bounded.stdout.split() == ["1", "1"]
    default = _python(code, OMP_NUM_THREADS="", PYTHONPATH=tests)
    assert default.stdout.split() == ["0", "0"]  # 0: TensorFlow sizes its pools to every core


def test_parallel_workers_share_the_cores():
    """joblib gives each of k process workers cores // k threads; TensorFlow now keeps to it."""
    from joblib import Parallel, cpu_count, delayed

    budgets = Parallel(n_jobs=2, backend="loky")(delayed(_tensorflow_threads)() for _ in range(2))
    expected = int(os.environ.get("OMP_NUM_THREADS") or max(cpu_count() // 2, 1))
    assert budgets == [(expected, expected)] * 2
