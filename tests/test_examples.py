"""Run every script in examples/ in fast mode and check what it prints and writes.

Each script runs once, in its own Python process, with ``SKDIGITS_FAST=1``
(1 epoch, a few hundred digits, a tiny network) and
``SKDIGITS_EXAMPLE_OUTPUT`` pointing at a fresh temporary folder, which is
also its working directory: a script that wrote anywhere else, or left a
stray file, fails here. A script starts when its test first asks for it,
with the next one beside it (two at a time); each test then checks one
script's exit status, its printed results and the files it wrote.
"""

import ast
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = (
    "kaggle_digit_recognizer.py",
    "pipeline_grid_search.py",
    "distributed_grid_search.py",
    "cross_validation_report.py",
    "persist_and_reuse.py",
    "quickstart.py",
)
TIMEOUT = 600  # seconds per script; fast mode needs well under a minute even on a busy machine
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NUMBER = r"(\d\.\d{4})"


def _run(name, folder):
    env = {**os.environ, "SKDIGITS_FAST": "1", "SKDIGITS_EXAMPLE_OUTPUT": str(folder), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


class ExampleRuns:
    """Each example run at most once, when a test first asks for it, with the next one started beside it.

    Started lazily, not all at once: pytest-xdist may hand this module's tests to two workers, and each
    would then have run every example.
    """

    def __init__(self, folders, pool):
        self.folders, self._pool, self._futures = folders, pool, {}

    def _start(self, name):
        if name not in self._futures:
            self._futures[name] = self._pool.submit(_run, name, self.folders[name])

    def get(self, name):
        """Return (future of the run, output folder) of one example; start the example after it too."""
        self._start(name)
        following = SCRIPTS[SCRIPTS.index(name) + 1:]
        if following:
            self._start(following[0])
        return self._futures[name], self.folders[name]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The examples' runs, two at a time, each in its own output folder."""
    folders = {name: tmp_path_factory.mktemp(name.removesuffix(".py")) for name in SCRIPTS}
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield ExampleRuns(folders, pool)


def finished(runs, name, expected_files):
    """Wait for one example; check it succeeded and wrote exactly ``expected_files``."""
    future, folder = runs.get(name)
    proc = future.result()
    assert proc.returncode == 0, f"{name} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(expected_files), f"{name} wrote {written}, expected {sorted(expected_files)}"
    return proc.stdout, folder


def one_match(pattern, text):
    found = re.findall(pattern, text, flags=re.MULTILINE)
    assert len(found) == 1, f"expected one line matching {pattern!r} in:\n{text}"
    return found[0]


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), f"{path} is not a PNG file"
    assert len(data) > 5000, f"{path} is suspiciously small ({len(data)} bytes)"


