"""Task numbers as plans write them: afresh in every section or running on across them.

Both ways are accepted (a plan numbered `(一)…(三)` may open its second section with `(四)`);
real disorder is not: a number written twice, or going backwards or skipping inside a section.
The plan-wide number people type (/task 12) counts the tasks in order, so it is the written
number when the numbering runs on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.plan.model import PlanProblem


@dataclass
class Numbering:
    """Checks each task's written number as the reader meets it, section by section."""

    place: str = "line"
    count: int = 0  # tasks so far, plan-wide
    _previous: int | None = None  # the last number written in this section
    _seen: dict[int, int] = field(default_factory=dict)  # number -> line, in this section
    section: int = 0

    def open_section(self, number: int) -> None:
        """A new section starts: its first task may restart at 1 or run on."""
        self.section, self._previous, self._seen = number, None, {}

    def task(self, written: int, line: int, label: str) -> tuple[int, PlanProblem | None]:
        """The plan-wide number of the task written as `written`, and a problem if its number
        is out of place (`label` is how the document writes it: 3. or (三))."""
        problem = None
        if written in self._seen:
            problem = f"task {label} appears twice (first on {self.place} {self._seen[written]})"
        elif self._previous is None:
            if written not in (1, self.count + 1):
                expected = f"{self.count + 1} (or 1 afresh)" if self.count else "1"
                problem = f"expected task {expected}, found task {label}"
        elif written < self._previous:
            problem = (
                f"task {label} goes backwards in section {self.section} "
                f"(after task {self._previous})"
            )
        elif written != self._previous + 1:
            problem = f"expected task {self._previous + 1}, found task {label}"
        self._seen.setdefault(written, line)
        self._previous = written
        self.count += 1
        return self.count, PlanProblem(line, problem, self.place) if problem else None
