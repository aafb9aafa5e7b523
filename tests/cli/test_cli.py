"""The ``skdigits`` command line: every subcommand on tiny data, and its errors.

Most tests call ``skdigits.cli.main`` in-process (fast: TensorFlow loads once);
a few run the real ``python -m skdigits`` entry point in a subprocess.
"""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import TINY_CLI as TINY
from helpers import assert_one_line_error, exit_code

from skdigits import cli
from skdigits.cli import options
from skdigits.datasets.digit_recognizer import load_digit_recognizer, load_sample, write_digit_recognizer
from skdigits.persistence import load_joblib, load_model, save_joblib

# A network that trains on a few hundred 28x28 digits in about a second.
FIGURES = ("learning_curves.png", "test_digits.png", "confusion_matrix.png", "top_errors.png")


def run_python(*args, timeout=300):
    """Run ``python -m skdigits ARGS`` (or ``python -c``) in a fresh interpreter."""
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "SKDIGITS_DEBUG": ""})


@pytest.fixture(scope="module")
def model_file(data, tmp_path_factory):
    """A model trained by ``skdigits train`` on the tiny train.csv."""
    out = tmp_path_factory.mktemp("trained")
    assert cli.main(["train", "--train", data["train"], "--output-dir", str(out), *TINY]) == 0
    return str(out / "model.skdigits")


def check_submission(path, n):
    sub = pd.read_csv(path)
    assert list(sub.columns) == ["ImageId", "Label"]
    assert sub["ImageId"].tolist() == list(range(1, n + 1))
    assert sub["Label"].between(0, 9).all()
    return sub


def check_pngs(folder, names):
    for name in names:
        path = folder / name
        assert path.stat().st_size > 5000, f"{name} is missing or nearly empty"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- the real entry point
def test_help_is_fast_and_imports_nothing_heavy():
    done = run_python("-m", "skdigits", "--help", timeout=60)
    assert done.returncode == 0, done.stderr
    for command in ("run", "train", "predict", "evaluate", "cv", "search"):
        assert command in done.stdout
    probe = run_python("-c", "import sys; from skdigits import cli; cli.build_parser().parse_args(['run']); "
                             "print(sorted({'tensorflow', 'keras', 'sklearn', 'pandas', 'matplotlib', 'numpy'}"
                             " & set(sys.modules)))", timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_bad_input_in_a_real_process_exits_2_with_one_quiet_line(model_file, data):
    # Loads the model (and TensorFlow) first, then rejects the unlabelled file: no TF noise, no traceback.
    done = run_python("-m", "skdigits", "evaluate", "--model", model_file, "--data", data["test"], "--quiet")
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_line_error(done.stderr, "label")


# ---------------------------------------------------------------- subcommands
def test_run_on_kaggle_files_writes_everything(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", "--train", data["train"], "--test", data["test"], "--output-dir", str(out),
                     *TINY]) == 0
    stdout = capsys.readouterr().out
    assert "Held-out accuracy" in stdout
    check_submission(out / "submission.csv", 40)
    check_pngs(out, FIGURES)
    report = json.loads((out / "report.json").read_text())
    # The submitted model is a second fit, on all 300 digits; the accuracy is the first fit's, on 240 - 24.
    assert report["n_trained"] == 300 and report["refit"] is True
    assert report["n_holdout"] == 60 and report["n_predicted"] == 40
    assert "first fit with the same settings, which trained on 216 " in report["accuracy_of"]
    assert report["timings"]["refit_seconds"] > 0
    assert 0 <= report["accuracy"] <= 1
    assert set(report["per_class"]) >= {str(d) for d in range(10)}
    assert report["settings"]["epochs"] == 1 and report["settings"]["filters"] == [8]
    assert report["timings"]["fit_seconds"] > 0
    markdown = (out / "report.md").read_text()
    assert "Held-out accuracy" in markdown and "## Settings" in markdown
    # The saved model reloads and predicts the test file like the submission says.
    model = load_model(out / "model.skdigits")
    predicted = model.predict(load_digit_recognizer(data["test"]))
    np.testing.assert_array_equal(predicted, pd.read_csv(out / "submission.csv")["Label"])
    assert not [p for p in os.listdir(out) if p.startswith(".tmp-")]


