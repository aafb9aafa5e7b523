"""joblib and pickle round trips, in this process and in a fresh one."""

import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from conftest import FAST
from skdigits import CNNDigitClassifier, make_digit_pipeline


def _run(script, cwd):
    """Run a script in a fresh interpreter; fail with its stderr if it fails."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("dump, load", [(joblib.dump, joblib.load),
                                        (lambda o, p: p.write_bytes(pickle.dumps(o)),
                                         lambda p: pickle.loads(p.read_bytes()))])
def test_fitted_and_unfitted_round_trip(small_digits, tmp_path, dump, load):
    X, y = small_digits
    unfitted = make_digit_pipeline(image_shape=(8, 8), scale=16, **FAST)
    path = tmp_path / "model.bin"
    dump(unfitted, path)
    assert load(path).get_params()["cnn__filters"] == FAST["filters"]

    fitted = clone(unfitted).fit(X, y)
    dump(fitted, path)
    again = load(path)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert again[-1].history_ == fitted[-1].history_
    np.testing.assert_array_equal(again.classes_, fitted.classes_)
    # A loaded model can be refitted, and is an independent copy.
    again.fit(X[:100], y[:100])
    np.testing.assert_array_equal(fitted.predict_proba(X), load(path).predict_proba(X))


def test_bare_classifier_round_trips(small_images, tmp_path):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST).fit(X, y)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X), clf.predict_proba(X))


def test_reuse_in_another_process_bit_for_bit(small_digits, tmp_path):
    """A script that defines nothing but data saves; another script loads and predicts."""
    X, y = small_digits
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    _run(
        """
        import joblib, numpy as np
        from skdigits import make_digit_pipeline
        X, y = np.load("X.npy"), np.load("y.npy")
        pipe = make_digit_pipeline(image_shape=(8, 8), scale=16, filters=(8,), kernel_sizes=3,
                                   dense_units=16, epochs=2, batch_size=32, random_state=0)
        pipe.fit(X, y)
        joblib.dump(pipe, "model.joblib")
        np.save("saved_proba.npy", pipe.predict_proba(X))
        """,
        tmp_path,
    )
    _run(
        """
        import joblib, numpy as np
        np.save("loaded_proba.npy", joblib.load("model.joblib").predict_proba(np.load("X.npy")))
        """,
        tmp_path,
    )
    saved, loaded = np.load(tmp_path / "saved_proba.npy"), np.load(tmp_path / "loaded_proba.npy")
    assert saved.shape == (len(y), 10)
    assert saved.tobytes() == loaded.tobytes()
