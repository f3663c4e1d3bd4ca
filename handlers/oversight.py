"""Oversight for coordinators: /status, /export and /bulletin (/late is in handlers/late.py)."""

from __future__ import annotations

import re

from telegram.constants import ChatAction, ParseMode

from bot import callback_data as callbacks
from bot.calendar.periods import parse_period
from bot.delivery.queue import Button
from bot.i18n import date_text, full_date_text, h, t
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
from handlers.access import Member, coordinator


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
    moment = built.moment
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
        numbers, moment = figures.overview, figures.moment
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
    numbers, moment = figures.overview, figures.moment
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
    total = figures.targets
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
