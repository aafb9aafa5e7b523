"""Run the ``skdigits`` command line as ``python -m skdigits``."""

import sys

from skdigits.cli import main

if __name__ == "__main__":
    sys.exit(main())
