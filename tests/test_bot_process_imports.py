"""The bot's own process never loads the heavy writers: charts, the workbook and the Word
bulletin are built in worker processes (bot/offload.py), so /mytasks never waits on them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "xlsxwriter", "docx")


def test_building_the_application_loads_no_heavy_writer() -> None:
    code = (
        "import sys\n"
        "from bot.app import build_application\n"
        "from bot.cli.console import run_console\n"
        "import scheduler.jobs, scheduler.bulletins, handlers.oversight, handlers.targets\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
