"""`import skdigits` stays light and quiet; TensorFlow loads only on use."""

import os
import subprocess
import sys

import pytest


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


def _tensorflow_threads():
    from skdigits._training.backend import tf

    return (tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


@pytest.fixture(scope="module")
def started_tensorflow():
    """Two fresh processes that start TensorFlow through skdigits and print its thread counts.

    "quiet": the defaults' logs, with OMP_NUM_THREADS=1; "loud": TensorFlow's logs asked for, with
    OMP_NUM_THREADS unset. Both start at once: each spends seconds importing TensorFlow.
    """
    code = "from test_import import _tensorflow_threads; print(*_tensorflow_threads())"
    envs = {"quiet": dict(SKDIGITS_TF_LOGS="0", OMP_NUM_THREADS="1"),
            "loud": dict(SKDIGITS_TF_LOGS="1", TF_CPP_MIN_LOG_LEVEL="0", OMP_NUM_THREADS="")}
    children = {name: subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, env={**os.environ, "PYTHONPATH": os.path.dirname(__file__), **env})
                for name, env in envs.items()}
    done = {}
    for name, child in children.items():
        out, err = child.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(child.args, child.returncode, out, err)
    return done


def test_tensorflow_start_up_noise_is_hidden_unless_asked(started_tensorflow):
    quiet, loud = started_tensorflow["quiet"], started_tensorflow["loud"]
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert loud.returncode == 0, loud.stderr
    # At log level 0 TensorFlow always announces itself (oneDNN, CPU features).
    assert loud.stderr.strip(), "SKDIGITS_TF_LOGS=1 should let TensorFlow's own logs through"


def test_omp_num_threads_bounds_tensorflow_threads(started_tensorflow):
    bounded, default = started_tensorflow["quiet"], started_tensorflow["loud"]
    assert bounded.returncode == 0, bounded.stderr
    assert bounded.stdout.split() == ["1", "1"]
    assert default.stdout.split() == ["0", "0"]  # 0: TensorFlow sizes its pools to every core


def test_parallel_workers_share_the_cores():
    """joblib gives each of k process workers cores // k threads; TensorFlow now keeps to it."""
    from joblib import Parallel, cpu_count, delayed

    budgets = Parallel(n_jobs=2, backend="loky")(delayed(_tensorflow_threads)() for _ in range(2))
    expected = int(os.environ.get("OMP_NUM_THREADS") or max(cpu_count() // 2, 1))
    assert budgets == [(expected, expected)] * 2
