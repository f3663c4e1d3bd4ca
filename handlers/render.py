"""Turning view models into catalog text (HTML-escaped) for Telegram."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.i18n import Lang, date_text, full_date_text, h, t
from bot.lights import Light
from bot.reporting import Preview
from bot.target_text import amount, standing_line, target_text
from bot.tasks_view import Desk, TaskDetails, TaskLine, short_title
from data.models import Report

PAGE_SIZE = 10
REPORT_TEXT_IN_HISTORY = 120


def light_text(lang: Lang, light: Light) -> str:
    """The light's emoji (its name is in the catalog for places that spell it out)."""
    return light.emoji


def role_text(lang: Lang, role: str) -> str:
    """主办 / 协办."""
    return t(lang, f"role.{role}")


def pages_of(total: int) -> int:
    """How many pages a list of this length has."""
    return max(1, -(-total // PAGE_SIZE))


def when_text(lang: Lang, moment: datetime, tz: ZoneInfo) -> str:
    """A report's time in the plan's zone: 6月25日 14:05."""
    # SQLite returns naive datetimes for timezone-aware columns; they are stored as UTC.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(tz)
    return f"{date_text(lang, local.date())} {local:%H:%M}"


def _last(lang: Lang, report: Report | None, tz: ZoneInfo) -> str:
    if report is None:
        return t(lang, "mytasks.last_none")
    return t(
        lang,
        "mytasks.last",
        status=t(lang, f"status.{report.status}"),
        when=when_text(lang, report.created_at, tz),
    )


def mytasks_page(lang: Lang, desk: Desk, page: int, tz: ZoneInfo) -> tuple[str, list[TaskLine]]:
    """The text of one page of /mytasks and the lines on it; with several plans, each plan's
    tasks under its name, period and due day."""
    every = desk.lines
    pages = pages_of(len(every))
    page = min(max(page, 1), pages)
    lines = every[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    parts = [
        t(
            lang,
            "mytasks.header",
            units=h("、".join(desk.units)),
            total=len(every),
            lead=desk.lead_count,
            co=len(every) - desk.lead_count,
        )
    ]
    for part in desk.parts:
        mine = [line for line in lines if line in part.lines]
        if not mine and desk.several:
            continue
        period, due = part.moment.span.label(lang), date_text(lang, part.moment.due)
        if desk.several:
            parts += ["", t(lang, "mytasks.plan", plan=h(part.plan), period=period, due=due)]
        else:
            parts += [t(lang, "mytasks.period", period=period, due=due), ""]
        parts += [_item(lang, line, tz) for line in mine]
    parts += ["", t(lang, "mytasks.page", page=page, pages=pages)]
    return "\n".join(parts), lines


def _item(lang: Lang, line: TaskLine, tz: ZoneInfo) -> str:
    item = t(
        lang,
        "mytasks.item",
        light=light_text(lang, line.light),
        number=line.number,
        title=h(line.title),
        role=role_text(lang, line.role),
        due=date_text(lang, line.due),
        last=_last(lang, line.last, tz),
    )
    targets = [t(lang, "targets.mine", line=h(standing_line(lang, s))) for s in line.targets]
    return "\n".join([item, *targets])


def task_details(lang: Lang, details: TaskDetails, tz: ZoneInfo, *, name_plan: bool) -> str:
    """The text of /task N (naming its plan when several are open)."""
    task = details.task
    parts = [
        t(
            lang,
            "task.header",
            light=light_text(lang, details.light),
            number=task.number,
            section=h(details.section),
        )
    ]
    parts.append(why_text(lang, details))
    if name_plan:
        plan = details.plan
        parts.append(t(lang, "task.plan", plan=h(plan.short_name), document=h(plan.document)))
    parts += [
        h(task.text),
        "",
        t(lang, "task.lead_units", units=h("、".join(details.lead))),
    ]
    if details.co:
        parts.append(t(lang, "task.co_units", units=h("、".join(details.co))))
    if task.leader:
        parts.append(t(lang, "task.leader", leader=h(task.leader)))
    if details.targets:
        parts.append(t(lang, "targets.heading"))
        parts += [h(standing_line(lang, s)) for s in details.targets]
    deadline = full_date_text(lang, task.deadline or details.moment.year_end)
    # The plan's own words beside the day they were read as (or kept as written).
    written = task.deadline_text
    if written and written != (task.deadline.isoformat() if task.deadline else ""):
        parts.append(t(lang, "task.deadline_written", deadline=deadline, written=h(written)))
    else:
        parts.append(t(lang, "task.deadline", deadline=deadline))
    if details.my_role:
        parts.append(t(lang, "task.your_role", role=role_text(lang, details.my_role)))
    parts += ["", t(lang, "task.history")]
    if details.history is None:
        parts.append(t(lang, "task.history_hidden"))
    elif not details.history:
        parts.append(t(lang, "task.history_none"))
    for row in details.history or []:
        report = row.report
        text = report.text
        if len(text) > REPORT_TEXT_IN_HISTORY:
            text = text[: REPORT_TEXT_IN_HISTORY - 1] + "…"
        parts.append(
            t(
                lang,
                "task.history_item",
                when=when_text(lang, report.created_at, tz),
                review=t(lang, f"review.{report.review}"),
                unit=h(row.unit),
                status=t(lang, f"status.{report.status}"),
                percent=f" {report.percent}%" if report.percent is not None else "",
                text=h(text),
            )
        )
    return "\n".join(parts)


def _points(value: Fraction | int | None) -> str:
    return f"{float(value or 0):.1f}"


def why_text(lang: Lang, details: TaskDetails) -> str:
    """Why the task is red or yellow (the rule that made it so, with its figures), and where
    the rules are explained; for other lights only the latter."""
    why = details.why
    if why is None:
        return t(lang, "why.rules")
    moment, thresholds = details.moment, details.thresholds
    values: dict[str, object] = {
        "light": details.light.emoji,
        "unit": h(why.unit),
        "red": thresholds.behind_red_points,
        "yellow": thresholds.behind_yellow_points,
        "warn": thresholds.warn_working_days,
        "due": date_text(lang, moment.due),
        "deadline": full_date_text(lang, details.task.deadline or moment.year_end),
        "points": _points(why.behind),
    }
    if why.report is not None:
        values["status"] = t(lang, f"status.{why.report.status}")
        values["percent"] = why.report.percent
        values["elapsed"] = _points((why.behind or 0) + (why.report.percent or 0))
    if why.target is not None:
        values["line"] = h(standing_line(lang, why.target))
    rule = why.rule.value if why.rule is not None else "target"
    return t(lang, f"why.{rule}", **values)


def percent_text(lang: Lang, value: int | None) -> str:
    """A report's percent, or that none was given."""
    return f"{value}%" if value is not None else t(lang, "report.percent_none")


def report_preview(lang: Lang, shown: Preview) -> str:
    """What a report will say, to confirm; a lead unit also sees the co-units' contributions."""
    parts = [
        t(
            lang,
            "report.preview",
            number=shown.task.number,
            title=h(short_title(shown.task.text)),
            unit=h(shown.unit.name),
            role=role_text(lang, shown.role),
            status=t(lang, f"status.{shown.status.value}"),
            percent=percent_text(lang, shown.percent),
            text=h(shown.text),
            attachments=shown.attachments,
        )
    ]
    for facts, value in shown.values:
        said = amount(value, facts.unit) if value is not None else t(lang, "targets.no_value")
        line = f"{facts.metric} {said} / {target_text(facts)}"
        parts.append(t(lang, "report.preview_target", line=h(line)))
    if shown.role == "lead":
        parts += ["", t(lang, "report.contributions")]
        for report, unit in shown.contributions:
            parts.append(
                t(
                    lang,
                    "report.contribution_item",
                    unit=h(unit),
                    status=t(lang, f"status.{report.status}"),
                    percent=f" {report.percent}%" if report.percent is not None else "",
                    text=h(report.text[:200]),
                )
            )
        if not shown.contributions:
            parts.append(t(lang, "report.contributions_none"))
    return "\n".join(parts)
