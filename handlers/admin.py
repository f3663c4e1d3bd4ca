"""Plan administration by coordinators: /invite, /deadline, /assign and /period."""

from __future__ import annotations

from bot.coordination import assign as assign_units
from bot.coordination import find_unit, parse_day, set_deadline, set_due_day
from bot.i18n import date_text, full_date_text, h
from bot.linking import create_invite, deep_link
from bot.plan.names import find_plan
from bot.plan.unit_groups import FOLD
from bot.plan.unit_groups import names as unit_names
from data.models import Contact, Plan, Task, Unit
from data.repo.plans import open_plans
from data.repo.tasks import task_with_units
from handlers.access import Known, Member, Request, coordinator
from handlers.common import task_number, typed_number
from handlers.tasks import which_task

_COORDINATOR = ("coordinator", "协调人", "督查室")
_RESET = ("-", "清除", "reset")
_LEADER = ("leader", "领导", "分管领导")
_KEYS = {"liaison": "unit", "leader": "leader"}


def bot_username(req: Known) -> str:
    """The bot's username for deep links: from getMe, else the setting."""
    context = req.context
    username = context.bot.username if context.bot.bot else None
    return username or context.services.bot_username or "duban_bot"


@coordinator(plan=False)
async def invite(req: Known) -> None:
    """/invite UNIT, /invite leader UNIT or /invite coordinator [PLAN]: a one-time, expiring
    deep link (a coordinator's for every plan, or only the plan named)."""
    if not req.args:
        await req.reply(req.t("invite.usage"))
        return
    unit, plan_id, role = None, None, "liaison"
    words = list(req.args)
    if words[0].lower() in _LEADER and len(words) > 1:
        role, words = "leader", words[1:]
    if role == "liaison" and words[0].lower() in _COORDINATOR:
        scope = req.caller.scope
        if len(req.args) > 1:
            plans = [p for p in await open_plans(req.session) if scope.covers(p.id)]
            plan = find_plan(" ".join(req.args[1:]), plans)
            if plan is None:
                names = "、".join(p.short_name for p in plans)
                await req.reply(req.t("plan.unknown", ref=h(req.args[1][:20]), plans=h(names)))
                return
            plan_id = plan.id
        elif not scope.every_plan:
            # A coordinator of some plans hands on no more than they have.
            await req.reply(req.t("invite.name_plan"))
            return
    else:
        unit = await unit_named(req, " ".join(words))
        if unit is None:
            return
        if unit.kind == "collective":
            await req.reply(req.t("invite.collective", unit=h(unit.name)))
            return
    key = "invite.created_coordinator" if unit is None else f"invite.created_{_KEYS[role]}"
    values = {"unit": h(unit.name if unit else "")}
    await send_invite(req, key, unit=unit, plan_id=plan_id, role=role, values=values)


async def unit_named(req: Request, name: str) -> Unit | None:
    """The unit a coordinator names (its name, an alias or the everyday name); None when the
    name fits none or several, which is said."""
    name = name.strip()
    found = await find_unit(req.session, name=name)
    if found.candidates:
        candidates = h("、".join(found.candidates))
        await req.reply(req.t("unit.ambiguous", name=h(name[:50]), candidates=candidates))
    elif found.unit is None:
        await req.reply(req.t("invite.unknown_unit", unit=h(name[:50])))
    return found.unit


async def send_invite(
    req: Known,
    key: str,
    *,
    unit: Unit | None,
    values: dict[str, str],
    plan_id: int | None = None,
    role: str = "liaison",
    replaces: Contact | None = None,
) -> None:
    """Make an invite as the coordinator asked, commit it, and answer with the catalog text
    `key` carrying its link and how long it lasts."""
    days = req.context.settings.invite_ttl_days
    code = await create_invite(
        req.session,
        unit=unit,
        now=req.now(),
        ttl_days=days,
        created_by=req.contact,
        actor=f"tg:{req.contact.telegram_id}",
        plan_id=plan_id,
        role=role,
        replaces=replaces,
    )
    await req.session.commit()
    link = h(deep_link(bot_username(req), code))
    await req.reply(req.t(key, days=days, link=link, **values))


async def _task(
    req: Member, words: list[str], *, usage: str, fits: bool, example: str
) -> tuple[Plan, Task, str] | None:
    """For /deadline and /assign: the task the words name (2, 民生实事 2), with how to say its
    number; or the usage (arguments that do not fit), no such task, or which plan, said."""
    if not fits:
        await req.reply(req.t(usage))
        return None
    found = await which_task(req, words, example=example)
    if found is None:
        return None
    plan, task_id = found
    task = await task_with_units(req.session, plan_id=plan.id, task_id=task_id)
    if task is None:
        return None
    return plan, task, task_number(plan.short_name, task.number, several=req.several)


def _split_task_words(args: list[str]) -> tuple[list[str], list[str]]:
    """The words naming a task (2, or 民生实事 2) and the rest."""
    if len(args) > 1 and not args[0].strip().isdigit() and args[1].strip().isdigit():
        return args[:2], args[2:]
    return args[:1], args[1:]


