"""The ``skdigits`` command line: train, predict, evaluate, cross-validate and search from a shell.

The package holds no logic of its own; it parses options and calls the
library in order. Where each part lives:

* :mod:`skdigits.cli.main`: the entry point and the exception policy (exit
  codes);
* :mod:`skdigits.cli.parser`: the parser, built from the command modules;
* :mod:`skdigits.cli.options`: every option, defined once, with its defaults
  taken from :mod:`skdigits.recipes`;
* :mod:`skdigits.cli.session`: what a running command shares: progress on
  stderr, results on stdout, the files it wrote;
* :mod:`skdigits.cli.inputs`: reading the data and model files that options name;
* :mod:`skdigits.cli.commands`: one module per command.

Heavy libraries (TensorFlow, scikit-learn, pandas, matplotlib) are imported
inside the commands, so that ``skdigits --help`` answers at once.
"""

from skdigits.cli.main import main
from skdigits.cli.parser import build_parser

__all__ = ["main", "build_parser"]
