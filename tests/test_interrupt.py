"""Ctrl-C during training stops at a batch boundary and raises KeyboardInterrupt, never aborts.

A KeyboardInterrupt raised inside TensorFlow's C++ code can abort the process
(SIGABRT, "free(): invalid pointer"). The subprocess tests send real SIGINTs to
fits run directly and through scikit-learn; the others test the guard in-process.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types

import pytest

from conftest import FAST, interruptible
from skdigits._interrupt import deferred_keyboard_interrupt


@pytest.fixture
def default_sigint():
    """Run the test with Python's own SIGINT handler, whatever the test runner installed."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _stops_training(callback):
    model = types.SimpleNamespace(stop_training=False)
    callback.set_model(model)
    callback.on_train_batch_end(0)
    return model.stop_training


# ---------------------------------------------------------------- the guard itself
def test_handler_is_installed_then_restored(default_sigint):
    with deferred_keyboard_interrupt() as callback:
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        assert not _stops_training(callback)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_stops_training_and_is_raised_on_exit(default_sigint):
    reached = []
    with pytest.raises(KeyboardInterrupt), deferred_keyboard_interrupt() as callback:
        signal.raise_signal(signal.SIGINT)
        reached.append("after the signal")
        assert _stops_training(callback)
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_second_ctrl_c_interrupts_at_once(default_sigint):
    reached = []
    with pytest.raises(KeyboardInterrupt), deferred_keyboard_interrupt():
        signal.raise_signal(signal.SIGINT)
        reached.append("first")
        signal.raise_signal(signal.SIGINT)
        reached.append("second")
    assert reached == ["first"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_error_in_the_block_propagates_and_restores_the_handler(default_sigint):
    with pytest.raises(ValueError, match="bad data"), deferred_keyboard_interrupt():
        signal.raise_signal(signal.SIGINT)
        raise ValueError("bad data")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_blocks_share_the_outer_flag(default_sigint):
    with pytest.raises(KeyboardInterrupt), deferred_keyboard_interrupt():  # the outer block raises too
        outer = signal.getsignal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt), deferred_keyboard_interrupt() as inner:  # at once
            assert signal.getsignal(signal.SIGINT) is outer
            signal.raise_signal(signal.SIGINT)
            assert _stops_training(inner)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("kind", ["custom", "ignore"])
def test_other_handlers_are_left_in_charge(default_sigint, kind):
    received = []
    handler = signal.SIG_IGN if kind == "ignore" else lambda signum, frame: received.append(signum)
    signal.signal(signal.SIGINT, handler)
    with deferred_keyboard_interrupt() as callback:  # and no KeyboardInterrupt on exit
        assert signal.getsignal(signal.SIGINT) is handler
        signal.raise_signal(signal.SIGINT)
        assert not _stops_training(callback)
    assert signal.getsignal(signal.SIGINT) is handler
    assert received == ([] if kind == "ignore" else [signal.SIGINT])


def test_outside_the_main_thread_nothing_changes(default_sigint):
    seen = {}

    def work():
        with deferred_keyboard_interrupt() as callback:
            seen["handler"] = signal.getsignal(signal.SIGINT)
            seen["stops"] = _stops_training(callback)
        seen["done"] = True

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == {"handler": signal.default_int_handler, "stops": False, "done": True}


