"""The operator's command line, `duban` (also `python -m bot`), and the terminal console."""

from bot.cli.main import main

__all__ = ["main"]