@coordinator
async def deadline(req: Member) -> None:
    """/deadline N DATE (or -): set or reset a task's deadline (/deadline 民生实事 N DATE when
    several plans have a task N)."""
    found = await _task(
        req,
        req.args[:-1],
        usage="deadline.usage",
        fits=len(req.args) >= 2,
        example="/deadline 12 2026-09-30",
    )
    if found is None:
        return
    plan, task, number = found
    raw = req.args[-1]
    day = None if raw in _RESET else parse_day(raw, default_year=plan.year)
    if day is None and raw not in _RESET:
        await req.reply(req.t("deadline.bad_date", value=h(raw[:20])))
        return
    moment = req.context.moment(plan)
    today = moment.today
    if day is not None and day < today:
        # A deadline already gone would turn the task red at once: nearly always a typo (the
        # wrong year or month), so it is refused and the coordinator types it again.
        await req.reply(
            req.t(
                "deadline.past",
                number=number,
                deadline=full_date_text(req.lang, day),
                today=full_date_text(req.lang, today),
                example=max(today, moment.year_end).isoformat(),
            )
        )
        return
    await set_deadline(req.session, task=task, deadline=day, by=req.contact, now=req.now())
    await req.session.commit()
    if day is None:
        year_end = req.context.moment(plan).year_end
        await req.reply(
            req.t("deadline.cleared", number=number, deadline=full_date_text(req.lang, year_end))
        )
    else:
        await req.reply(
            req.t("deadline.set", number=number, deadline=full_date_text(req.lang, day))
        )


@coordinator
async def assign(req: Member) -> None:
    """/assign N UNIT…: pick members of the task's "relevant" collectives."""
    words, rest = _split_task_words(req.args)
    found = await _task(
        req, words, usage="assign.usage", fits=bool(rest), example="/assign 46 江宁区政府"
    )
    if found is None:
        return
    _plan, task, number = found
    if not any(tu.unit.kind == "collective" and tu.unit.relevant for tu in task.units):
        await req.reply(req.t("assign.no_relevant", number=number))
        return
    # Names as people (and plans) write lists: 江宁区政府、浦口区政府 or 江宁区政府 浦口区政府;
    # split by the importer's own separators.
    names = [n for word in rest for n in unit_names(word.translate(FOLD))][:30]
    done = await assign_units(req.session, task=task, names=names, by=req.contact, now=req.now())
    await req.session.commit()
    lines = [
        req.t(key, number=number, units=h("、".join(units)))
        for key, units in (
            ("assign.added", done.added),
            ("assign.already", done.already),
            ("assign.unknown", done.unknown),
            ("assign.not_member", done.not_member),
        )
        if units
    ]
    lines += [
        req.t("unit.ambiguous", name=h(name[:50]), candidates=h("、".join(candidates)))
        for name, candidates in done.ambiguous
    ]
    await req.reply("\n".join(lines))


@coordinator
async def period(req: Member) -> None:
    """/period [PLAN]: show the period in force; /period [PLAN] DAY: change the due day (with
    several plans the plan is named, or every plan's period is shown)."""
    lang, args = req.lang, list(req.args)
    day_word = args.pop() if args and args[-1].strip().isdigit() else None
    if day_word is not None and args and args[-1].strip().isdigit():
        # /period 20 21: one due day only; neither number is taken as a plan's name.
        await req.reply(req.t("period.extra", words=h(" ".join(req.args)[:30])))
        return
    plans = list(req.plans)
    if args:
        plan = find_plan(" ".join(args), plans)
        if plan is None:
            names = "、".join(p.short_name for p in plans)
            await req.reply(req.t("plan.unknown", ref=h(" ".join(args)[:20]), plans=h(names)))
            return
        plans = [plan]
    elif req.args and day_word is None:
        await req.reply(req.t("period.bad_day", value=h(req.args[0][:10])))
        return
    if day_word is not None:
        day = typed_number(day_word, max_digits=2)
        if day is None or not 1 <= day <= 31:
            await req.reply(req.t("period.bad_day", value=h(day_word[:10])))
            return
        if len(plans) > 1:
            await req.reply(req.t("period.name_plan", day=day))
            return
        plan = plans[0]
        await set_due_day(req.session, plan=plan, due_day=day, by=req.contact, now=req.now())
        await req.session.commit()
        due = full_date_text(lang, req.context.moment(plan).due)
        await req.reply(req.t("period.set", due_day=plan.due_day, due=due))
        return
    shown = []
    for plan in plans:
        moment = req.context.moment(plan)
        span = moment.span
        text = req.t(
            "period.show",
            period=span.label(lang),
            start=date_text(lang, span.start),
            end=date_text(lang, span.end),
            due=full_date_text(lang, moment.due),
            due_day=plan.due_day,
        )
        shown.append(f"<b>【{h(plan.short_name)}】</b>\n{text}" if req.several else text)
    await req.reply("\n\n".join(shown))
