"""`python -m ferrite_tools ARGS`: what ./x.py runs once set-up is done."""

import sys

from ferrite_tools.cli import main

sys.exit(main(sys.argv[1:]))
