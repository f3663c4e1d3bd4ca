"""Oversight for coordinators: /late with 催办 (and the liaisons' 收到), /status, /export and
/bulletin."""

from __future__ import annotations

import functools
import re
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode

from bot import callback_data as callbacks
from bot.calendar.periods import parse_period
from bot.chasing import Late, acknowledge, chase, late_units
from bot.delivery.queue import Button
from bot.i18n import Lang, date_text, full_date_text, h, t
from bot.ledger.jobs import (
    LedgerJob,
    bulletin_document,
    export_workbook,
    ledger_job,
    status_figures,
)
from bot.ledger.model import section_label
from bot.lights import LIGHT_ORDER
from bot.plan.names import find_plan
from bot.target_text import standing_line
from data.models import Plan
from handlers import keyboards
from handlers.access import Member, Request, anyone, coordinator
from handlers.common import edit_html
from handlers.render import when_text


async def chosen_plans(req: Member, words: list[str]) -> list[Plan] | None:
    """The plans a coordinator's command is about: the one named after it, or every plan they
    see; None (and they are told) when the name fits no plan."""
    if not words:
        return list(req.plans)
    plan = find_plan(" ".join(words), req.plans)
    if plan is None:
        names = "、".join(p.short_name for p in req.plans)
        await req.reply(req.t("plan.unknown", ref=h(" ".join(words)[:20]), plans=h(names)))
        return None
    return [plan]


