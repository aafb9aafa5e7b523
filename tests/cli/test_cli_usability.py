"""The command line's small courtesies: "did you mean", one-line warnings, a default grid with the defaults."""

import types
import warnings

import pytest

from skdigits.cli import main
from skdigits.cli.main import _interrupted
from skdigits.cli.parser import build_parser
from skdigits.exceptions import ModelVersionWarning
from skdigits.recipes import FAST_RECIPE, TUTORIAL_RECIPE


@pytest.mark.parametrize("argv, suggestion", [
    (["prdict"], "did you mean 'predict'?"),
    (["serv"], "did you mean 'serve'?"),
    (["run", "--recipe", "acurate"], "did you mean 'accurate'?"),
    (["train", "--learnig-rate", "0.1"], "did you mean '--learning-rate'?"),
    (["cv", "--fodls", "3"], "did you mean '--folds'?"),
])
def test_a_mistyped_command_choice_or_option_gets_a_did_you_mean(argv, suggestion, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1
    assert err[0].startswith("skdigits: error:") and suggestion in err[0]


@pytest.mark.parametrize("argv", [["zzzzzz"], ["train", "--zzzzzz"]])
def test_nothing_close_gets_no_suggestion(argv, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    assert "did you mean" not in capsys.readouterr().err


def test_a_warning_in_a_command_is_one_line_like_its_errors(monkeypatch, capsys):
    from skdigits.cli.commands import evaluate

    def warns(args, session):
        warnings.warn("model.skdigits was saved with keras 3.5.0; check its predictions.", ModelVersionWarning,
                      stacklevel=2)
        return 0

    monkeypatch.setattr(evaluate, "run", warns)
    assert main(["evaluate", "--data", "unused.csv"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["skdigits: warning: model.skdigits was saved with keras 3.5.0; check its predictions."]


def test_the_search_grid_holds_the_default_network_and_the_tutorials():
    args = build_parser().parse_args(["search"])
    assert FAST_RECIPE["filters"] in args.filters and TUTORIAL_RECIPE["filters"] in args.filters
    assert FAST_RECIPE["optimizer"] in args.optimizers and TUTORIAL_RECIPE["optimizer"] in args.optimizers


def test_the_learning_rate_is_not_listed_under_the_searched_grid():
    help_text = build_parser()._subparsers._group_actions[0].choices["search"].format_help()
    grid = help_text.split("grid:")[1].split("\n\n")[0]
    assert "--filters" in grid and "--learning-rate" not in grid


def test_sigterm_on_serve_says_the_server_stopped_not_that_files_are_untouched():
    session = types.SimpleNamespace(args=types.SimpleNamespace(command="serve"), written=[])
    assert _interrupted(session, "terminated (SIGTERM)") == "terminated (SIGTERM); the server stopped."
    session.args.command = "train"
    assert "nothing was written" in _interrupted(session, "terminated (SIGTERM)")
