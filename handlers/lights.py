"""/lights: how a task's light is decided, each rule with the thresholds in force."""

from __future__ import annotations

from bot.i18n import full_date_text
from bot.lights import ReportStatus, judge_light, year_elapsed_percent
from handlers.access import Member, linked

# A report people send without a second thought, and the light it may well get.
EXAMPLE_PERCENT = 50


@linked
async def lights_command(req: Member) -> None:
    """/lights: the rules, first match wins, with the thresholds and today's share of the year
    elapsed in the (first) open plan, and what a report of 正常推进 50% gets today."""
    services = req.context.services
    thresholds = services.thresholds
    moment = req.context.moment(req.plans[0])
    elapsed = year_elapsed_percent(moment.today, moment.year_start, moment.year_end)
    example = judge_light(
        today=moment.today,
        due=moment.due,
        deadline=None,
        status=ReportStatus.ON_TRACK,
        percent=EXAMPLE_PERCENT,
        year_start=moment.year_start,
        year_end=moment.year_end,
        calendar=services.calendar,
        thresholds=thresholds,
    )
    values = {
        "red": thresholds.behind_red_points,
        "yellow": thresholds.behind_yellow_points,
        "warn": thresholds.warn_working_days,
    }
    lines = [req.t("lights.title")]
    lines += [req.t(f"lights.{light}", **values) for light in ("done", "red", "yellow")]
    lines += [req.t("lights.green"), req.t("lights.pending"), "", req.t("lights.task")]
    lines.append(req.t("lights.targets", **values))
    behind = elapsed > EXAMPLE_PERCENT
    lines += [
        "",
        req.t(
            "lights.today" if behind else "lights.today_ahead",
            today=full_date_text(req.lang, moment.today),
            elapsed=f"{float(elapsed):.1f}",
            percent=EXAMPLE_PERCENT,
            points=f"{float(elapsed) - EXAMPLE_PERCENT:.1f}",
            light=example.light.emoji,
        ),
    ]
    await req.reply("\n".join(lines))