def test_run_with_no_data_options_uses_the_sample_and_prints_only_json(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", "--output-dir", str(out), "--json", *TINY]) == 0
    result = json.loads(capsys.readouterr().out)  # the whole of stdout is one JSON document
    assert result["command"] == "run"
    assert result["n_holdout"] == 1000 and result["n_predicted"] == 1000
    # The held-out part is the test set here, so nothing is refitted on it.
    assert result["refit"] is False and result["n_trained"] == 4000 - 400
    assert result["accuracy_of"] == "the saved model"
    assert "sample" in result["data"]["train"]
    check_submission(out / "submission.csv", 1000)
    check_pngs(out, FIGURES)


def test_train_predict_evaluate(data, model_file, tmp_path, capsys):
    model = load_model(model_file)
    assert model.predict(load_digit_recognizer(data["test"])).shape == (40,)
    assert os.path.getsize(os.path.join(os.path.dirname(model_file), "learning_curves.png")) > 5000

    submission = tmp_path / "sub.csv"
    assert cli.main(["predict", "--model", model_file, "--test", data["test"], "--submission", str(submission),
                     "--quiet"]) == 0
    check_submission(submission, 40)
    assert "40 predictions" in capsys.readouterr().out

    out = tmp_path / "eval"
    assert cli.main(["evaluate", "--model", model_file, "--data", data["labelled"], "--output-dir", str(out),
                     "--quiet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 100 and 0 <= result["accuracy"] <= 1
    assert np.asarray(result["confusion_matrix"]["matrix"]).sum() == 100
    assert {"precision", "recall", "f1-score", "support"} <= set(result["per_class"]["macro avg"])
    check_pngs(out, ["confusion_matrix.png", "top_errors.png"])


def test_predict_defaults_to_the_output_folder(data, model_file, tmp_path, capsys):
    folder = os.path.dirname(model_file)
    assert cli.main(["predict", "--output-dir", folder, "--test", data["labelled"], "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == model_file and result["n_predicted"] == 100
    check_submission(os.path.join(folder, "submission.csv"), 100)


def test_cv_prints_a_table_and_json(data, tmp_path, capsys):
    out = tmp_path / "cv"
    assert cli.main(["cv", "--train", data["train"], "--folds", "2", "--output-dir", str(out), *TINY]) == 0
    text = capsys.readouterr().out
    assert "fold 1" in text and "fold 2" in text and "mean" in text and "Accuracy:" in text
    assert (out / "cv_report.md").exists()
    assert cli.main(["cv", "--train", data["train"], "--folds", "2", "--output-dir", str(out), "--json",
                     *TINY]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result["report"]) == ["fold 1", "fold 2", "mean", "std"]
    assert 0 <= result["mean_accuracy"] <= 1


def test_search_ranks_candidates_and_saves_the_best(data, tmp_path, capsys):
    out = tmp_path / "search"
    argv = ["search", "--train", data["train"], "--filters", "8", "4", "--optimizers", "rmsprop", "adam",
            "--folds", "2", "--output-dir", str(out), "--json", *[a for a in TINY if a not in ("--filters", "8")]]
    assert cli.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    ranks = [row["rank"] for row in result["ranking"]]
    assert len(ranks) == 4 and ranks == sorted(ranks)
    assert {(tuple(r["filters"]), r["optimizer"]) for r in result["ranking"]} == {
        ((8,), "rmsprop"), ((8,), "adam"), ((4,), "rmsprop"), ((4,), "adam")}
    best = load_model(out / "best_model.skdigits")
    assert best[-1].get_params()["filters"] == tuple(result["best_params"]["filters"])
    check_pngs(out, ["grid_search.png"])
    assert (out / "search_report.md").exists()


# ---------------------------------------------------------------- errors: exit 2, one line
@pytest.mark.parametrize("argv, words", [
    (["run", "--train", "{folder}/missing.csv"], ["missing.csv", "no such file"]),
    (["train", "--train", "{bad}"], ["bad.csv"]),
    (["train", "--train", "{test}"], ["label"]),
    (["cv", "--train", "{folder}"], ["folder"]),
    (["predict", "--model", "{train}", "--test", "{test}"], ["CSV", "not a model"]),
    (["predict", "--model", "{folder}/none.skdigits", "--test", "{test}"], ["no such model file"]),
    (["run", "--holdout", "0"], ["--test"]),
    (["run", "--epochs", "0"], ["--epochs"]),
    (["train", "--batch-size", "-3"], ["--batch-size"]),
    (["run", "--holdout", "1.5"], ["--holdout"]),
    (["search", "--filters", "32,x"], ["--filters"]),
    (["search", "--optimizers", "nope"], ["--optimizers"]),
    (["train", "--optimizer", "nope"], ["--optimizer", "nope"]),
    (["train", "--learning-rate", "inf"], ["--learning-rate"]),
    (["train", "--learning-rate", "nan"], ["--learning-rate"]),
    (["cv", "--folds", "1"], ["--folds"]),
    (["cv", "--n-jobs", "-2"], ["--n-jobs"]),
    (["cv", "--n-jobs", "0"], ["--n-jobs"]),
    (["predict"], ["--test"]),
    (["fly"], ["fly"]),
    ([], ["command"]),
])
def test_bad_usage_or_input_exits_2_with_one_line(data, argv, words, tmp_path, capsys):
    argv = [a.format(**data) for a in argv] + ["--quiet", "--output-dir", str(tmp_path / "out")] * (len(argv) > 1)
    assert exit_code(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, *words)


def test_n_jobs_is_capped_at_the_cores_with_a_note(capsys):
    from skdigits.cli.session import Session

    cores = options.available_cores()
    for given, expected in ((None, None), (1, 1), (-1, cores), (cores + 1, cores), (10**6, cores)):
        args = cli.build_parser().parse_args(["cv", "--n-jobs", str(given)] if given else ["cv"])
        assert Session(args).n_jobs() == expected
    err = capsys.readouterr().err
    assert err.count("using") == 2 and f"{10**6}" in err


@pytest.mark.parametrize("bug", [TypeError("unhashable"), RuntimeError("oops"), AttributeError("x")])
def test_a_bug_keeps_its_traceback_and_is_not_called_bad_input(bug, monkeypatch, tmp_path):
    from skdigits.cli.commands import train

    def broken(args, session):
        raise bug

    monkeypatch.setattr(train, "run", broken)
    with pytest.raises(type(bug)):
        cli.main(["train", "--output-dir", str(tmp_path), "--quiet"])


def test_a_bug_in_a_real_process_exits_1_with_its_traceback(tmp_path):
    done = run_python("-c", "import sys; from skdigits.cli import main, commands; "
                            "commands.train.run = lambda args, session: {}['missing']; "
                            f"sys.exit(main(['train', '--output-dir', {str(tmp_path)!r}]))", timeout=60)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "KeyError" in done.stderr


def test_an_output_dir_that_cannot_be_written_is_refused_before_training(data, capsys, monkeypatch):
    from skdigits.cli.commands import train

    def never(*args, **kwargs):
        raise AssertionError("the training data was loaded")

    monkeypatch.setattr(train, "load_labelled", never)
    assert exit_code(["train", "--train", data["train"], "--output-dir", "/proc/skdigits-out", *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err, "/proc")  # refused before loading data, so before training


def test_output_dir_that_is_a_file(data, tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    assert exit_code(["train", "--train", data["train"], "--output-dir", str(blocker), *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err)


@pytest.mark.parametrize("damage", ["empty", "truncated", "pickled dict"])
def test_damaged_or_foreign_model_files(data, model_file, tmp_path, capsys, damage):
    path = tmp_path / "model.skdigits"
    content = Path(model_file).read_bytes()
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    else:
        path.write_bytes(pickle.dumps({"not": "a model"}))
    assert exit_code(["predict", "--model", str(path), "--test", data["test"], "--quiet",
                      "--output-dir", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, str(path))
    assert not (tmp_path / "submission.csv").exists()


def test_persistence_errors_are_typed(tmp_path):
    with pytest.raises(TypeError, match="predict"):
        save_joblib({"a": 1}, tmp_path / "m.joblib")
    (tmp_path / "dict.joblib").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(TypeError, match="list"):
        load_joblib(tmp_path / "dict.joblib")
    with pytest.raises(ValueError, match="joblib/pickle file, not the safe format"):
        load_model(tmp_path / "dict.joblib")
    (tmp_path / "empty.joblib").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_joblib(tmp_path / "empty.joblib")
    with pytest.raises(IsADirectoryError):
        load_model(tmp_path)


def test_predict_needs_no_tensorflow_and_writes_the_keras_models_predictions(data, model_file, digit_photos,
                                                                            tmp_path):
    submission = tmp_path / "sub.csv"
    proc = run_python("-c", (
        "import sys; from skdigits import cli; "
        f"code = cli.main(['predict', '--model', {model_file!r}, '--test', {data['test']!r}, "
        f"'--submission', {str(submission)!r}, '--quiet']); "
        f"code += cli.main(['predict', '--model', {model_file!r}, '--images', {str(digit_photos)!r}, '--quiet']); "
        "print(sorted(m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules)); sys.exit(code)"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    expected = load_model(model_file).predict(load_digit_recognizer(data["test"]))
    np.testing.assert_array_equal(pd.read_csv(submission)["Label"], expected)


# ---------------------------------------------------------------- your own digits
@pytest.fixture(scope="module")
def digit_photos(tmp_path_factory):
    """Six sample digits saved as dark-on-light PNGs, 3x larger and off-centre, like photos of ink on paper."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("photos")
    X, y = load_sample()
    for label in range(6):
        i = int(np.flatnonzero(y.to_numpy() == label)[0])
        page = np.full((120, 140), 235, np.uint8)
        digit = np.kron(X.iloc[i].to_numpy().reshape(28, 28), np.ones((3, 3))).astype(np.uint8)
        page[10:94, 30:114] = 235 - (digit * (200 / 255)).astype(np.uint8)
        Image.fromarray(page).save(folder / f"digit{label}.png")
    return folder


def test_predict_images_prints_a_table_json_and_csv(model_file, digit_photos, tmp_path, capsys):
    from skdigits.images.files import as_model_input, load_digit_images
    from skdigits.predictor import load_predictor

    model = load_predictor(model_file)
    digits, files = load_digit_images(digit_photos, return_paths=True)
    proba = model.predict_proba(as_model_input(model, digits))
    assert exit_code(["predict", "--model", model_file, "--images", str(digit_photos), "--json", "--quiet"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["file"] for row in rows] == [str(f) for f in files] and len(rows) == 6
    assert [row["label"] for row in rows] == model.classes_[proba.argmax(axis=1)].tolist()
    np.testing.assert_allclose([row["probability"] for row in rows], proba.max(axis=1), rtol=1e-6)

    table = tmp_path / "table.csv"
    assert exit_code(["predict", "--model", model_file, "--images", *map(str, files[:2]), "--output", str(table),
                      "--quiet"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == ["file", "label", "probability"] and len(text) == 4  # header, 2 rows, "Wrote"
    written = pd.read_csv(table)
    assert list(written.columns) == ["file", "label", "probability"]
    assert written["label"].tolist() == [row["label"] for row in rows[:2]]


def test_predict_images_refuses_a_file_that_is_not_an_image_in_one_line(model_file, digit_photos, tmp_path, capsys):
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    assert exit_code(["predict", "--model", model_file, "--images", str(digit_photos / "digit0.png"),
                      str(fake), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, "notes.png")
    assert exit_code(["predict", "--model", model_file, "--images", str(fake), "--submission", "x.csv"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--submission")


# ---------------------------------------------------------------- found by a hostile tester
def test_an_output_on_stdout_gets_the_file_alone_and_the_summary_goes_to_stderr(data, model_file, tmp_path):
    submission, model = tmp_path / "sub.csv", tmp_path / "model.skdigits"
    with open(submission, "w") as out:
        done = subprocess.run([sys.executable, "-m", "skdigits", "predict", "--model", model_file, "--test",
                               data["test"], "--submission", "/dev/stdout"], stdout=out, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check_submission(submission, 40)  # every line a submission's: nothing printed over it
    assert "Wrote /dev/stdout" in done.stderr
    with open(model, "wb") as out:
        done = subprocess.run([sys.executable, "-m", "skdigits", "train", "--train", data["train"], "--model",
                               "/dev/stdout", "--output-dir", str(tmp_path), *TINY], stdout=out,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(load_model(model).predict(load_digit_recognizer(data["test"]))) == 40


@pytest.fixture(scope="module")
def lettered_model(tmp_path_factory):
    """A model whose classes are letters, not digits."""
    from skdigits import make_digit_pipeline, save_model

    X, y = load_sample()
    pipe = make_digit_pipeline(filters=(4,), dense_units=8, epochs=1, random_state=0)
    pipe.fit(X.iloc[::25], np.where(y.iloc[::25] < 5, "low", "high"))
    return str(save_model(pipe, tmp_path_factory.mktemp("letters") / "letters.skdigits"))


@pytest.mark.parametrize("command, option", [("predict", "--test"), ("evaluate", "--data")])
def test_a_model_of_other_labels_is_refused_for_digit_labels_in_one_line(lettered_model, data, command, option,
                                                                         tmp_path, capsys):
    assert exit_code([command, "--model", lettered_model, option, data["labelled"], "--output-dir", str(tmp_path),
                      "--quiet"]) == 2
    assert_one_line_error(capsys.readouterr().err, "letters.skdigits", "not digits")


def test_more_folds_than_the_rarest_class_is_refused_before_fitting(tmp_path, capsys):
    X, y = load_sample()
    train = tmp_path / "few.csv"
    write_digit_recognizer(X.iloc[::100], train, y=y.iloc[::100])  # 5 digits of each class
    assert exit_code(["cv", "--train", str(train), "--folds", "6", "--output-dir", str(tmp_path), *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err, "--folds 6", "--folds 5 or fewer")


def test_serve_on_an_address_of_another_machine_is_one_line(model_file, capsys):
    assert exit_code(["serve", "--model", model_file, "--host", "192.0.2.1", "--port", "0", "--quiet"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--host 192.0.2.1")


def test_predicting_a_csv_with_a_model_fitted_on_arrays_warns_about_nothing(data, tmp_path):
    from skdigits import make_digit_pipeline, save_model

    X, y = load_sample()
    pipe = make_digit_pipeline(filters=(4,), dense_units=8, epochs=1, random_state=0)
    model = save_model(pipe.fit(X.to_numpy()[::25], y.to_numpy()[::25]), tmp_path / "arrays.skdigits")
    done = run_python("-W", "always", "-m", "skdigits", "predict", "--model", str(model), "--test", data["test"],
                      "--submission", str(tmp_path / "s.csv"), "--quiet")
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_cv_and_search_say_which_fit_is_running(data, tmp_path, capsys):
    loud = [a for a in TINY if a != "--quiet"]
    assert cli.main(["cv", "--train", data["train"], "--folds", "2", "--output-dir", str(tmp_path / "cv"), *loud]) == 0
    err = capsys.readouterr().err
    assert err.index("Fold 1/2...") < err.index("Fold 2/2...")
    argv = ["search", "--train", data["train"], "--filters", "8", "4", "--optimizers", "adam", "--folds", "2",
            "--output-dir", str(tmp_path / "search"), *[a for a in loud if a not in ("--filters", "8")]]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    labels = ["Candidate 1/2 (filters=(8,), optimizer=adam), fold 1/2...",
              "Candidate 1/2 (filters=(8,), optimizer=adam), fold 2/2...",
              "Candidate 2/2 (filters=(4,), optimizer=adam), fold 1/2...",
              "Candidate 2/2 (filters=(4,), optimizer=adam), fold 2/2...", "Refitting the best candidate on all"]
    assert [err.index(label) for label in labels] == sorted(err.index(label) for label in labels)
    assert "warning" not in err  # the announcer is not saved with the best model
    assert load_model(tmp_path / "search" / "best_model.skdigits")[-1].get_params()["callbacks"] is None


def test_predict_proba_writes_each_digits_probabilities_for_blending(data, model_file, tmp_path, capsys):
    proba = tmp_path / "proba.csv"
    assert cli.main(["predict", "--model", model_file, "--test", data["labelled"], "--proba", str(proba),
                     "--submission", str(tmp_path / "submission.csv"), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["proba"] == str(proba)
    table = pd.read_csv(proba)
    model = load_model(model_file)
    assert list(table.columns) == ["ImageId", *map(str, model.classes_)]
    assert table["ImageId"].tolist() == list(range(1, 101))
    X = pd.read_csv(data["labelled"]).drop(columns="label")
    np.testing.assert_allclose(table.drop(columns="ImageId").to_numpy(), model.predict_proba(X.to_numpy()),
                               rtol=0, atol=1e-6)
    submission = pd.read_csv(tmp_path / "submission.csv")
    assert (submission["Label"].to_numpy() == table.drop(columns="ImageId").to_numpy().argmax(axis=1)).all()


def test_proba_goes_with_test_not_images(model_file, tmp_path, capsys):
    assert cli.main(["predict", "--model", model_file, "--images", str(tmp_path), "--proba", "p.csv"]) == 2
    assert "--proba goes with --test" in capsys.readouterr().err
