"""/broadcast: audience → text → preview (people, time, who cannot be reached) → send or
schedule; a progress message edited while the outbox sends; a summary at the end."""

from __future__ import annotations

import math
import re
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot import callback_data as callbacks
from bot.calendar.typed_time import TimeProblem, Typed, example_moment, read_moment
from bot.context import DubanContext
from bot.coordination import find_unit
from bot.delivery.broadcasting import AUDIENCES, Progress, Reach, progress, reach, send, start
from bot.i18n import Lang, full_date_text, h, lang_of, t
from bot.validation import TextProblem, check_text
from data.models import Broadcast, Plan
from data.repo.broadcasts import active_draft, live_broadcasts
from data.repo.plans import plan_tree
from handlers.access import Known, Member, coordinator
from handlers.common import edit_html
from handlers.keyboards import cancel_row

_CANCEL = callbacks.BROADCAST("x")


def _only_cancel(lang: Lang) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([cancel_row(lang, _CANCEL)])


def _choices(lang: Lang, buttons: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One (label, data) button a row, then 取消."""
    rows = [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
    return InlineKeyboardMarkup([*rows, cancel_row(lang, _CANCEL)])


def _audience_keyboard(lang: Lang) -> InlineKeyboardMarkup:
    kinds = [(t(lang, f"broadcast.audience.{k}"), callbacks.BROADCAST("a", k)) for k in AUDIENCES]
    return _choices(lang, kinds)


@coordinator(plan=False)
async def broadcast_command(req: Known) -> None:
    """/broadcast: start choosing the audience."""
    await start(req.session, by=req.contact, chat_id=req.chat_id or 0, now=req.now())
    await req.session.commit()
    await req.reply(req.t("broadcast.pick_audience"), _audience_keyboard(req.lang))


def _audience_label(lang: Lang, audience: dict[str, object]) -> str:
    kind = str(audience.get("kind"))
    label = t(lang, f"broadcast.audience.{kind}")
    if kind == "section":
        label += f" · {audience.get('section')}"
    elif kind == "tasks":
        label += " · " + " ".join(str(n) for n in audience.get("tasks") or [])  # type: ignore[attr-defined]
    elif kind == "unit":
        label += f" · {audience.get('unit')}"
    return label


async def _reach(req: Member, draft: Broadcast) -> Reach:
    """Who the draft's audience reaches among the units of the plans this coordinator sees."""
    scope = req.caller.scope  # typed text arrives as a liaison's would: every open plan
    plans = [(plan, req.context.moment(plan)) for plan in req.plans if scope.covers(plan.id)]
    every_plan = scope.every_plan
    return await reach(req.session, plans=plans, every_plan=every_plan, audience=draft.audience)


async def _preview(req: Member, draft: Broadcast) -> None:
    """Who the broadcast reaches (and who it cannot), how long it takes, and its text."""
    lang = req.lang
    reached = await _reach(req, draft)
    if not reached.contacts:
        draft.step = "audience"
        await req.session.commit()
        await req.reply(req.t("broadcast.nobody"), _audience_keyboard(lang))
        return
    draft.step = "preview"
    await req.session.commit()
    unreachable = (
        t(lang, "broadcast.unreachable", units=h("、".join(reached.unreachable_units[:30])))
        if reached.unreachable_units
        else t(lang, "broadcast.all_reachable")
    )
    text = t(
        lang,
        "broadcast.preview",
        audience=h(_audience_label(lang, draft.audience)),
        people=len(reached.contacts),
        units=reached.units,
        eta=math.ceil(len(reached.contacts) / req.context.settings.send_rate_per_s),
        unreachable=unreachable,
        text=h(draft.text or ""),
    )
    sending = [
        InlineKeyboardButton(
            t(lang, "broadcast.send_now"), callback_data=callbacks.BROADCAST("go")
        ),
        InlineKeyboardButton(
            t(lang, "broadcast.send_at"), callback_data=callbacks.BROADCAST("at")
        ),
    ]
    await req.reply(text, InlineKeyboardMarkup([sending, cancel_row(lang, _CANCEL)]))


@coordinator
async def broadcast_callback(req: Member) -> None:
    """Every bc:* button."""
    parsed, message = req.data, req.pressed_on
    draft = await active_draft(req.session, contact_id=req.contact.id)
    if parsed is None or draft is None or message is None:
        await req.refuse("report.step_over")
        return
    action, args = parsed.args[0], parsed.args[1:]
    if action == "x":
        draft.state = "cancelled"
        await req.session.commit()
        await req.query.answer()
        await edit_html(message, req.t("broadcast.cancelled"), None)
    elif action == "a" and draft.step == "audience" and args and args[0] in AUDIENCES:
        await _audience(req, draft, kind=args[0], message=message)
    elif action == "p" and draft.step == "plan" and args and req.plan_of(_number(args[0])):
        await req.query.answer()
        plan = req.plan_of(_number(args[0]))
        assert plan is not None  # noqa: S101 - checked just above
        kind = str(draft.audience.get("kind"))
        await _within_plan(req, draft, kind=kind, plan=plan, message=message)
    elif action == "s" and draft.step == "section" and args and _small_number(args[0]):
        audience = {**draft.audience, "section": int(args[0])}
        _set_audience(draft, audience, step="text", now=req.now())
        await req.session.commit()
        await req.query.answer()
        await edit_html(message, req.t("broadcast.ask_text"), _only_cancel(req.lang))
    elif action == "at" and draft.step == "preview":
        await req.query.answer()
        draft.step = "time"
        await req.session.commit()
        await edit_html(message, ask_time(req), _only_cancel(req.lang))
    elif action == "go" and draft.step == "preview":
        await req.query.answer()
        await _send_now(req, draft, message=message)
    else:
        await req.refuse("report.step_over")


def _small_number(arg: str) -> bool:
    return arg.isascii() and arg.isdigit() and len(arg) <= 3


def _number(arg: str) -> int:
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= 9 else 0


def _set_audience(
    draft: Broadcast, audience: dict[str, object], *, step: str, now: datetime
) -> None:
    draft.audience = audience
    draft.step = step
    draft.updated_at = now


async def _audience(req: Member, draft: Broadcast, *, kind: str, message: Message) -> None:
    """An audience button: the plan to pick from (a section or tasks, with several plans),
    sections to pick from, or what to type next."""
    await req.query.answer()
    if kind in ("section", "tasks") and req.several:
        _set_audience(draft, {"kind": kind}, step="plan", now=req.now())
        await req.session.commit()
        buttons = [(p.short_name, callbacks.BROADCAST("p", p.id)) for p in req.plans]
        await edit_html(message, req.t("broadcast.pick_plan"), _choices(req.lang, buttons))
        return
    await _within_plan(req, draft, kind=kind, plan=req.plans[0], message=message)


async def _within_plan(
    req: Member, draft: Broadcast, *, kind: str, plan: Plan, message: Message
) -> None:
    """The audience's kind within a plan: its sections to pick from, or what to type next."""
    if kind == "section":
        _set_audience(draft, {"kind": kind, "plan": plan.id}, step="section", now=req.now())
        await req.session.commit()
        sections = await plan_tree(req.session, plan_id=plan.id)
        buttons = [
            (f"{s.number}. {s.title[:20]}", callbacks.BROADCAST("s", s.number))
            for s, _ in sections
        ]
        await edit_html(message, req.t("broadcast.pick_section"), _choices(req.lang, buttons))
        return
    step = {"tasks": "tasks", "unit": "unit"}.get(kind, "text")
    _set_audience(draft, {"kind": kind, "plan": plan.id}, step=step, now=req.now())
    await req.session.commit()
    key = {"tasks": "broadcast.ask_tasks", "unit": "broadcast.ask_unit"}.get(
        kind, "broadcast.ask_text"
    )
    await edit_html(message, req.t(key), _only_cancel(req.lang))


async def _send_now(req: Member, draft: Broadcast, *, message: Message) -> None:
    """发送: queue every message now; the list's message becomes the progress message."""
    reached = await _reach(req, draft)
    draft.progress_message_id = message.message_id
    total = await send(req.session, draft=draft, reached=reached, by=req.contact, now=req.now())
    await req.queued()
    eta = math.ceil(total / req.context.settings.send_rate_per_s)
    text = req.t("broadcast.progress", sent=0, total=total, failed=0, eta=eta)
    await edit_html(message, text, None)


def _moment_text(lang: Lang, when: datetime) -> str:
    """A moment as the office writes it: 2026年12月4日 09:00."""
    return f"{full_date_text(lang, when.date())} {when:%H:%M}"


def ask_time(req: Member) -> str:
    """Ask when to send, with an example in the future (tomorrow 9:00, spelled both ways)."""
    example = example_moment(req.now().astimezone(req.context.settings.tz))
    return req.t("broadcast.ask_time", example=f"{example:%Y-%m-%d %H:%M}")


def _time_refusal(req: Member, raw: str, typed: Typed) -> str:
    """Exactly what was not understood in a typed time, with an example that would do."""
    now = req.now().astimezone(req.context.settings.tz)
    values = {"value": h(raw.strip()[:30]), "example": f"{example_moment(now):%Y-%m-%d %H:%M}"}
    if typed.problem is TimeProblem.PAST and typed.when is not None:
        values |= {"when": _moment_text(req.lang, typed.when), "now": _moment_text(req.lang, now)}
    if typed.day is not None:
        values |= {"day": full_date_text(req.lang, typed.day), "unread": h(typed.unread[:20])}
    key = f"broadcast.time_{typed.problem}"
    if typed.problem is TimeProblem.UNKNOWN and typed.day is not None:
        key = "broadcast.time_no_hour"
    return req.t(key, **values)


async def take_text(req: Member, raw: str) -> bool:
    """A coordinator's typed text for a broadcast step; False when no broadcast is waiting."""
    if not req.caller.coordinator:
        return False
    draft = await active_draft(req.session, contact_id=req.contact.id)
    if draft is None or draft.step not in ("tasks", "unit", "text", "time"):
        return False
    draft.updated_at = req.now()
    if draft.step in ("tasks", "unit"):
        audience = await _typed_audience(req, draft, raw)
        if isinstance(audience, str):
            await req.reply(audience)
        else:
            _set_audience(draft, audience, step="text", now=req.now())
            await req.session.commit()
            await req.reply(req.t("broadcast.ask_text"), _only_cancel(req.lang))
    elif draft.step == "text":
        checked = check_text(raw)
        if isinstance(checked, TextProblem):
            await req.explain(checked, raw)
        else:
            draft.text = checked
            await _preview(req, draft)
    else:
        await _schedule(req, draft, raw)
    return True


async def _typed_audience(req: Member, draft: Broadcast, raw: str) -> dict[str, object] | str:
    """Typed task numbers or a unit's name: the audience, or why the text names none."""
    if draft.step == "tasks":
        numbers = sorted({int(n) for n in re.findall(r"\d{1,4}", raw)})
        if numbers:
            return {**draft.audience, "kind": "tasks", "tasks": numbers}
        return req.t("broadcast.bad_tasks", value=h(raw[:30]))
    found = await find_unit(req.session, name=raw.strip())
    if found.unit is not None:
        return {"kind": "unit", "unit": found.unit.name}
    if found.candidates:
        candidates = h("、".join(found.candidates))
        return req.t("unit.ambiguous", name=h(raw.strip()[:40]), candidates=candidates)
    return req.t("broadcast.unknown_unit", unit=h(raw.strip()[:40]))


async def _schedule(req: Member, draft: Broadcast, raw: str) -> None:
    """A typed time: queue every message for then; the answer becomes the progress message."""
    typed = read_moment(raw, now=req.now().astimezone(req.context.settings.tz))
    when = typed.when
    if when is None or typed.problem is not None:
        await req.reply(_time_refusal(req, raw, typed))
        return
    reached = await _reach(req, draft)
    total = await send(
        req.session, draft=draft, reached=reached, by=req.contact, now=req.now(), at=when
    )
    await req.session.commit()
    when_text = _moment_text(req.lang, when)
    sent = await req.reply(req.t("broadcast.scheduled", people=total, when=when_text))
    if sent is not None:
        draft.progress_message_id = sent.message_id
        await req.session.commit()


def _progress_text(lang: Lang, done: Progress, rate: float) -> str:
    """While sending: the counts and the time left; at the end: the counts and why some
    failed."""
    counts = {"sent": done.sent, "total": done.total, "failed": done.failed}
    if done.finished:
        reasons = ";".join(
            t(lang, f"broadcast.reason.{reason}", count=count)
            for reason, count in sorted(done.reasons.items())
        )
        return t(lang, "broadcast.done", reasons=reasons, **counts).strip()
    return t(lang, "broadcast.progress", eta=math.ceil(done.pending / rate), **counts)


async def progress_tick(context: DubanContext) -> None:
    """Every few seconds: edit each live broadcast's progress message; finish done ones."""
    services = context.services
    now = context.now()
    async with services.sessions() as session:
        for item, language in await live_broadcasts(session, now=now):
            done = await progress(session, broadcast=item)
            lang = lang_of(language)
            if done.finished:
                item.state = "done"
                item.finished_at = now
            item.state = "sending" if item.state == "scheduled" else item.state
            await session.commit()
            if item.progress_message_id is None:
                continue
            try:
                await context.bot.edit_message_text(
                    _progress_text(lang, done, services.settings.send_rate_per_s),
                    chat_id=item.chat_id,
                    message_id=item.progress_message_id,
                )
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    raise
