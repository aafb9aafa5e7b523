"""One module per ``skdigits`` command.

Each module has ``NAME``, ``HELP`` (one line for ``skdigits --help``),
``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args, session)``, which
returns the exit status. A new command is a new module listed in ``ALL``.
"""

from skdigits.cli.commands import cv, evaluate, export, predict, run, search, serve, train

#: The commands, in the order ``skdigits --help`` lists them.
ALL = (run, train, predict, evaluate, cv, search, serve, export)