def test_every_example_is_run_here_and_documents_itself():
    on_disk = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert on_disk == sorted(SCRIPTS), "add new examples to SCRIPTS and give each a test"
    for name in SCRIPTS:
        doc = ast.get_docstring(ast.parse((EXAMPLES / name).read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()) >= 3, f"{name} needs a module docstring saying what it shows"
        assert "SKDIGITS_FAST=1" in doc, f"{name}'s docstring should mention its fast mode"


def test_kaggle_digit_recognizer(runs):
    from skdigits import load_digit_recognizer

    out, folder = finished(runs, "kaggle_digit_recognizer.py",
                           ["train.csv", "test.csv", "learning_curves.png", "submission.csv"])
    assert one_match(r"^Loaded (\d+) training and (\d+) test digits$", out) == ("400", "100")
    val = float(one_match(rf"^Validation accuracy after the last epoch: {NUMBER}$", out))
    test = float(one_match(rf"^Test accuracy: {NUMBER} on 100 held-out digits$", out))
    assert 0.0 <= val <= 1.0 and 0.0 <= test <= 1.0

    X_train, y_train = load_digit_recognizer(folder / "train.csv")
    X_test = load_digit_recognizer(folder / "test.csv")
    assert X_train.shape == (400, 784) and X_test.shape == (100, 784)
    assert sorted(set(y_train)) == list(range(10))  # a stratified split, not the first 400 (all zeros)

    lines = (folder / "submission.csv").read_text().splitlines()
    assert lines[0] == "ImageId,Label"
    rows = [line.split(",") for line in lines[1:]]
    assert [int(i) for i, _ in rows] == list(range(1, 101))
    assert {int(label) for _, label in rows} <= set(range(10))
    assert_png(folder / "learning_curves.png")


def test_pipeline_grid_search(runs):
    out, folder = finished(runs, "pipeline_grid_search.py", ["grid_search.png"])
    assert "Searched 4 candidates x 2 folds on 300 digits" in out
    table = re.findall(r"^\s*\d\s+(\(8,\)|\(4, 8\))\s+(rmsprop|adam)\s+([1-4])\s+" + NUMBER, out, re.MULTILINE)
    assert sorted((f, o) for f, o, _, _ in table) == sorted(
        (f, o) for f in ("(4, 8)", "(8,)") for o in ("adam", "rmsprop"))
    ranks = [int(rank) for _, _, rank, _ in table]
    assert ranks == sorted(ranks) and ranks[0] == 1  # best first (equal scores share a rank)
    filters, optimizer, best = one_match(
        r"^Best: filters=(\(8,\)|\(4, 8\)), optimizer=(rmsprop|adam), mean CV accuracy: " + NUMBER + "$", out)
    assert (filters, optimizer, best) == (table[0][0], table[0][1], table[0][3])
    assert_png(folder / "grid_search.png")


def test_distributed_grid_search(runs):
    pytest.importorskip("distributed", reason="install the distributed extra: pip install -e '.[distributed]'")
    out, folder = finished(runs, "distributed_grid_search.py", ["grid_search_report.md"])
    assert re.search(r"^Dask cluster: 2 workers, 2 threads, scheduler tcp://127\.0\.0\.1:\d+ "
                     r"\(a LocalCluster started here\)$", out, re.MULTILINE), out
    assert "Searched 4 candidates x 2 folds on 300 digits" in out
    # The 8 fits ran on the two workers (joblib may batch several fits into one task).
    busy = one_match(r"^Tasks per worker: (.+)$", out).split(", ")
    assert len(busy) == 2 and all(re.fullmatch(r"tcp://127\.0\.0\.1:\d+ [1-8]", w) for w in busy), busy
    table = re.findall(r"^\s*\d\s+(\(8,\)|\(4, 8\))\s+(rmsprop|adam)\s+([1-4])\s+" + NUMBER, out, re.MULTILINE)
    assert sorted((f, o) for f, o, _, _ in table) == sorted(
        (f, o) for f in ("(4, 8)", "(8,)") for o in ("adam", "rmsprop"))
    ranks = [int(rank) for _, _, rank, _ in table]
    assert ranks == sorted(ranks) and ranks[0] == 1
    filters, optimizer, best = one_match(
        r"^Best: filters=(\(8,\)|\(4, 8\)), optimizer=(rmsprop|adam), mean CV accuracy: " + NUMBER + "$", out)
    assert (filters, optimizer, best) == (table[0][0], table[0][1], table[0][3])
    markdown = (folder / "grid_search_report.md").read_text()
    assert markdown.startswith("# Grid search on Dask\n") and "| candidate |" in markdown
    assert re.search(rf"\|\s+{best} \|", markdown), markdown


def test_cross_validation_report(runs):
    out, folder = finished(runs, "cross_validation_report.py", ["cv_report.md"])
    mean, std = one_match(rf"^Accuracy: {NUMBER} \+/- {NUMBER} over 3 folds of 300 digits$", out)
    folds = [float(one_match(rf"^fold {k}\s+{NUMBER}\s", out)) for k in (1, 2, 3)]
    assert float(mean) == pytest.approx(np.mean(folds), abs=2e-4)
    assert float(std) == pytest.approx(np.std(folds), abs=2e-4)
    markdown = (folder / "cv_report.md").read_text()
    assert re.search(rf"^\| mean\s+\|\s+{mean} \|", markdown, re.MULTILINE), markdown
    assert "| fold 3 |" in markdown


def test_persist_and_reuse(runs):
    out, folder = finished(runs, "persist_and_reuse.py",
                           ["digits.joblib", "new_digits.npy", "proba_from_new_process.npy"])
    accuracy = float(one_match(rf"^Trained on 400 digits; accuracy on 100 new digits: {NUMBER}$", out))
    assert 0.0 <= accuracy <= 1.0
    assert one_match(r"^predict_proba in a new process is identical bit for bit: (\w+)$", out) == "True"
    proba = np.load(folder / "proba_from_new_process.npy")
    assert proba.shape == (100, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.load(folder / "new_digits.npy").shape == (100, 784)


def test_quickstart(runs):
    out, _ = finished(runs, "quickstart.py", [])
    mean, std = one_match(rf"^3-fold accuracy on 300 8x8 digits: {NUMBER} \+/- {NUMBER}$", out)
    folds = [float(s) for s in one_match(r"^per fold: ([\d. ]+) \(\d+ s\)$", out).split()]
    assert len(folds) == 3
    assert float(mean) == pytest.approx(np.mean(folds), abs=2e-4)
    assert float(std) == pytest.approx(np.std(folds), abs=2e-4)
