"""The command line's failures leave the user's files as they were: errors, Ctrl-C and SIGTERM during training,
and a failure while the submission is written."""

import os
import subprocess
import sys

from helpers import TINY_CLI as TINY
from helpers import assert_one_line_error, exit_code, interruptible


def _existing_outputs(folder):
    folder.mkdir()
    files = {"submission.csv": b"ImageId,Label\n1,7\n", "model.skdigits": b"\x80precious model bytes"}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


def _unchanged(folder, files):
    return all((folder / name).read_bytes() == content for name, content in files.items()) and not [
        p for p in os.listdir(folder) if p.startswith(".tmp-")]


def test_failed_run_leaves_existing_files_byte_for_byte(data, tmp_path, capsys):
    out = tmp_path / "out"
    files = _existing_outputs(out)
    assert exit_code(["run", "--train", data["train"], "--test", data["bad"], "--output-dir", str(out),
                      *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err, "bad.csv")
    assert exit_code(["predict", "--model", data["test"], "--test", data["test"], "--output-dir", str(out),
                      "--quiet"]) == 2
    assert _unchanged(out, files)


def test_failure_while_writing_the_submission_keeps_the_old_one(data, tmp_path, monkeypatch, capsys):
    from skdigits.datasets import digit_recognizer as datasets

    out = tmp_path / "out"
    files = _existing_outputs(out)

    def broken_writer(predictions, path):
        with datasets.atomic_write(path) as f:
            f.write("ImageId,Label\n1,")
            raise OSError("disk full")

    monkeypatch.setattr(datasets, "write_submission", broken_writer)
    assert exit_code(["run", "--train", data["train"], "--test", data["test"], "--output-dir", str(out),
                      *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err, "disk full")
    assert (out / "submission.csv").read_bytes() == files["submission.csv"]  # the model was saved first


def test_ctrl_c_during_training_exits_130_and_changes_nothing(data, tmp_path, monkeypatch, capsys):
    from sklearn.pipeline import Pipeline

    out = tmp_path / "out"
    files = _existing_outputs(out)

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Pipeline, "fit", interrupted)
    assert exit_code(["run", "--train", data["train"], "--test", data["test"], "--output-dir", str(out),
                      *TINY]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0] and "nothing was written" in err[0]
    assert _unchanged(out, files)


def test_real_sigint_and_sigterm_during_training_keep_existing_files(data, tmp_path):
    """Ctrl-C and SIGTERM as a user or a job scheduler sends them, to two real `skdigits run` processes at once."""
    import signal
    import time

    procs = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        out = tmp_path / sig.name
        files = _existing_outputs(out)
        procs[sig] = out, files, subprocess.Popen(
            [sys.executable, "-m", "skdigits", "run", "--train", data["train"], "--test", data["test"],
             "--output-dir", str(out), "--epochs", "500", "--filters", "8", "--dense-units", "16"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "SKDIGITS_DEBUG": ""},
            preexec_fn=interruptible)
    for sig, (out, files, proc) in procs.items():
        deadline = time.monotonic() + 120
        seen = ""
        while "Epoch 2/" not in seen and time.monotonic() < deadline:  # well into training
            line = proc.stderr.readline()
            if not line:
                break
            seen += line
        assert "Epoch 2/" in seen, seen
        proc.send_signal(sig)
        stdout, rest = proc.communicate(timeout=120)
        assert proc.returncode == 128 + sig, seen + rest
        assert stdout == ""
        last = rest.strip().splitlines()[-1]
        assert ("interrupted" if sig == signal.SIGINT else "SIGTERM") in last and "nothing was written" in last
        assert "Traceback" not in rest
        assert _unchanged(out, files)
