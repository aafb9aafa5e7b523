"""``run --test`` and ``train`` save a refit on every labelled digit (skdigits/cli/refit.py).

Fits are seeded, so each test compares the saved network, weight for
weight, with a pipeline fitted directly in Python on the digits it should
have trained on.
"""

import json

import numpy as np
import pytest
from helpers import TINY_CLI as TINY

from skdigits import FAST_RECIPE, cli
from skdigits.datasets.digit_recognizer import load_digit_recognizer
from skdigits.persistence import load_model


def fitted_directly(data, **params):
    """The pipeline that CLI options TINY make, fitted in Python on all of the tiny train.csv."""
    from skdigits import make_digit_pipeline

    X, y = load_digit_recognizer(data["train"])
    return make_digit_pipeline(**{**FAST_RECIPE, "epochs": 1, "filters": (8,), "dense_units": 16, "batch_size": 64,
                                  "random_state": 0, "verbose": 0, **params}).fit(X, y)


def same_network(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a[-1].model_.get_weights(), b[-1].model_.get_weights()))


def test_run_submits_a_refit_on_every_digit_with_the_first_fits_temperature(data, tmp_path):
    out = tmp_path / "out"
    assert cli.main(["run", "--train", data["train"], "--test", data["test"], "--output-dir", str(out),
                     "--random-state", "0", *TINY]) == 0
    saved = load_model(out / "model.skdigits")
    # Fits are seeded, so the refit's network is the one a fit on all 300 digits, without validation, gives.
    everything = fitted_directly(data, validation_split=0.0, temperature_scaling=False)
    assert same_network(saved, everything)
    assert saved[-1].temperature_ != 1.0 and saved[-1].temperature_scaling  # the first fit's, on its validation part
    assert saved[-1].validation_split == 0.0


def test_without_a_validation_part_the_refit_calibrates_itself(data, tmp_path):
    # The first fit's temperature would come from its own training digits: the refit fits its own instead.
    out = tmp_path / "out"
    assert cli.main(["run", "--train", data["train"], "--test", data["test"], "--output-dir", str(out),
                     "--random-state", "0", "--validation-split", "0", *TINY]) == 0
    saved, everything = load_model(out / "model.skdigits"), fitted_directly(data, validation_split=0.0)
    assert same_network(saved, everything)
    assert saved[-1].temperature_ == pytest.approx(everything[-1].temperature_, rel=1e-6)
    assert json.loads((out / "report.json").read_text())["refit"] is True


@pytest.mark.parametrize("command", ["run", "train"])
def test_no_refit_keeps_the_first_fit(command, data, tmp_path):
    out = tmp_path / "out"
    argv = [command, "--train", data["train"], "--output-dir", str(out), "--random-state", "0", "--no-refit", "--json",
            *TINY, *(["--test", data["test"], "--holdout", "0"] if command == "run" else [])]
    assert cli.main(argv) == 0
    result = json.loads((out / "report.json").read_text()) if command == "run" else None
    saved = load_model(out / "model.skdigits")
    assert saved[-1].validation_split == 0.1
    assert same_network(saved, fitted_directly(data, validation_split=0.1))
    if result is not None:
        assert result["n_trained"] == 270 and result["refit"] is False
        assert result["accuracy_of"].startswith("not measured")
        assert "accuracy" not in result


def test_train_refits_on_every_digit_and_reports_it(data, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["train", "--train", data["train"], "--output-dir", str(out), "--random-state", "0", "--json",
                     *TINY]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_trained"] == 300 and result["refit"] is True
    assert "val_loss" in result["final_epoch"]  # the curves come from the first fit, which validated
    saved = load_model(out / "model.skdigits")
    assert same_network(saved, fitted_directly(data, validation_split=0.0, temperature_scaling=False))


def test_auto_epochs_are_resolved_once_for_the_refits_digits(data, tmp_path, monkeypatch, capsys):
    from skdigits._training import epochs as auto
    from skdigits._training import precision

    # Sizes moved down to the tiny train.csv: "auto" gives 8 epochs on its 300 digits, 11 on the first fit's 216
    # (in float32, whatever the CPU).
    monkeypatch.setattr(auto, "SMALL_TRAINING_SET", 100)
    monkeypatch.setattr(auto, "LARGE_TRAINING_SET", 300)
    monkeypatch.setattr(precision, "cpu_computes_bfloat16", lambda: False)
    assert auto.resolve_epochs("auto", 216) == 11
    out = tmp_path / "out"
    tiny = [arg for arg in TINY if arg not in ("--epochs", "1", "--quiet")]
    assert cli.main(["run", "--train", data["train"], "--test", data["test"], "--output-dir", str(out),
                     "--random-state", "0", *tiny]) == 0
    saved = load_model(out / "model.skdigits")[-1]
    assert saved.epochs == 8 and len(saved.history_["loss"]) == 8
    err = capsys.readouterr().err
    assert "Training on 216 digits (and 24 for validation) for 8 epochs" in err
    assert "Refitting on all 300 digits for 8 epochs" in err
