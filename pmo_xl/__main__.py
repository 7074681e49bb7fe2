"""`python -m pmo_xl`: the pmo-xl command line, for environments without the script on PATH."""

import sys

from .cli import main

sys.exit(main())
