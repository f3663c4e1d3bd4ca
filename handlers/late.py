"""/late for coordinators: the units that have not reported, a page at a time, with 催办 (and
the liaisons' 收到)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from bot import callback_data as callbacks
from bot.chasing import Late, LateUnit, acknowledge, chase, late_units
from bot.delivery.queue import Button
from bot.i18n import Lang, date_text, h, t
from data.models import Plan
from handlers import keyboards
from handlers.access import Member, Request, anyone, coordinator
from handlers.common import edit_html
from handlers.oversight import chosen_plans
from handlers.render import when_text

# Units a page: a city has hundreds, and every one must be reachable (the rest by ◀ ▶).
LATE_PAGE = 20


def _pages(late: Late) -> int:
    return max(1, -(-(len(late.reachable) + len(late.unreachable)) // LATE_PAGE))


def _line(lang: Lang, entry: LateUnit, tz: ZoneInfo) -> str:
    """A reachable late unit: its count, and whether a 催办 was sent or acknowledged."""
    ack = ""
    if entry.chase is not None and entry.chase.acknowledged_at:
        ack = t(lang, "late.acked", when=when_text(lang, entry.chase.acknowledged_at, tz))
    elif entry.chase is not None:
        ack = t(lang, "late.chased")
    return t(lang, "late.line", unit=h(entry.unit.name), count=entry.count, ack=ack)


def late_view(
    lang: Lang, plan: Plan, late: Late, tz: ZoneInfo, *, name_plan: bool, page: int = 1
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of a plan's late units: reachable ones (催办 sent or acknowledged) first, then
    those nobody can reach; a 催办 button per reachable unit on the page, 全部催办, and ◀ ▶
    when there are more pages; under the plan's name when several plans are in view."""
    period = late.moment.span.label(lang)
    heading = [f"<b>【{h(plan.short_name)}】</b>"] if name_plan else []
    if not late.reachable and not late.unreachable:
        return "\n".join([*heading, t(lang, "late.none", period=period)]), None
    count = len(late.reachable) + len(late.unreachable)
    pages = _pages(late)
    page = min(max(page, 1), pages)
    first, last = (page - 1) * LATE_PAGE, page * LATE_PAGE
    reachable = late.reachable[first:last]
    unreachable = late.unreachable[
        max(0, first - len(late.reachable)) : last - len(late.reachable)
    ]
    due = date_text(lang, late.moment.due)
    lines = [*heading, t(lang, "late.header", period=period, due=due, count=count)]
    lines += [_line(lang, entry, tz) for entry in reachable]
    if unreachable:
        lines += ["", t(lang, "late.unreachable")]
        lines += [
            t(lang, "late.unreachable_line", unit=h(e.unit.name), count=e.count)
            for e in unreachable
        ]
    if pages > 1:
        lines += ["", t(lang, "late.page", page=page, pages=pages, count=count)]
    rows = [
        [
            Button(
                t(lang, "button.chase", unit=e.unit.name)[:60],
                callbacks.LATE(plan.id, e.unit.id, page),
            )
        ]
        for e in reachable
    ]
    if late.reachable:
        rows.append([Button(t(lang, "button.chase_all"), callbacks.LATE(plan.id, "all", page))])
    nav = [
        Button(t(lang, key), callbacks.LATE_PAGE(plan.id, target))
        for key, target, exists in (
            ("button.prev", page - 1, page > 1),
            ("button.next", page + 1, page < pages),
        )
        if exists
    ]
    rows += [nav] if nav else []
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
            late_view(req.lang, plan, found, req.context.settings.tz, name_plan=req.several)
        )
    await req.session.commit()
    for text, markup in views:
        await req.reply(text, markup)


@coordinator
async def late_page(req: Member) -> None:
    """◀ ▶ under /late: the plan's late units, another page, edited in place."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    plan = req.plan_of(parsed.int(0))
    if plan is None:
        await req.refuse("callback.stale")
        return
    found = await late_units(req.session, plan=plan, moment=req.context.moment(plan))
    await req.session.commit()
    await req.query.answer()
    if req.pressed_on is not None:
        tz = req.context.settings.tz
        view = late_view(req.lang, plan, found, tz, name_plan=req.several, page=parsed.int(1))
        await edit_html(req.pressed_on, *view)


@coordinator
async def chase_callback(req: Member) -> None:
    """📣 催办 one unit (or all) of a plan from /late: queue the chases, then refresh the page."""
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
    await req.queued()
    if not people:
        await req.refuse("late.nothing_to_chase")
        return
    await req.query.answer(req.t("late.chased_done", units=units, people=people))
    if req.pressed_on is not None:
        tz = req.context.settings.tz
        page = parsed.int(2) if len(parsed.args) > 2 else 1
        view = late_view(req.lang, plan, found, tz, name_plan=req.several, page=page)
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
