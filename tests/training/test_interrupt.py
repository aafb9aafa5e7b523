"""Ctrl-C and SIGTERM during training stop at a batch boundary and raise, never abort; SIGTERM during a save cleans up.

A KeyboardInterrupt raised inside TensorFlow's C++ code can abort the process
(SIGABRT, "free(): invalid pointer"). The subprocess tests send real SIGINTs
and SIGTERMs to fits run directly and through scikit-learn, and SIGTERMs to
saves; the others test the guards in-process. The subprocesses start with
the module's first test and run beside the in-process tests, so their
TensorFlow import costs no extra wall time.
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
from helpers import FAST, interruptible

from skdigits._training.interrupt import deferred_keyboard_interrupt
from skdigits.exceptions import Terminated
from skdigits.utils.signals import terminate_on_sigterm


@pytest.fixture
def default_sigint():
    """Run the test with Python's own SIGINT and SIGTERM handlers, whatever the test runner installed."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGINT, previous)
    signal.signal(signal.SIGTERM, previous_term)


def sigterm():
    """Send SIGTERM to this process, once a handler of ours is sure to catch it (SIG_DFL would kill pytest)."""
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, "no SIGTERM handler was installed"
    signal.raise_signal(signal.SIGTERM)


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


def test_sigterm_stops_training_and_raises_terminated_on_exit(default_sigint):
    reached = []
    with pytest.raises(Terminated) as info, deferred_keyboard_interrupt() as callback:
        sigterm()
        reached.append("after the signal")
        assert _stops_training(callback)
    assert reached == ["after the signal"] and info.value.code == 143
    assert isinstance(info.value, SystemExit) and not isinstance(info.value, Exception)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_wins_over_ctrl_c(default_sigint):
    with pytest.raises(Terminated), deferred_keyboard_interrupt():
        signal.raise_signal(signal.SIGINT)
        sigterm()


