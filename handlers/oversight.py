"""Oversight for coordinators: /late with 催办 (and the liaisons' 收到), /status and /export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode

from bot import callback_data as callbacks
from bot.chasing import Late, acknowledge, chase, late_units
from bot.delivery.queue import Button
from bot.i18n import Lang, date_text, full_date_text, h, t
from bot.ledger.jobs import LedgerJob, export_workbook, ledger_job, status_figures
from bot.ledger.model import section_label
from bot.lights import LIGHT_ORDER
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
        [Button(t(lang, "button.chase", unit=e.unit.name)[:60], callbacks.LATE(e.unit.id))]
        for e in late.reachable[:20]
    ]
    if late.reachable:
        rows.append([Button(t(lang, "button.chase_all"), callbacks.LATE("all"))])
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


def _job(req: Member) -> LedgerJob:
    """What a worker process needs to read this plan's ledger by itself."""
    services = req.context.services
    return ledger_job(
        services.settings,
        plan_id=req.plan.id,
        lang=req.lang,
        now=req.now(),
        thresholds=services.thresholds,
    )


@coordinator
async def export(req: Member) -> None:
    """/export: the ledger as an .xlsx workbook, built in a worker process, sent as a
    document (two coordinators asking at once share one build)."""
    lang, plan = req.lang, req.plan
    chat = req.update.effective_chat
    if chat is None:
        return
    await req.session.commit()  # no transaction stays open while the workbook is built
    await req.reply(req.t("ledger.building"))
    offload = req.context.services.offload
    built = await offload.run(("export", plan.id, lang), export_workbook, _job(req))
    moment = built.ledger.moment
    await chat.send_document(
        document=built.data,
        filename=f"{t(lang, 'ledger.filename')}-{moment.today:%Y%m%d}.xlsx",
        caption=t(
            lang,
            "ledger.caption",
            document=h(plan.document),
            period=moment.span.label(lang),
            date=full_date_text(lang, moment.today),
        ),
        parse_mode=ParseMode.HTML,
    )


@coordinator
async def status(req: Member) -> None:
    """/status: this period's reporting rate, lights by section, on-time ranking and a chart,
    worked out in a worker process (Telegram shows "sending a photo…" meanwhile)."""
    lang = req.lang
    chat = req.update.effective_chat
    if chat is None:
        return
    await req.session.commit()
    await chat.send_chat_action(ChatAction.UPLOAD_PHOTO)
    offload = req.context.services.offload
    figures = await offload.run(("status", req.plan.id, lang), status_figures, _job(req))
    numbers, moment = figures.overview, figures.ledger.moment
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
        section = h(section_label(number, title))
        lines.append(t(lang, "overview.section_line", section=section, lights=lights))
    top = numbers.ranking[:10]
    lines += ["", t(lang, "overview.ranking", count=len(top))]
    lines += [
        t(lang, "overview.rank_line", rank=r.rank, unit=h(r.unit), on_time=r.on_time, owed=r.owed)
        for r in top
    ]
    await req.reply("\n".join(lines))
    await chat.send_photo(photo=figures.png, filename="status.png")
