"""The command line's recipes and options: what each recipe sets, and what the options override."""

import argparse

import pytest
from helpers import TINY_CLI as TINY

from skdigits import ACCURATE_RECIPE, FAST_RECIPE, cli
from skdigits.cli import options
from skdigits.persistence import load_model


def test_run_defaults():
    args = cli.build_parser().parse_args(["run"])
    assert (args.train, args.test, args.holdout, args.augment) == (None, None, 0.2, True)
    assert (args.recipe, args.epochs) == ("fast", None)  # None: the recipe's, filled in by main
    options.fill_in_recipe_epochs(args)
    assert args.epochs == FAST_RECIPE["epochs"] == "auto"
    assert args.output_dir == options.DEFAULT_OUTPUT_DIR == "skdigits-output"


@pytest.mark.parametrize("argv, expected", [
    ([], dict(filters=(8,), optimizer="adam", learning_rate=0.004, lr_schedule="one-cycle", label_smoothing=0.1)),
    (["--recipe", "tutorial"],
     dict(filters=(8,), optimizer="rmsprop", learning_rate=None, lr_schedule="constant", label_smoothing=0.0)),
    (["--recipe", "tutorial", "--optimizer", "adam", "--learning-rate", "0.002"],
     dict(optimizer="adam", learning_rate=0.002, lr_schedule="constant", label_smoothing=0.0)),
])
def test_recipe_sets_what_the_options_do_not(data, tmp_path, argv, expected):
    out = tmp_path / "out"
    assert cli.main(["train", "--train", data["train"], "--output-dir", str(out), *TINY, *argv]) == 0
    params = load_model(out / "model.skdigits")[-1].get_params()
    assert {name: params[name] for name in expected} == expected


@pytest.mark.parametrize("argv, epochs", [([], "auto"), (["--recipe", "tutorial"], 30),
                                             (["--recipe", "tutorial", "--epochs", "3"], 3)])
def test_epochs_default_to_the_recipes(argv, epochs):
    args = cli.build_parser().parse_args(["train", *argv])
    options.fill_in_recipe_epochs(args)
    assert args.epochs == epochs
    params = options.classifier_params(args)
    assert params["epochs"] == epochs
    assert params["filters"] == ((32, 64, 64) if "tutorial" in argv else (32, 64))


def test_the_accurate_recipe_fills_its_parameters():
    args = cli.build_parser().parse_args(["train", "--recipe", "accurate", "--learning-rate", "0.001"])
    options.fill_in_recipe_epochs(args)
    params = options.classifier_params(args)
    assert params["epochs"] == 40 and params["learning_rate"] == 0.001  # the option overrides the recipe
    assert {name: params[name] for name in ACCURATE_RECIPE if name not in ("epochs", "learning_rate")} == {
        name: value for name, value in ACCURATE_RECIPE.items() if name not in ("epochs", "learning_rate")}
    assert params["downsample"] == "stride" and params["padding"] == "valid" and params["block_dropout"] == 0.2
    parser = argparse.ArgumentParser()
    options.add_training_options(parser)
    assert "or accurate, a strided batch-norm" in " ".join(parser.format_help().split())


@pytest.mark.parametrize("argv, precision", [([], "auto"), (["--recipe", "tutorial"], "float32"),
                                                (["--precision", "bfloat16"], "bfloat16"),
                                                (["--recipe", "accurate", "--precision", "auto"], "auto")])
def test_precision_defaults_to_the_recipes(argv, precision):
    args = cli.build_parser().parse_args(["train", *argv])
    options.fill_in_recipe_epochs(args)
    assert options.classifier_params(args)["precision"] == precision


def test_an_unknown_precision_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(["train", "--precision", "float16"])
    assert exit_.value.code == 2
    assert "--precision: invalid choice: 'float16' (choose from" in capsys.readouterr().err
    parser = argparse.ArgumentParser()
    options.add_training_options(parser)
    assert "auto for fast, float32 for tutorial, float32 for accurate" in " ".join(parser.format_help().split())