def test_terminate_on_sigterm_raises_at_once_and_a_second_sigterm_in_training_too(default_sigint):
    with terminate_on_sigterm():
        with pytest.raises(Terminated):
            sigterm()
        reached = []
        with pytest.raises(Terminated), deferred_keyboard_interrupt():
            sigterm()  # deferred to the end of the batch
            reached.append("first")
            sigterm()  # reaches terminate_on_sigterm's handler: at once
            reached.append("second")
        assert reached == ["first"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_terminate_on_sigterm_leaves_other_handlers_in_charge(default_sigint):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with terminate_on_sigterm(), deferred_keyboard_interrupt() as callback:
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        signal.raise_signal(signal.SIGTERM)  # ignored, as the caller chose
        assert not _stops_training(callback)


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


# ---------------------------------------------------------------- real signals, real processes
_FIT_SCRIPT = textwrap.dedent("""
    import json, signal, sys
    import keras
    import numpy as np
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from skdigits import CNNDigitClassifier
    from skdigits.exceptions import Terminated

    class Marker(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                print("READY", flush=True)  # the parent sends its signal now

    rng = np.random.RandomState(0)
    X = rng.rand(2000, 28, 28, 1).astype("float32")
    y = rng.randint(0, 10, 2000)
    clf = CNNDigitClassifier(filters=(4,), dense_units=8, augment=False, epochs=50, batch_size=32,
                             callbacks=[Marker()], random_state=0, verbose=0)  # stdout carries READY
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
        except (KeyboardInterrupt, Terminated) as exc:
            state = {"default_handlers": signal.getsignal(signal.SIGINT) is signal.default_int_handler
                     and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "raised": type(exc).__name__}
            if scenario == "fit":
                state.update(epochs=len(clf.history_["loss"]), predictions=len(clf.predict(X[:3])))
            print("STATE", json.dumps(state), flush=True)
            if i == len(scenarios) - 1:
                raise  # exit as an uncaught KeyboardInterrupt
""")

_SAVE_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys, time
    from pathlib import Path
    from skdigits.utils.atomic import atomic_save, atomic_write
    from skdigits.exceptions import Terminated

    folder = Path(sys.argv[1])
    target = folder / "model.bin"
    target.write_bytes(b"old")

    def slow_save(temp):
        Path(temp).write_bytes(b"partial")
        print("READY", flush=True)  # the parent sends SIGTERM now
        time.sleep(60)

    def slow_write():
        with atomic_write(target, "wb") as f:
            f.write(b"partial")
            f.flush()
            print("READY", flush=True)
            time.sleep(60)

    scenarios = sys.argv[2:]
    for i, scenario in enumerate(scenarios):
        try:
            atomic_save(target, slow_save) if scenario == "atomic_save" else slow_write()
        except Terminated as exc:
            print("STATE", json.dumps({"code": exc.code, "files": sorted(os.listdir(folder)),
                                       "content": target.read_text(),
                                       "default_handler": signal.getsignal(signal.SIGTERM) is signal.SIG_DFL}),
                  flush=True)
            if i == len(scenarios) - 1:
                raise  # exit as an uncaught Terminated: status 143, no traceback
""")


class _SignalledRun:
    """A child process sent one signal per scenario when it prints READY, driven from a thread.

    The child starts at once and runs beside the tests; :meth:`result` waits
    for it and returns the per-scenario states, the seconds from each signal
    to the child's report, and its return code and stderr.
    """

    def __init__(self, script_path, script, args, signals):
        script_path.write_text(script)
        self.signals = signals
        self.proc = subprocess.Popen([sys.executable, str(script_path), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, preexec_fn=interruptible)
        self.watchdog = threading.Timer(600, self.proc.kill)  # a hung child fails the test instead of hanging it
        self.watchdog.start()
        self.outcome = None
        self.thread = threading.Thread(target=self._drive, daemon=True)
        self.thread.start()

    def _drive(self):
        proc, states, delays = self.proc, [], []
        try:
            for i, signum in enumerate(self.signals):
                line = proc.stdout.readline()
                assert line == "READY\n", line + proc.stderr.read()
                time.sleep(0.05 * i)  # vary where in the epoch the signal lands
                sent = time.monotonic()
                proc.send_signal(signum)
                line = proc.stdout.readline()  # another READY here would mean the next fit ran
                delays.append(time.monotonic() - sent)
                assert line.startswith("STATE "), line + proc.stderr.read()
                states.append(json.loads(line.removeprefix("STATE ")))
            rest, err = proc.communicate(timeout=120)
            assert rest == ""
            self.outcome = states, delays, proc.returncode, err
        except BaseException as exc:  # re-raised in the test that asks for the result
            self.outcome = exc
        finally:
            self.watchdog.cancel()
            proc.kill()

    def result(self):
        self.thread.join()
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


FIT_SIGNALS = [signal.SIGINT, signal.SIGINT, signal.SIGTERM]  # three fits in a row, the last by SIGTERM
SCENARIOS = ["fit"] * len(FIT_SIGNALS) + ["cross_val_score", "grid_search"]


def _started_if_selected(request, start):
    """Start a child now if a selected test asks for this fixture; kill it at the module's end."""
    if not any(request.fixturename in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    run = start()
    yield run
    run.proc.kill()


# Autouse, so the children start with the module's first test and run beside the others.
@pytest.fixture(scope="module", autouse=True)
def interrupted_run(request, tmp_path_factory):
    """One process (one TensorFlow import) interrupted in 3 fits, then in cross-validation and grid search."""
    yield from _started_if_selected(request, lambda: _SignalledRun(
        tmp_path_factory.mktemp("interrupt") / "interrupt_me.py", _FIT_SCRIPT, SCENARIOS,
        FIT_SIGNALS + [signal.SIGINT, signal.SIGINT]))


@pytest.fixture(scope="module", autouse=True)
def terminated_saves(request, tmp_path_factory):
    """One process (no TensorFlow) sent SIGTERM in the middle of atomic_save, atomic_write, then atomic_save."""
    folder = tmp_path_factory.mktemp("terminate")
    (folder / "out").mkdir()
    yield from _started_if_selected(request, lambda: _SignalledRun(
        folder / "terminate_me.py", _SAVE_SCRIPT, [str(folder / "out"), "atomic_save", "atomic_write", "atomic_save"],
        [signal.SIGTERM] * 3))


def _assert_clean_keyboard_interrupt(returncode, err):
    assert "free()" not in err and "Aborted" not in err, err
    # An uncaught KeyboardInterrupt prints its traceback, then Python ends by SIGINT.
    assert returncode == -signal.SIGINT, (returncode, err)
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert "Traceback" in err


def test_real_ctrl_c_and_sigterm_during_fit_exit_cleanly_every_time(interrupted_run):
    states, delays, returncode, err = interrupted_run.result()
    _assert_clean_keyboard_interrupt(returncode, err)
    expected = ["Terminated" if signum == signal.SIGTERM else "KeyboardInterrupt" for signum in FIT_SIGNALS]
    assert [state["raised"] for state in states[: len(FIT_SIGNALS)]] == expected
    for state in states[: len(FIT_SIGNALS)]:
        assert state["default_handlers"]
        assert 2 <= state["epochs"] < 10, state  # stopped in the epoch that got the signal, or the next
        assert state["predictions"] == 3
    assert max(delays[: len(FIT_SIGNALS)]) < 30, delays


def test_real_ctrl_c_stops_cross_validation_and_grid_search(interrupted_run):
    states, delays, returncode, err = interrupted_run.result()
    _assert_clean_keyboard_interrupt(returncode, err)
    assert len(states) == len(SCENARIOS)
    assert all(state["default_handlers"] for state in states[len(FIT_SIGNALS):])
    assert max(delays[len(FIT_SIGNALS):]) < 30, delays


def test_real_sigterm_during_a_save_leaves_no_temp_file_and_exits_143(terminated_saves):
    states, delays, returncode, err = terminated_saves.result()
    assert returncode == 143 and err == "", (returncode, err)  # an uncaught Terminated: quiet, status 143
    assert len(states) == 3
    for state in states:
        assert state == {"code": 143, "files": ["model.bin"], "content": "old", "default_handler": True}
    assert max(delays) < 10, delays  # at once: not at the end of the 60 s write
    assert os.listdir(terminated_saves.proc.args[2]) == ["model.bin"]  # the child's output folder


def test_a_save_during_training_completes_and_sigterm_waits_for_the_batch_end(default_sigint, tmp_path):
    """A checkpoint saved from a callback: SIGTERM stays deferred to the fit's batch end, the save is whole."""
    from skdigits.utils.atomic import atomic_save

    def save(temp):
        sigterm()
        with open(temp, "wb") as f:
            f.write(b"complete")

    with pytest.raises(Terminated), deferred_keyboard_interrupt() as callback:
        atomic_save(tmp_path / "checkpoint.bin", save)
        assert _stops_training(callback)
    assert (tmp_path / "checkpoint.bin").read_bytes() == b"complete"
    assert os.listdir(tmp_path) == ["checkpoint.bin"]