# ---------------------------------------------------------------- in a fit
def test_interrupted_fit_keeps_the_partly_trained_network(small_images, default_sigint):
    """Ctrl-C in epoch 2: that batch is the last; the classifier can predict and train on."""
    import keras

    from skdigits import CNNDigitClassifier

    class CtrlCInEpoch2(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            self.last = (self.epoch, batch)

        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == (1, 2):
                signal.raise_signal(signal.SIGINT)

    X, y = small_images
    spy = CtrlCInEpoch2()
    clf = CNNDigitClassifier(**{**FAST, "epochs": 10, "callbacks": [spy]})
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert spy.last == (1, 2), "training went on after the batch that got Ctrl-C"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert len(clf.history_["loss"]) == 2  # epoch 1 and the interrupted epoch 2
    assert clf.predict(X[:5]).shape == (5,)
    clf.partial_fit(X, y)  # trains on from there
    assert len(clf.history_["loss"]) == 3


# ---------------------------------------------------------------- real SIGINT, real process
_SCRIPT = textwrap.dedent("""
    import json, signal, sys
    import keras
    import numpy as np
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from skdigits import CNNDigitClassifier

    class Marker(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                print("EPOCH2", flush=True)  # the parent sends SIGINT now

    rng = np.random.RandomState(0)
    X = rng.rand(2000, 28, 28, 1).astype("float32")
    y = rng.randint(0, 10, 2000)
    clf = CNNDigitClassifier(filters=(4,), dense_units=8, augment=False, epochs=50, batch_size=32,
                             callbacks=[Marker()], random_state=0)
    scenarios = sys.argv[1:]
    for i, scenario in enumerate(scenarios):
        try:
            if scenario == "fit":
                clf.fit(X, y)
            elif scenario == "cross_val_score":
                cross_val_score(clf, X, y, cv=3)
            elif scenario == "grid_search":
                GridSearchCV(clf, {"dense_units": [8, 9]}, cv=2, n_jobs=1).fit(X, y)
            print("FINISHED", flush=True)
        except KeyboardInterrupt:
            state = {"default_handler": signal.getsignal(signal.SIGINT) is signal.default_int_handler}
            if scenario == "fit":
                state.update(epochs=len(clf.history_["loss"]), predictions=len(clf.predict(X[:3])))
            print("STATE", json.dumps(state), flush=True)
            if i == len(scenarios) - 1:
                raise  # exit as an uncaught KeyboardInterrupt
""")


def _interrupt_each(tmp_path, scenarios):
    """Run the scenarios in one process, sending SIGINT at the start of epoch 2 of each.

    Returns the per-scenario states, the seconds from each SIGINT to its
    KeyboardInterrupt, and the finished process's return code and stderr.
    """
    script = tmp_path / "interrupt_me.py"
    script.write_text(_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), *scenarios], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, preexec_fn=interruptible)
    watchdog = threading.Timer(600, proc.kill)  # a hung child fails the test instead of hanging it
    watchdog.start()
    states, delays = [], []
    try:
        for i in range(len(scenarios)):
            line = proc.stdout.readline()
            assert line == "EPOCH2\n", line + proc.stderr.read()
            time.sleep(0.05 * i)  # vary where in the epoch the signal lands
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            line = proc.stdout.readline()  # another EPOCH2 here would mean the next fit ran
            delays.append(time.monotonic() - sent)
            assert line.startswith("STATE "), line + proc.stderr.read()
            states.append(json.loads(line.removeprefix("STATE ")))
        rest, err = proc.communicate(timeout=120)
    finally:
        watchdog.cancel()
        proc.kill()
    assert rest == ""
    return states, delays, proc.returncode, err


def _assert_clean_keyboard_interrupt(returncode, err):
    assert "free()" not in err and "Aborted" not in err, err
    # An uncaught KeyboardInterrupt prints its traceback, then Python ends by SIGINT.
    assert returncode == -signal.SIGINT, (returncode, err)
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert "Traceback" in err


FIT_INTERRUPTS = 3


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory):
    """One process (one TensorFlow import) interrupted in 3 fits, then in cross-validation and grid search."""
    return _interrupt_each(tmp_path_factory.mktemp("interrupt"),
                           ["fit"] * FIT_INTERRUPTS + ["cross_val_score", "grid_search"])


def test_real_ctrl_c_during_fit_exits_cleanly_every_time(interrupted_run):
    states, delays, returncode, err = interrupted_run
    _assert_clean_keyboard_interrupt(returncode, err)
    for state in states[:FIT_INTERRUPTS]:
        assert state["default_handler"]
        assert 2 <= state["epochs"] < 10, state  # stopped in the epoch that got Ctrl-C, or the next
        assert state["predictions"] == 3
    assert max(delays[:FIT_INTERRUPTS]) < 30, delays


def test_real_ctrl_c_stops_cross_validation_and_grid_search(interrupted_run):
    states, delays, returncode, err = interrupted_run
    _assert_clean_keyboard_interrupt(returncode, err)
    assert len(states) == FIT_INTERRUPTS + 2
    assert all(state["default_handler"] for state in states[FIT_INTERRUPTS:])
    assert max(delays[FIT_INTERRUPTS:]) < 30, delays
