"""Oversight for coordinators: /late with 催办 (and the liaisons' 收到), /status and /export."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot import callback_data as callbacks
from bot.calendar.clock import PlanMoment
from bot.charts import LIGHT_ORDER, status_chart
from bot.chasing import Late, acknowledge, chase, late_units
from bot.delivery.queue import Button
from bot.i18n import Lang, date_text, full_date_text, h, t
from bot.ledger import Ledger, build_ledger, overview, workbook_bytes
from bot.plan.numerals import section_numeral
from handlers import keyboards
from handlers.access import Member, Request, anyone, coordinator
from handlers.common import edit_html
from handlers.render import when_text


def _late_view(lang: Lang, late: Late, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup | None]:
    """The late units (催办 sent or acknowledged), the unreachable ones, and 催办 buttons."""
    period = late.moment.span.label(lang)
    if not late.reachable and not late.unreachable:
        return t(lang, "late.none", period=period), None
    count = len(late.reachable) + len(late.unreachable)
    due = date_text(lang, late.moment.due)
    lines = [t(lang, "late.header", period=period, due=due, count=count)]
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
        [Button(t(lang, "button.chase", unit=e.unit.name)[:60], callbacks.chase_unit(e.unit.id))]
        for e in late.reachable[:20]
    ]
    if late.reachable:
        rows.append([Button(t(lang, "button.chase_all"), callbacks.chase_all())])
    return "\n".join(lines), keyboards.markup(rows) if rows else None


@coordinator
async def late(req: Member) -> None:
    """/late: units that have not reported, with 催办 buttons; unreachable units apart."""
    found = await late_units(req.session, plan=req.plan, moment=req.context.moment(req.plan))
    await req.session.commit()
    await req.reply(*_late_view(req.lang, found, req.context.settings.tz))


@coordinator
async def chase_callback(req: Member) -> None:
    """📣 催办 one unit (or all) from /late: queue the chases, then refresh the list."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    moment = req.context.moment(req.plan)
    found = await late_units(req.session, plan=req.plan, moment=moment)
    wanted = [e.unit.id for e in found.reachable] if parsed.args == ("all",) else [parsed.int(0)]
    units, people = await chase(
        req.session, late=found, unit_ids=wanted, by=req.contact, now=req.now()
    )
    refreshed = await late_units(req.session, plan=req.plan, moment=moment)
    await req.queued()
    if not people:
        await req.refuse("late.nothing_to_chase")
        return
    await req.query.answer(req.t("late.chased_done", units=units, people=people))
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, *_late_view(req.lang, refreshed, req.context.settings.tz))


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


async def _ledger(req: Member) -> tuple[PlanMoment, Ledger]:
    """For /export and /status: where the plan stands, and the ledger of the period in force."""
    moment = req.context.moment(req.plan)
    services = req.context.services
    ledger = await build_ledger(
        req.session,
        plan=req.plan,
        moment=moment,
        calendar=services.calendar,
        thresholds=services.thresholds,
    )
    await req.session.commit()
    return moment, ledger


@coordinator
async def export(req: Member) -> None:
    """/export: the ledger as an .xlsx workbook, sent as a document."""
    moment, ledger = await _ledger(req)
    lang = req.lang
    # Building a workbook is CPU work: keep it off the event loop.
    data = await asyncio.to_thread(workbook_bytes, ledger, lang=lang, tz=req.context.settings.tz)
    chat = req.update.effective_chat
    if chat is None:
        return
    today = moment.today
    await chat.send_document(
        document=data,
        filename=f"{t(lang, 'ledger.filename')}-{today:%Y%m%d}.xlsx",
        caption=t(
            lang,
            "ledger.caption",
            document=h(req.plan.document),
            period=moment.span.label(lang),
            date=full_date_text(lang, today),
        ),
        parse_mode=ParseMode.HTML,
    )


def _section_label(number: int, title: str) -> str:
    numeral = section_numeral(number)
    short = title[2:] if title.startswith("关于") else title
    return f"{numeral}、{short[:10]}"


@coordinator
async def status(req: Member) -> None:
    """/status: this period's reporting rate, lights by section, on-time ranking and a chart."""
    moment, ledger = await _ledger(req)
    lang = req.lang
    numbers = overview(ledger)
    lines = [
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
        section = h(_section_label(number, title))
        lines.append(t(lang, "overview.section_line", section=section, lights=lights))
    top = numbers.ranking[:10]
    lines += ["", t(lang, "overview.ranking", count=len(top))]
    lines += [
        t(lang, "overview.rank_line", rank=r.rank, unit=h(r.unit), on_time=r.on_time, owed=r.owed)
        for r in top
    ]
    await req.reply("\n".join(lines))
    chart_top = numbers.ranking[:15]
    png = await asyncio.to_thread(
        status_chart,
        title=t(lang, "overview.chart_title"),
        sections=[(_section_label(n, ti), c) for n, ti, c in numbers.sections],
        light_names={light: t(lang, f"light.{light.value}") for light in LIGHT_ORDER},
        ranking=[(r.unit, r.on_time / r.owed if r.owed else 1.0) for r in chart_top],
        ranking_title=t(lang, "overview.chart_ranking", count=len(chart_top)),
        count_label=t(lang, "overview.chart_count"),
    )
    chat = req.update.effective_chat
    if chat is not None:
        await chat.send_photo(photo=png, filename="status.png")
