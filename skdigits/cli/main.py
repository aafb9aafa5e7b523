"""The ``skdigits`` entry point and its exception policy.

* Bad usage or bad input (any :class:`~skdigits.exceptions.SkdigitsError`,
  or an operating-system error about a named file) exits with status 2 and
  one line, ``skdigits: error: ...``. So does running out of memory (a
  ``MemoryError``: input too large for this machine), naming the inputs.
* Ctrl-C exits with 130 and SIGTERM with 143, after training stops at the
  end of a batch; no file but those already finished is changed.
* Anything else is a bug: it keeps its traceback and exits with 1.
"""

import os
import signal
import sys
import warnings

from skdigits.cli import commands
from skdigits.cli.options import fill_in_recipe_epochs
from skdigits.cli.parser import PROG, build_parser
from skdigits.cli.session import Session
from skdigits.exceptions import SkdigitsError, Terminated

__all__ = ["main"]


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


# The options that name a command's inputs, in the order a MemoryError's message lists them.
_INPUTS = ("model", "images", "test", "data", "train")


def _out_of_memory(args, exc):
    """One line for a MemoryError: the command, the inputs it was given, and NumPy's (one-line) reason."""
    given = []
    for name in _INPUTS:
        value = getattr(args, name, None)
        if value:
            values = value if isinstance(value, list) else [value]
            shown = " ".join(map(str, values[:3])) + (f" (and {len(values) - 3:,} more)" if len(values) > 3 else "")
            given.append(f"--{name} {shown}")
    return (f"out of memory in '{PROG} {args.command}' on {', '.join(given) or 'its default inputs'} "
            f"({_one_line(exc)}); use a smaller model or fewer inputs.")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print a warning as the command line prints its errors: one line, no source path or code."""
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr if file is None else file)


def _interrupted(session, signal_name):
    if session.args.command == "serve":  # it writes no file
        return f"{signal_name}; the server stopped."
    if session.written:
        kept = ", ".join(session.written)
        return f"{signal_name}; kept the files finished before it ({kept}); no other file was changed."
    return f"{signal_name}; nothing was written, so existing models and submissions are untouched."


def main(argv=None):
    """Run the ``skdigits`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for bad usage, bad input or a
        ``MemoryError`` (with a one-line ``skdigits: error: ...`` on
        stderr), 130 after Ctrl-C and
        143 after SIGTERM. argparse itself exits (``SystemExit``) for
        ``--help``, ``--version`` and usage errors. A bug raises its
        exception (exit status 1 from the ``skdigits`` script).

    Examples
    --------
    >>> from skdigits.cli import main
    >>> main(["run", "--epochs", "1"])  # doctest: +SKIP
    0
    """
    from skdigits.utils.signals import terminate_on_sigterm

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: " + ", ".join(command.NAME for command in commands.ALL))
    fill_in_recipe_epochs(args)
    session = Session(args)
    debug = os.environ.get("SKDIGITS_DEBUG", "").strip().lower() not in ("", "0", "false")
    try:
        with terminate_on_sigterm(), warnings.catch_warnings():
            if not debug:
                warnings.showwarning = _show_warning
            return args.handler(args, session)
    except KeyboardInterrupt:
        print(f"{PROG}: {_interrupted(session, 'interrupted')}", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{PROG}: {_interrupted(session, 'terminated (SIGTERM)')}", file=sys.stderr)
        return 128 + signal.SIGTERM
    except (SkdigitsError, OSError) as exc:
        # OSError: a named file that is missing, a folder, unreadable, a full disk.
        if debug:
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except MemoryError as exc:  # NumPy's _ArrayMemoryError too: a 30-line traceback from inside NumPy otherwise
        if debug:
            raise
        print(f"{PROG}: error: {_out_of_memory(args, exc)}", file=sys.stderr)
        return 2
