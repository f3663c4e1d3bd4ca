"""The terminal console driven by a script: what someone types, and everything it printed."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.calendar.clock import Clock
from bot.cli.console import run_console
from bot.i18n import Lang
from bot.settings import Settings

# A Wednesday in June 2026; the Nanjing plan is rehearsed in 2026 (duban import --year 2026).
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass(frozen=True)
class Press:
    """In a script: press the button with this label, by the letter the console shows."""

    label: str


class Typist:
    """Console input that types one script line per read, looking at the screen for Press."""

    def __init__(self, screen: io.StringIO, lines: Sequence[str | Press]) -> None:
        self._screen = screen
        self._lines = list(lines)

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        if not self._lines:
            return ""
        line = self._lines.pop(0)
        if isinstance(line, Press):
            return f"{button_key(self._screen.getvalue(), line.label)}\n"
        return f"{line}\n"


def button_key(output: str, label: str) -> str:
    """The letter the console shows for the latest button with this label."""
    found = re.findall(rf"\[([a-z]+)\] {re.escape(label)}(?=   |$)", output, re.MULTILINE)
    assert found, f"no button {label!r} on screen:\n{output}"
    return str(found[-1])


async def console(
    settings: Settings,
    *lines: str | Press,
    as_unit: str | None = None,
    coordinator: bool = False,
    lang: Lang | None = None,
    clock: Clock | None = None,
) -> str:
    """Run the console on a script of lines; return everything it printed."""
    out = io.StringIO()
    code = await run_console(
        settings,
        as_unit=as_unit,
        coordinator=coordinator,
        lang=lang,
        stdin=Typist(out, lines),
        stdout=out,
        clock=clock or (lambda: NOW),
    )
    assert code == 0
    return out.getvalue()


def after(output: str, marker: str) -> str:
    """The output from the last occurrence of ``marker`` on."""
    index = output.rfind(marker)
    assert index >= 0, f"{marker!r} not in output:\n{output}"
    return output[index:]


def buttons(output: str) -> list[str]:
    """The labels of the latest row block of lettered buttons."""
    block = re.findall(r"(?:^  \[[a-z]+\] .*\n)+", output, re.MULTILINE)
    assert block, f"no buttons on screen:\n{output}"
    return re.findall(r"\[[a-z]+\] (.+?)(?=   \[|$)", block[-1], re.MULTILINE)
