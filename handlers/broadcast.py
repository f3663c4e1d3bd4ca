"""/broadcast: audience → text → preview (people, time, who cannot be reached) → send or
schedule; a progress message edited while the outbox sends; a summary at the end."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot import callback_data as callbacks
from bot.context import DubanContext
from bot.delivery.broadcasting import (
    AUDIENCES,
    Progress,
    progress,
    reach,
    send,
    start,
)
from bot.i18n import Lang, full_date_text, h, lang_of, t
from bot.validation import TextProblem, check_text
from data.models import Broadcast, Plan
from data.repo.broadcasts import active_draft, live_broadcasts
from data.repo.plans import plan_tree
from data.repo.units import resolve_unit
from handlers.common import (
    Caller,
    button_press,
    current_plan,
    edit_html,
    identify,
    refuse_text,
    reply,
)

_TIME_ONLY = re.compile(r"^(\d{1,2})[:：](\d{2})$")


def _cancel_row(lang: Lang) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(t(lang, "button.cancel"), callback_data=callbacks.broadcast("x"))]


def _audience_keyboard(lang: Lang) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                t(lang, f"broadcast.audience.{kind}"), callback_data=callbacks.broadcast("a", kind)
            )
        ]
        for kind in AUDIENCES
    ]
    return InlineKeyboardMarkup([*rows, _cancel_row(lang)])


async def broadcast_command(update: Update, context: DubanContext) -> None:
    """/broadcast: start choosing the audience."""
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator or caller.contact is None:
            await session.commit()
            await reply(update, t(caller.lang, "coordinator_only"))
            return
        chat = update.effective_chat
        await start(session, by=caller.contact, chat_id=chat.id if chat else 0, now=context.now())
        await session.commit()
    await reply(update, t(caller.lang, "broadcast.pick_audience"), _audience_keyboard(caller.lang))


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


async def _preview(
    update: Update,
    context: DubanContext,
    session: AsyncSession,
    caller: Caller,
    plan: Plan,
    draft: Broadcast,
    edit: Message | None,
) -> None:
    lang = caller.lang
    reached = await reach(session, plan=plan, moment=context.moment(plan), audience=draft.audience)
    if not reached.contacts:
        draft.step = "audience"
        await session.commit()
        await reply(update, t(lang, "broadcast.nobody"), _audience_keyboard(lang))
        return
    draft.step = "preview"
    await session.commit()
    unreachable = (
        t(lang, "broadcast.unreachable", units=h("、".join(reached.unreachable_units[:30])))
        if reached.unreachable_units
        else t(lang, "broadcast.all_reachable")
    )
    eta = math.ceil(len(reached.contacts) / context.settings.send_rate_per_s)
    text = t(
        lang,
        "broadcast.preview",
        audience=h(_audience_label(lang, draft.audience)),
        people=len(reached.contacts),
        units=reached.units,
        eta=eta,
        unreachable=unreachable,
        text=h(draft.text or ""),
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "broadcast.send_now"), callback_data=callbacks.broadcast("go")
                ),
                InlineKeyboardButton(
                    t(lang, "broadcast.send_at"), callback_data=callbacks.broadcast("at")
                ),
            ],
            _cancel_row(lang),
        ]
    )
    if edit is not None:
        await edit_html(edit, text, markup)
    else:
        await reply(update, text, markup)


async def broadcast_callback(update: Update, context: DubanContext) -> None:
    """Every bc:* button."""
    query, parsed = button_press(update)
    message = query.message if isinstance(query.message, Message) else None
    async with context.sessions() as session:
        caller = await identify(update, context, session)
        if not caller.coordinator or caller.contact is None:
            await query.answer(t(caller.lang, "coordinator_only"), show_alert=True)
            return
        lang = caller.lang
        draft = await active_draft(session, contact_id=caller.contact.id)
        plan = await current_plan(session)
        if parsed is None or draft is None or plan is None or message is None:
            await query.answer(t(lang, "report.step_over"), show_alert=True)
            return
        action, args = parsed.args[0], parsed.args[1:]
        now = context.now()
        if action == "x":
            draft.state = "cancelled"
            await session.commit()
            await query.answer()
            await edit_html(message, t(lang, "broadcast.cancelled"), None)
            return
        if action == "a" and draft.step == "audience" and args and args[0] in AUDIENCES:
            kind = args[0]
            draft.audience = {"kind": kind}
            draft.updated_at = now
            await query.answer()
            if kind == "section":
                draft.step = "section"
                await session.commit()
                sections = await plan_tree(session, plan_id=plan.id)
                rows = [
                    [
                        InlineKeyboardButton(
                            f"{s.number}. {s.title[:20]}",
                            callback_data=callbacks.broadcast("s", s.number),
                        )
                    ]
                    for s, _tasks in sections
                ]
                await edit_html(
                    message,
                    t(lang, "broadcast.pick_section"),
                    InlineKeyboardMarkup([*rows, _cancel_row(lang)]),
                )
                return
            draft.step = {"tasks": "tasks", "unit": "unit"}.get(kind, "text")
            await session.commit()
            key = {"tasks": "broadcast.ask_tasks", "unit": "broadcast.ask_unit"}.get(
                kind, "broadcast.ask_text"
            )
            await edit_html(message, t(lang, key), InlineKeyboardMarkup([_cancel_row(lang)]))
            return
        if (
            action == "s"
            and draft.step == "section"
            and args
            and args[0].isascii()
            and args[0].isdigit()
            and len(args[0]) <= 3
        ):
            draft.audience = {"kind": "section", "section": int(args[0])}
            draft.step = "text"
            draft.updated_at = now
            await session.commit()
            await query.answer()
            await edit_html(
                message, t(lang, "broadcast.ask_text"), InlineKeyboardMarkup([_cancel_row(lang)])
            )
            return
        if action in ("go", "at") and draft.step == "preview":
            await query.answer()
            if action == "at":
                draft.step = "time"
                await session.commit()
                await edit_html(
                    message,
                    t(lang, "broadcast.ask_time"),
                    InlineKeyboardMarkup([_cancel_row(lang)]),
                )
                return
            reached = await reach(
                session, plan=plan, moment=context.moment(plan), audience=draft.audience
            )
            draft.progress_message_id = message.message_id
            total = await send(session, draft=draft, reached=reached, by=caller.contact, now=now)
            await session.commit()
            context.services.wake_outbox()
            await edit_html(
                message,
                t(
                    lang,
                    "broadcast.progress",
                    sent=0,
                    total=total,
                    failed=0,
                    eta=math.ceil(total / context.settings.send_rate_per_s),
                ),
                None,
            )
            return
        await query.answer(t(lang, "report.step_over"), show_alert=True)


def _parse_when(raw: str, context: DubanContext) -> datetime | None:
    tz = context.settings.tz
    now_local = context.now().astimezone(tz)
    text = raw.strip().replace("T", " ")
    match = _TIME_ONLY.match(text)
    try:
        if match:
            when = now_local.replace(
                hour=int(match.group(1)), minute=int(match.group(2)), second=0, microsecond=0
            )
        else:
            when = datetime.fromisoformat(text).replace(tzinfo=tz)
    except ValueError:
        return None
    return when if when > now_local + timedelta(seconds=30) else None


async def handle_text(
    update: Update, context: DubanContext, session: AsyncSession, caller: Caller, raw: str
) -> bool:
    """A coordinator's typed text for a broadcast step; False when no broadcast is waiting."""
    if caller.contact is None or not caller.coordinator:
        return False
    draft = await active_draft(session, contact_id=caller.contact.id)
    if draft is None or draft.step not in ("tasks", "unit", "text", "time"):
        return False
    plan = await current_plan(session)
    if plan is None:
        return False
    lang = caller.lang
    now = context.now()
    draft.updated_at = now
    if draft.step == "tasks":
        numbers = sorted({int(n) for n in re.findall(r"\d{1,4}", raw)})
        if not numbers:
            await reply(update, t(lang, "broadcast.bad_tasks", value=h(raw[:30])))
            return True
        draft.audience = {"kind": "tasks", "tasks": numbers}
        draft.step = "text"
        await session.commit()
        await reply(
            update, t(lang, "broadcast.ask_text"), InlineKeyboardMarkup([_cancel_row(lang)])
        )
        return True
    if draft.step == "unit":
        unit = await resolve_unit(session, name=raw.strip())
        if unit is None:
            await reply(update, t(lang, "broadcast.unknown_unit", unit=h(raw.strip()[:40])))
            return True
        draft.audience = {"kind": "unit", "unit": unit.name}
        draft.step = "text"
        await session.commit()
        await reply(
            update, t(lang, "broadcast.ask_text"), InlineKeyboardMarkup([_cancel_row(lang)])
        )
        return True
    if draft.step == "text":
        checked = check_text(raw)
        if isinstance(checked, TextProblem):
            await refuse_text(update, lang, checked, raw)
            return True
        draft.text = checked
        await _preview(update, context, session, caller, plan, draft, edit=None)
        return True
    when = _parse_when(raw, context)
    if when is None:
        await reply(update, t(lang, "broadcast.bad_time", value=h(raw[:30])))
        return True
    reached = await reach(session, plan=plan, moment=context.moment(plan), audience=draft.audience)
    total = await send(session, draft=draft, reached=reached, by=caller.contact, now=now, at=when)
    await session.commit()
    sent = await reply(
        update,
        t(
            lang,
            "broadcast.scheduled",
            people=total,
            when=f"{full_date_text(lang, when.date())} {when:%H:%M}",
        ),
    )
    if sent is not None:
        draft.progress_message_id = sent.message_id
        await session.commit()
    return True


def _progress_text(lang: Lang, done: Progress, rate: float) -> str:
    if done.finished:
        reasons = ";".join(
            t(lang, f"broadcast.reason.{reason}", count=count)
            for reason, count in sorted(done.reasons.items())
        )
        return t(
            lang,
            "broadcast.done",
            total=done.total,
            sent=done.sent,
            failed=done.failed,
            reasons=reasons,
        ).strip()
    return t(
        lang,
        "broadcast.progress",
        sent=done.sent,
        total=done.total,
        failed=done.failed,
        eta=math.ceil(done.pending / rate),
    )


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
