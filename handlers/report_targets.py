"""The report's target steps in chat: ask for each target's value so far this year, read what
is typed in the target's unit (万/亿 understood), skip with a button."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callback_data as callbacks
from bot import report_values
from bot.duties import Reportable
from bot.i18n import h
from bot.plan.quantities import QuantityError, plain, read_quantity
from bot.report_values import answer, current, given, position, targets_to_ask
from bot.target_text import amount, target_text
from data.models import ReportDraft
from data.repo.targets import Facts, latest_values
from handlers import keyboards
from handlers.access import Member
from handlers.render import percent_text


async def _targets(req: Member, draft: ReportDraft, duty: Reportable) -> list[Facts]:
    return await targets_to_ask(req.session, draft=draft, role=duty.role)


async def after_percent(req: Member, draft: ReportDraft, duty: Reportable) -> None:
    """The percent is in: the first target's step, or the text when the task has none."""
    report_values.advance(draft, await _targets(req, draft, duty), req.now())


async def prompt(
    req: Member, draft: ReportDraft, duty: Reportable, *, number: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Ask for the current target's value; what the draft holds is kept when skipped."""
    targets = await _targets(req, draft, duty)
    target = current(draft, targets)
    assert target is not None  # noqa: S101 - asked only at a target step with one left
    held = given(draft, target.id)
    if held is not None:
        before = req.t("report.target_held", value=h(amount(held, target.unit)))
    else:
        latest = (await latest_values(req.session, target_ids=[target.id])).get(target.id)
        before = (
            req.t("report.target_last", value=h(amount(latest.value, target.unit)))
            if latest is not None
            else ""
        )
    text = req.t(
        f"report.ask_target_{target.kind}",
        number=number,
        status=req.t(f"status.{draft.status}") if draft.status else "",
        percent=percent_text(req.lang, draft.percent),
        index=position(draft, targets),
        count=len(targets),
        metric=h(target.metric),
        target=h(target_text(target)),
        unit=h(target.unit or "—"),
        before=before,
    )
    skip = callbacks.REPORT("skip", target.id)
    return text, keyboards.skip_step(req.lang, skip)


async def take_value(req: Member, draft: ReportDraft, duty: Reportable, raw: str) -> str | None:
    """Typed text at a target step: the value, stored in the draft; returns the line saying
    what was recorded, or None when it was refused (and the person told why)."""
    targets = await _targets(req, draft, duty)
    target = current(draft, targets)
    if target is None:
        await req.reply(req.t("report.step_over"))
        return None
    try:
        value = read_quantity(raw, target.unit)
    except QuantityError as problem:
        unit = h(target.unit or "—")
        if problem.reason == "unit":
            key, said = "report.target_unit", h(problem.unit)
        else:
            key, said = "report.target_bad", h(raw[:20])
        await req.reply(req.t(key, value=said, unit=unit, metric=h(target.metric)))
        return None
    answer(draft, target, value, targets, req.now())
    return req.t(
        "report.target_taken", metric=h(target.metric), value=h(f"{plain(value)}{target.unit}")
    )


async def skip(req: Member, draft: ReportDraft, duty: Reportable, target_id: int) -> bool:
    """跳过 under a target: the next step (False: the button is not the current target's)."""
    targets = await _targets(req, draft, duty)
    target = current(draft, targets)
    if target is None or target.id != target_id:
        return False
    answer(draft, target, None, targets, req.now())
    return True
