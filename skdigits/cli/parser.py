"""The ``skdigits`` argument parser, built from the command modules."""

import argparse
import difflib
import re

from skdigits.cli import commands

__all__ = ["PROG", "build_parser"]

PROG = "skdigits"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``skdigits: error: ...``, with a "did you mean"."""

    def error(self, message):
        """Print a one-line usage error to stderr and exit with status 2.

        Parameters
        ----------
        message : str
            What is wrong with the command line.
        """
        self.exit(2, f"{PROG}: error: {message}{_did_you_mean(self, message)} (see '{self.prog} --help')\n")


def _did_you_mean(parser, message):
    """``"; did you mean 'predict'?"`` for a mistyped command, choice or option, else ``""``."""
    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if choice:
        typed, options = choice.group(1), re.findall(r"'?([^',\s]+)'?", choice.group(2))
    else:
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if unknown is None or not unknown.group(1).startswith("--"):
            return ""
        typed, options = unknown.group(1).split("=", 1)[0], _option_strings(parser)
    close = difflib.get_close_matches(typed, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _option_strings(parser):
    """Every long option of ``parser`` and of its commands (argparse reports unknown ones at the top)."""
    found = set()
    for action in parser._actions:  # argparse keeps no public list of a parser's options
        found.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.update(_option_strings(sub))
    return sorted(found)


def _version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("skdigits")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_parser():
    """Build the ``skdigits`` argument parser with all its subcommands.

    Returns
    -------
    argparse.ArgumentParser
        The parser; ``parse_args`` sets ``handler`` to the subcommand's
        ``run`` function.

    Examples
    --------
    >>> from skdigits.cli import build_parser
    >>> build_parser().parse_args(["train", "--epochs", "5"]).epochs
    5
    """
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=PROG, formatter_class=formatter,
        description="Handwritten-digit recognition (Kaggle 'Digit Recognizer' / MNIST) with a Keras CNN "
                    "wrapped as a scikit-learn estimator.",
        epilog="examples:\n"
               "  skdigits run                                    # the whole job on the embedded sample\n"
               "  skdigits run --train train.csv --test test.csv  # Kaggle: writes submission.csv\n"
               "  skdigits train --train train.csv && skdigits predict --test test.csv\n"
               "\n"
               "Results go to stdout, progress to stderr. Bad usage or input exits with status 2,\n"
               "Ctrl-C with 130 and SIGTERM with 143, leaving existing files as they were.\n"
               "Set SKDIGITS_DEBUG=1 to see a traceback instead of a one-line error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for command in commands.ALL:
        sub = subparsers.add_parser(command.NAME, help=command.HELP, description=command.DESCRIPTION,
                                    formatter_class=formatter)
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run)
    return parser
