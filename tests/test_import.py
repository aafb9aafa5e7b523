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
    code = "from skdigits import CNNDigitClassifier; import skdigits._backend as b; b.tf.constant(1)"
    quiet = _python(code, SKDIGITS_TF_LOGS="0")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    loud = _python(code, SKDIGITS_TF_LOGS="1", TF_CPP_MIN_LOG_LEVEL="0")
    assert loud.returncode == 0
    # At log level 0 TensorFlow always announces itself (oneDNN, CPU features).
    assert loud.stderr.strip(), "SKDIGITS_TF_LOGS=1 should let TensorFlow's own logs through"