def _late_view(
    lang: Lang, plan: Plan, late: Late, tz: ZoneInfo, *, name_plan: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The late units of a plan (催办 sent or acknowledged), the unreachable ones, and 催办
    buttons; under the plan's name when several plans are in view."""
    period = late.moment.span.label(lang)
    heading = [f"<b>【{h(plan.short_name)}】</b>"] if name_plan else []
    chase_data = functools.partial(callbacks.LATE, plan.id)
    if not late.reachable and not late.unreachable:
        return "\n".join([*heading, t(lang, "late.none", period=period)]), None
    count = len(late.reachable) + len(late.unreachable)
    due = date_text(lang, late.moment.due)
    lines = [*heading, t(lang, "late.header", period=period, due=due, count=count)]
    for entry in late.reachable[:40]:
        ack = ""
        if entry.chase is not None and entry.chase.acknowledged_at:
            ack = t(lang, "late.acked", when=when_text(lang, entry.chase.acknowledged_at, tz))
        elif entry.chase is not None:
            ack = t(lang, "late.chased")
        lines.append(
            t(lang, "late.line", unit=h(entry.unit.name), count=len(entry.tasks), ack=ack)
        )
    if late.unreachable:
        lines += ["", t(lang, "late.unreachable")]
        lines += [
            t(lang, "late.unreachable_line", unit=h(e.unit.name), count=len(e.tasks))
            for e in late.unreachable[:40]
        ]
    rows = [
        [
            Button(
                t(lang, "button.chase", unit=e.unit.name)[:60], callbacks.LATE(plan.id, e.unit.id)
            )
        ]
        for e in late.reachable[:20]
    ]
    if late.reachable:
        rows.append([Button(t(lang, "button.chase_all"), chase_data("all"))])
    return "\n".join(lines), keyboards.markup(rows) if rows else None


@coordinator
async def late(req: Member) -> None:
    """/late [PLAN]: units that have not reported, with 催办 buttons, plan by plan (or the plan
    named); unreachable units apart."""
    plans = await chosen_plans(req, req.args)
    if plans is None:
        return
    views = []
    for plan in plans:  # a handful of plans at most
        found = await late_units(req.session, plan=plan, moment=req.context.moment(plan))
        views.append(
            _late_view(req.lang, plan, found, req.context.settings.tz, name_plan=req.several)
        )
    await req.session.commit()
    for text, markup in views:
        await req.reply(text, markup)


@coordinator
async def chase_callback(req: Member) -> None:
    """📣 催办 one unit (or all) of a plan from /late: queue the chases, then refresh the list."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    plan = req.plan_of(parsed.int(0))
    if plan is None:  # a plan closed since, or one this coordinator no longer coordinates
        await req.refuse("callback.stale")
        return
    moment = req.context.moment(plan)
    found = await late_units(req.session, plan=plan, moment=moment)
    every = parsed.args[1] == "all"
    wanted = [e.unit.id for e in found.reachable] if every else [parsed.int(1)]
    units, people = await chase(
        req.session, late=found, unit_ids=wanted, by=req.contact, now=req.now()
    )
    refreshed = await late_units(req.session, plan=plan, moment=moment)
    await req.queued()
    if not people:
        await req.refuse("late.nothing_to_chase")
        return
    await req.query.answer(req.t("late.chased_done", units=units, people=people))
    if req.pressed_on is not None:
        tz = req.context.settings.tz
        view = _late_view(req.lang, plan, refreshed, tz, name_plan=req.several)
        await edit_html(req.pressed_on, *view)


@anyone
async def ack_callback(req: Request) -> None:
    """收到 under a 催办: recorded once, and shown to coordinators in /late."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    contact = req.caller.contact
    record = (
        await acknowledge(req.session, chase_id=parsed.int(0), contact=contact, now=req.now())
        if contact
        else None
    )
    await req.session.commit()
    if record is None:
        await req.refuse("callback.stale")
        return
    await req.query.answer(req.t("chase.acked"))


def _job(req: Member, plans: list[Plan]) -> LedgerJob:
    """What a worker process needs to read these plans' ledgers by itself."""
    services = req.context.services
    return ledger_job(
        services.settings,
        plan_ids=[p.id for p in plans],
        lang=req.lang,
        now=req.now(),
        thresholds=services.thresholds,
    )


@coordinator
async def export(req: Member) -> None:
    """/export [PLAN]: the ledger as an .xlsx workbook (every plan the coordinator sees, or the
    one named), built in a worker process and sent as a document (two coordinators asking
    at once share one build)."""
    plans = await chosen_plans(req, req.args)
    chat = req.update.effective_chat
    if plans is None or chat is None:
        return
    lang = req.lang
    await req.session.commit()  # no transaction stays open while the workbook is built
    await req.reply(req.t("ledger.building"))
    offload = req.context.services.offload
    key = ("export", tuple(p.id for p in plans), lang)
    built = await offload.run(key, export_workbook, _job(req, plans))
    moment = built.ledgers[0].moment
    documents = "、".join(p.document for p in plans)
    await chat.send_document(
        document=built.data,
        filename=f"{t(lang, 'ledger.filename')}-{moment.today:%Y%m%d}.xlsx",
        caption=t(
            lang,
            "ledger.caption",
            document=h(documents),
            period=moment.span.label(lang),
            date=full_date_text(lang, moment.today),
        ),
        parse_mode=ParseMode.HTML,
    )


def _period_word(words: list[str]) -> tuple[list[str], str | None]:
    """The period at the end of a command's words (2026-06, 2026-Q2), and the words before."""
    if words and re.match(r"^\d{4}", words[-1]):
        return words[:-1], words[-1]
    return words, None


@coordinator
async def bulletin(req: Member) -> None:
    """/bulletin [PLAN] [PERIOD]: the bulletin (通报) as a Word document, written in a worker
    process from the same reads as /status and the ledger."""
    words, period = _period_word(req.args)
    plans = await chosen_plans(req, words)
    chat = req.update.effective_chat
    if plans is None or chat is None:
        return
    for plan in plans:
        if period is not None and not _fits(period, plan):
            await req.reply(req.t("bulletin.bad_period", period=h(period[:20]), year=plan.year))
            return
    await req.session.commit()
    await req.reply(req.t("bulletin.building"))
    key = ("bulletin", tuple(p.id for p in plans), period, req.lang)
    built = await req.context.services.offload.run(
        key, bulletin_document, _job(req, plans), period
    )
    moment = built.ledgers[0].moment
    caption = req.t(
        "bulletin.caption",
        period=moment.span.label(req.lang),
        date=full_date_text(req.lang, moment.today),
    )
    await chat.send_document(
        document=built.data, filename=built.filename, caption=caption, parse_mode=ParseMode.HTML
    )


def _fits(period: str, plan: Plan) -> bool:
    """Whether a period names one of the plan's periods (its kind, its year)."""
    try:
        return parse_period(period, plan.period_kind).year == plan.year
    except ValueError:
        return False


@coordinator
async def status(req: Member) -> None:
    """/status [PLAN]: this period's reporting rate, lights by section, on-time ranking and a
    chart; with several plans, each plan's rate and a button to its full status."""
    plans = await chosen_plans(req, req.args)
    if plans is None:
        return
    await req.session.commit()
    if len(plans) == 1:
        await _full_status(req, plans[0])
        return
    offload, lines, rows = req.context.services.offload, [req.t("overview.plans")], []
    for plan in plans:  # a handful of plans at most
        job = _job(req, [plan])
        figures = await offload.run(("numbers", plan.id, req.lang), status_figures, job, False)
        numbers, moment = figures.overview, figures.ledger.moment
        lines.append(
            req.t(
                "overview.plan_line",
                plan=h(plan.short_name),
                period=moment.span.label(req.lang),
                done=numbers.done_units,
                total=numbers.total_units,
                percent=f"{numbers.percent:.1f}",
            )
        )
        rows.append([Button(f"📊 {plan.short_name}", callbacks.STATUS(plan.id))])
    await req.reply("\n".join(lines), keyboards.markup(rows))


@coordinator
async def status_callback(req: Member) -> None:
    """📊 under /status: one plan's full status."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    plan = req.plan_of(parsed.int(0))
    await req.query.answer()
    if plan is None:
        await req.reply(req.t("callback.stale"))
        return
    await req.session.commit()
    await _full_status(req, plan)


async def _full_status(req: Member, plan: Plan) -> None:
    """A plan's status: numbers first (worked out in a worker process; Telegram shows "sending
    a photo…" meanwhile), then the chart."""
    lang = req.lang
    chat = req.update.effective_chat
    if chat is None:
        return
    await chat.send_chat_action(ChatAction.UPLOAD_PHOTO)
    offload = req.context.services.offload
    figures = await offload.run(("status", plan.id, lang), status_figures, _job(req, [plan]))
    numbers, moment = figures.overview, figures.ledger.moment
    lines = [f"<b>【{h(plan.short_name)}】</b>"] if req.several else []
    lines += [
        t(
            lang,
            "overview.header",
            period=moment.span.label(lang),
            due=date_text(lang, moment.due),
        ),
        t(
            lang,
            "overview.rate",
            done=numbers.done_units,
            total=numbers.total_units,
            percent=f"{numbers.percent:.1f}",
        ),
        "",
        t(lang, "overview.sections"),
    ]
    for number, title, counts in numbers.sections:
        lights = " ".join(f"{light.emoji}{counts.get(light, 0)}" for light in LIGHT_ORDER)
        section = h(section_label(number, title))
        lines.append(t(lang, "overview.section_line", section=section, lights=lights))
    top = numbers.ranking[:10]
    lines += ["", t(lang, "overview.ranking", count=len(top))]
    lines += [
        t(lang, "overview.rank_line", rank=r.rank, unit=h(r.unit), on_time=r.on_time, owed=r.owed)
        for r in top
    ]
    total = len(figures.ledger.targets)
    if total:
        behind = numbers.behind
        lines += ["", t(lang, "overview.targets", total=total, reported=numbers.targets)]
        lines.append(t(lang, "overview.targets_behind", count=len(behind)))
        lines += [
            t(
                lang,
                "overview.target_line",
                number=r.number,
                line=h(standing_line(lang, r.standing)),
            )
            for r in behind[:10]
        ]
    base = req.context.settings.dashboard_url
    await req.reply("\n".join(lines), keyboards.dashboard(lang, base, plan.id) if base else None)
    if figures.png is not None:
        await chat.send_photo(photo=figures.png, filename="status.png")
