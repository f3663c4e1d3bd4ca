"""People over the year: a coordinator's /people (roster, 移除, 交接) and /coordinators, and a
liaison's own /leave."""

from __future__ import annotations

from datetime import datetime, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as callbacks
from bot.i18n import Lang, date_text, h, t
from bot.people import plan_roster, revoke_coordinator, units_in_play, unlink
from data.models import Contact, Unit
from data.repo.contacts import contact_with_units
from data.repo.coordinators import grant_rows
from data.repo.people import Person, UnitRoster
from data.repo.units import units_by_ids
from handlers.access import Known, Member, coordinator, linked
from handlers.admin import send_invite, unit_named
from handlers.common import edit_html
from handlers.menus import hide_coordinator_menu


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _day(lang: Lang, moment: datetime | None, tz: tzinfo) -> str:
    return date_text(lang, moment.astimezone(tz).date()) if moment else "—"


def _person_line(lang: Lang, person: Person, tz: tzinfo) -> str:
    """One person as the roster shows them: role, name, id, since, last seen, reachable."""
    return t(
        lang,
        "people.person",
        role=t(lang, f"people.role_{person.role}"),
        name=h(person.name or "—"),
        username=f" @{h(person.username)}" if person.username else "",
        telegram_id=person.telegram_id,
        since=_day(lang, person.since, tz),
        seen=_day(lang, person.last_seen, tz),
        state=t(lang, "people.reachable" if person.reachable else "people.blocked"),
        language=person.language or "—",
    )


def _overview(lang: Lang, units: list[UnitRoster]) -> str:
    """Units nobody can be reached at, named together first; then each reachable unit with
    its liaisons."""
    lines = [t(lang, "people.title", count=len(units))]
    gaps = [u.name for u in units if not u.reachable]
    if gaps:
        lines.append(t(lang, "people.gaps", count=len(gaps), units=h("、".join(gaps))))
    for unit in units:
        if unit.reachable:
            names = "、".join(
                h(p.name) + ("" if p.reachable else "🚫")
                for p in unit.people
                if p.role == "liaison"
            )
            lines.append(f"✅ {h(unit.name)}:{names}")
    return "\n".join(lines)


def _unit_page(lang: Lang, unit: UnitRoster, tz: tzinfo) -> tuple[str, InlineKeyboardMarkup]:
    """One unit's people in full, with 移除 for each and 交接 for each liaison."""
    lines = [f"<b>{h(unit.name)}</b>"]
    lines += [_person_line(lang, p, tz) for p in unit.people] or [t(lang, "people.nobody")]
    rows = []
    for person in unit.people:
        name = person.name[:12] or str(person.telegram_id)
        row = [_button(t(lang, "people.remove", name=name), _data("rm", person, unit))]
        if person.role == "liaison":
            row.append(_button(t(lang, "people.hand_over", name=name), _data("ho", person, unit)))
        rows.append(row)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _data(action: str, person: Person, unit: UnitRoster) -> str:
    return callbacks.PEOPLE(action, person.contact_id, unit.unit_id)


@coordinator
async def people(req: Member) -> None:
    """/people: each unit's liaisons and leaders, units nobody can be reached at first;
    /people UNIT: one unit's people with 移除 and 交接."""
    tz = req.context.settings.tz
    if not req.args:
        units = await plan_roster(req.session, plans=req.plans)
        await req.reply(_overview(req.lang, req.context.services.presence.overlay(units)))
        return
    unit = await unit_named(req, " ".join(req.args))
    if unit is None:
        return
    if unit.kind == "collective":
        await req.reply(req.t("people.collective", unit=h(unit.name)))
        return
    if unit.id not in await units_in_play(req.session, plans=req.plans):
        await req.reply(req.t("people.not_in_plans", unit=h(unit.name)))
        return
    (roster,) = req.context.services.presence.overlay(
        await plan_roster(req.session, plans=req.plans, unit_id=unit.id)
    )
    await req.reply(*_unit_page(req.lang, roster, tz))


