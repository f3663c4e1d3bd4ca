"""/targets: coordinators review a task's targets (fix, add, remove, switch comparator or kind,
confirm)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callback_data as callbacks
from bot import target_review
from bot.delivery.queue import Button
from bot.i18n import h
from bot.target_text import target_text
from data.models import Plan, Task
from data.repo.target_sync import live_targets
from data.repo.targets import Facts, target_by_id
from data.repo.tasks import plan_of_task, task_with_units
from handlers import keyboards
from handlers.access import Member, coordinator
from handlers.common import edit_html, typed_number
from handlers.tasks import which_task

VERBS = ("add", "set")


def _view(req: Member, task: Task) -> tuple[str, InlineKeyboardMarkup]:
    """The task's targets, numbered, with a row of buttons each and 确认."""
    targets = live_targets(task)
    state = "targets.reviewed" if task.targets_reviewed_at else "targets.unreviewed"
    lines = [req.t("targets.review_header", number=task.number, state=req.t(state))]
    rows: list[list[Button]] = []
    for index, target in enumerate(targets, start=1):
        facts = Facts.of(target)
        kind = req.t(f"targets.kind.{target.kind}")
        lines.append(f"{index}. {h(target.metric)} {h(target_text(facts))}({kind})")
        rows.append(
            [
                Button(
                    req.t(f"targets.button.{what}", index=index),
                    callbacks.TARGETS(what, target.id),
                )
                for what in ("c", "k", "d")
            ]
        )
    if not targets:
        lines.append(req.t("targets.none"))
    lines += ["", req.t("targets.review_usage", number=task.number)]
    rows.append([Button(req.t("targets.button.ok"), callbacks.TARGETS("ok", task.id))])
    return "\n".join(lines), keyboards.markup(rows)


@coordinator
async def targets_command(req: Member) -> None:
    """/targets [PLAN] N [add 新增城镇就业28万人 | set K 新增城镇就业28万人以上]."""
    words = req.args
    at = next((i for i, w in enumerate(words) if w.lower() in VERBS), len(words))
    found = await which_task(req, words[:at], example="/targets 12")
    if found is None:
        return
    plan, task_id = found
    task = await task_with_units(req.session, plan_id=plan.id, task_id=task_id)
    if task is None:
        await req.refuse("callback.stale")
        return
    if at < len(words) and not await _edit(req, task, words[at].lower(), words[at + 1 :]):
        return
    await req.session.commit()
    await req.reply(*_view(req, task))


async def _edit(req: Member, task: Task, verb: str, rest: list[str]) -> bool:
    """add PHRASE or set K PHRASE; False (and the person told) when it cannot be done."""
    index = typed_number(rest[0]) if verb == "set" and rest else None
    phrase = " ".join(rest[1:] if verb == "set" else rest)
    target = target_review.read_phrase(phrase)
    if (verb == "set" and index is None) or target is None:
        await req.reply(req.t("targets.bad_phrase", phrase=h(phrase[:60]), number=task.number))
        return False
    now = req.now()
    if verb == "add":
        target_review.add(req.session, task=task, target=target, by=req.contact, now=now)
    elif not target_review.replace(
        req.session, task=task, index=index or 0, target=target, by=req.contact, now=now
    ):
        await req.reply(req.t("targets.no_such", index=index, number=task.number))
        return False
    return True


async def _task_of(req: Member, task_id: int) -> tuple[Plan, Task] | None:
    plan_id = await plan_of_task(req.session, task_id=task_id)
    plan = req.plan_of(plan_id) if plan_id is not None else None
    task = await task_with_units(req.session, plan_id=plan.id, task_id=task_id) if plan else None
    return (plan, task) if plan is not None and task is not None else None


@coordinator
async def targets_callback(req: Member) -> None:
    """The buttons under /targets: next comparator, cumulative ↔ rate, remove, confirm."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    what, ident = parsed.args[0], parsed.int(1)
    if what == "ok":
        found = await _task_of(req, ident)
    else:
        target = await target_by_id(req.session, target_id=ident)
        found = await _task_of(req, target.task_id) if target is not None else None
    if found is None:  # removed, or a plan this coordinator no longer sees
        await req.refuse("callback.stale")
        return
    _plan, task = found
    if what == "ok":
        target_review.confirm(req.session, task=task, by=req.contact, now=req.now())
    else:
        live = next(t for t in task.targets if t.id == ident)
        target_review.change(
            req.session, task=task, target=live, what=what, by=req.contact, now=req.now()
        )
    await req.session.commit()
    await req.query.answer(req.t("targets.saved"))
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, *_view(req, task))
