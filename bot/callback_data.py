"""Callback data: short prefixed strings with one parser (Telegram allows 64 bytes).

Each kind of button is one `Callback`: its prefix, the shape of what follows, the anchored
pattern its handler is registered with, and the builder of its data, which refuses data its
own pattern would not match (so a button can never be built that no handler answers).
In bot/ rather than handlers/ because the scheduler builds buttons (nudges) too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

MAX_BYTES = 64

# Numbers are ASCII digits, at most nine (a database integer); a client can send any callback
# data, and whatever matches no pattern is answered as a stale button.
N = "[0-9]{1,9}"


@dataclass(frozen=True)
class Callback:
    """One kind of button: `prefix:` then arguments shaped like `shape` (a regex)."""

    prefix: str
    shape: str

    @property
    def pattern(self) -> str:
        """The anchored pattern for CallbackQueryHandler; prefixes never overlap."""
        return rf"^{self.prefix}:({self.shape})$"

    @cached_property
    def _matcher(self) -> re.Pattern[str]:
        # Compiled once: a due day's tick builds 20,000 report buttons.
        return re.compile(self.pattern)

    def __call__(self, *parts: object) -> str:
        """The data for a button of this kind."""
        data = ":".join([self.prefix, *(str(p) for p in parts)])
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        if not self._matcher.fullmatch(data):
            raise ValueError(f"callback data {data!r} does not match {self.pattern}")
        return data


# /mytasks: a page; a task's number and the page to go back to.
MYTASKS_PAGE = Callback("mt", N)
TASK_OPEN = Callback("tk", f"{N}:{N}")
LANG_PICK = Callback("lang", "zh|en")
# Reports: p:<page> of the picker, t:<task>:<unit>, s:<status>, c:<percent> (c:<percent>:y
# keeps a percent below 100 for a report 已完成, once asked), and submit (ok),
# edit (ed), cancel (x), keep the previous text (keep), skip:<target> at a target's step.
REPORT = Callback("rp", f"p:{N}|t:{N}:{N}|s:[a-z]+|c:{N}(?::y)?|skip:{N}|ok|ed|x|keep")
# A status for a report recorded from a reply: <report>:<status>.
REPLY_STATUS = Callback("rq", f"{N}:[a-z]+")
# Review: a (accept) or r (return), <report>.
REVIEW = Callback("rv", f"[ar]:{N}")
# 稍后提醒 under a nudge: <period>:<step>.
SNOOZE = Callback("nz", f"{N}:[a-z]+")
# 催办 from /late: <plan>:<unit>, or <plan>:all, then the page it was pressed on (buttons sent
# before pages had none); ◀ ▶ under /late: <plan>:<page>; 收到 under a 催办.
LATE = Callback("ch", f"{N}:(all|{N})(:{N})?")
LATE_PAGE = Callback("lp", f"{N}:{N}")
ACK = Callback("ack", N)
# 📊 under /status with several plans: <plan>.
STATUS = Callback("st", N)
# /people: rm (ask to remove), ok (remove), ho (hand over) <contact>:<unit>, or x (keep).
PEOPLE = Callback("pl", f"(rm|ok|ho):{N}:{N}|x")
# /leave: the unit to leave, or x (stay).
LEAVE = Callback("lv", f"{N}|x")
# /targets: c (next comparator), k (cumulative ↔ rate), d (remove) <target>; ok <task>.
TARGETS = Callback("tg", f"[ckd]:{N}|ok:{N}")
# /coordinators: revoke the invited rights of <contact>.
REVOKE = Callback("co", N)
# Under an import's preview: ok (确认导入) or x (取消), <import>.
IMPORT = Callback("im", f"(ok|x):{N}")
# /broadcast steps: a:<audience>, s:<section>, go, at, x.
BROADCAST = Callback("bc", "[a-z]+(:[A-Za-z0-9_-]+)?")


@dataclass(frozen=True)
class Parsed:
    """A parsed callback: its kind and integer or text arguments."""

    kind: str
    args: tuple[str, ...]

    def int(self, index: int) -> int:
        """An argument as an int."""
        return int(self.args[index])


def parse(data: str | None) -> Parsed | None:
    """Split callback data into kind and arguments; None for anything malformed."""
    if not data or not re.fullmatch(r"[a-z]+(:[A-Za-z0-9_-]+)*", data):
        return None
    kind, *args = data.split(":")
    return Parsed(kind, tuple(args))