@coordinator
async def people_callback(req: Member) -> None:
    """pl:rm asks to confirm, pl:ok takes the person off the unit, pl:ho makes an invite for a
    successor who takes over when they link, pl:x keeps everything."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    action = parsed.args[0]
    if action == "x":
        await req.query.answer()
        if req.pressed_on is not None:
            await edit_html(req.pressed_on, req.t("people.kept"))
        return
    contact_id, unit_id = parsed.int(1), parsed.int(2)
    person = await contact_with_units(req.session, contact_id=contact_id)
    held = person is not None and unit_id in {
        *(cu.unit_id for cu in person.units),
        *(lead.unit_id for lead in person.leads),
    }
    unit = (await units_by_ids(req.session, ids=[unit_id])).get(unit_id)
    if person is None or unit is None or not held:
        await req.refuse("people.gone")
        return
    if unit_id not in await units_in_play(req.session, plans=req.plans):
        await req.refuse("coordinator_only")
        return
    values = {"name": h(person.full_name), "unit": h(unit.name)}
    if action == "rm":
        keyboard = InlineKeyboardMarkup(
            [
                [
                    _button(req.t("people.confirm"), callbacks.PEOPLE("ok", contact_id, unit_id)),
                    _button(req.t("button.cancel"), callbacks.PEOPLE("x")),
                ]
            ]
        )
        await req.query.answer()
        await req.reply(req.t("people.ask_remove", **values), keyboard)
    elif action == "ok":
        await _remove(req, person, unit_id, values)
    elif any(link.unit_id == unit_id for link in person.units):
        await _hand_over(req, person, unit, values)
    else:
        await req.refuse("people.gone")  # a leader is not handed over: invite the new one


async def _remove(req: Member, person: Contact, unit_id: int, values: dict[str, str]) -> None:
    done = await unlink(
        req.session,
        person=person,
        unit_id=unit_id,
        by=req.contact,
        now=req.now(),
        reason="removed by a coordinator",
    )
    await req.session.commit()
    await req.query.answer()
    text = req.t("people.removed", drafts=done.drafts, cancelled=done.cancelled, **values)
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, text)


async def _hand_over(req: Member, person: Contact, unit: Unit, values: dict[str, str]) -> None:
    await req.query.answer()
    await send_invite(req, "people.hand_over_link", unit=unit, replaces=person, values=values)


@linked
async def leave(req: Member) -> None:
    """/leave: stop being a unit's liaison (or leader), after a confirmation."""
    held = [cu.unit_id for cu in req.contact.units] + [lead.unit_id for lead in req.contact.leads]
    if not held:
        await req.reply(req.t("leave.nothing"))
        return
    units = await units_by_ids(req.session, ids=held)
    rows = [
        [_button(req.t("leave.button", unit=units[i].name), callbacks.LEAVE(i))]
        for i in held
        if i in units
    ]
    rows.append([_button(req.t("button.cancel"), callbacks.LEAVE("x"))])
    await req.reply(req.t("leave.ask"), InlineKeyboardMarkup(rows))


@linked
async def leave_callback(req: Member) -> None:
    """lv:UNIT takes the person off that unit; lv:x keeps it."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    await req.query.answer()
    if parsed.args[0] == "x":
        text = req.t("leave.kept")
    else:
        done = await unlink(
            req.session,
            person=req.contact,
            unit_id=parsed.int(0),
            by=req.contact,
            now=req.now(),
            reason="left",
        )
        await req.session.commit()
        if not done.units:
            text = req.t("leave.not_yours")
        else:
            key = "leave.done" if req.contact.units or req.contact.leads else "leave.done_last"
            text = req.t(key, unit=h("、".join(done.units)))
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, text)
    else:
        await req.reply(text)


async def _coordinators_page(req: Known) -> tuple[str, InlineKeyboardMarkup | None]:
    """The coordinators: those of the setting, then those with a grant (revocable by a
    coordinator of every plan)."""
    lines = [req.t("coordinators.title")]
    configured = req.context.settings.coordinators
    lines += [req.t("coordinators.configured", telegram_id=i) for i in configured]
    rows = await grant_rows(req.session)
    every = req.t("coordinators.every_plan")
    lines += [
        req.t(
            "coordinators.granted",
            name=h(row.name),
            telegram_id=row.telegram_id,
            plan=h(row.plan or every),
            since=date_text(req.lang, row.granted_at.date()),
        )
        for row in rows
    ]
    if not configured and not rows:
        lines.append(req.t("coordinators.none"))
    buttons = [
        [
            _button(
                req.t("coordinators.revoke", name=row.name[:16]), callbacks.REVOKE(row.contact_id)
            )
        ]
        for row in rows
        if req.caller.scope.every_plan and row.contact_id != req.contact.id
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons) if buttons else None


@coordinator(plan=False)
async def coordinators_command(req: Known) -> None:
    """/coordinators: who coordinates, with 撤销 for those invited."""
    await req.reply(*await _coordinators_page(req))


@coordinator(plan=False)
async def coordinators_callback(req: Known) -> None:
    """co:CONTACT revokes the person's invited coordinator rights."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    person = await contact_with_units(req.session, contact_id=parsed.int(0))
    if not req.caller.scope.every_plan or person is None:
        await req.refuse("coordinator_only" if person is not None else "people.gone")
        return
    count = await revoke_coordinator(
        req.session,
        person=person,
        by=req.contact,
        now=req.now(),
    )
    await req.session.commit()
    if not count:
        await req.refuse("people.gone")
        return
    settings = req.context.settings
    if person.telegram_id not in settings.coordinators:  # the setting's people keep their rights
        bot, bot_data = req.context.bot, req.context.bot_data
        await hide_coordinator_menu(
            bot, bot_data, chat_id=person.chat_id, dashboard=settings.dashboard_url
        )
    await req.query.answer(req.t("coordinators.revoked", name=person.full_name))
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, *await _coordinators_page(req))
