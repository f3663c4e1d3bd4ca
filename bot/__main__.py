"""`python -m bot`: the same command line as `duban`."""

import sys

from bot.cli import main

sys.exit(main())
