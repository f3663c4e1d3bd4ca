"""Worker-process jobs for tests: the real ones, held back until the test lets them go."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.ledger.jobs import ExportFile, LedgerJob, export_workbook

GATE_VARIABLE = "DUBAN_TEST_EXPORT_GATE"


def gated_export(job: LedgerJob, all_years: bool = False) -> ExportFile:
    """The real export, once the file named by $DUBAN_TEST_EXPORT_GATE exists (it blocks the
    worker process meanwhile: were it run on the bot's loop, nothing else would be answered)."""
    gate = Path(os.environ[GATE_VARIABLE])
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # blocking on purpose: see the docstring
    return export_workbook(job, all_years)


def stamp(seconds: float) -> tuple[int, int]:
    """Which process ran the job, and a moment unique to this run (after `seconds`)."""
    time.sleep(seconds)
    return os.getpid(), time.monotonic_ns()


WARMED_VARIABLE = "DUBAN_TEST_WARMED_IN"


def mark_warmed() -> None:
    """A warm-up that leaves its mark in the worker process it ran in."""
    os.environ[WARMED_VARIABLE] = str(os.getpid())


def warmed() -> tuple[int, str | None]:
    """This worker process, and the process its warm-up ran in (None: none ran)."""
    return os.getpid(), os.environ.get(WARMED_VARIABLE)
