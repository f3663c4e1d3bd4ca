"""Plain messages (not commands), routed to the conversation waiting for them, in one order.

Typed text goes, first match wins, to: a coordinator's broadcast step → a coordinator's
return reason → the report draft's percent or text step → a reply to a message about a task
(filed as a report) → "no conversation in progress". Photos and documents are evidence for a
report draft at its text or preview step, except a document after a coordinator's /import,
which is the plan to import; anything else is told what is expected. An edit of an earlier
message is never new input.
"""

from __future__ import annotations

from bot.reporting import DraftStep
from handlers import broadcast, imports, replies, report, review
from handlers.access import Member, Request, admit_linked, anyone, linked


@linked
async def text_input(req: Member) -> None:
    """Typed text: the conversation step waiting for it, or a reply to a prompt."""
    raw = req.message.text
    assert raw is not None  # noqa: S101 - registered with the TEXT filter
    draft = await report.conversation(req)
    if await broadcast.take_text(req, raw):
        return
    if draft is not None and draft.kind == "return":
        await review.take_reason(req, draft, raw)
    elif draft is not None and draft.step in (DraftStep.PERCENT, DraftStep.TARGET, DraftStep.TEXT):
        await report.take_text(req, draft, raw)
    elif req.message.reply_to_message is not None:
        await replies.file_reply(req)
    else:
        await req.reply(req.t("report.no_draft_text"))


@anyone
async def media_input(req: Request) -> None:
    """A photo or document: the plan file /import asked for, or evidence for the draft at its
    text or preview step. Open to anyone so that a coordinator can send the first plan while
    no plan is open yet; the rest is for members only."""
    if req.message.document is not None:
        pending = await imports.waiting(req)
        if pending is not None:
            await imports.take_file(req, pending)
            return
    member = await admit_linked(req)
    if isinstance(member, str):
        await req.refuse(member)
        return
    await _evidence(member)


async def _evidence(req: Member) -> None:
    """A photo or document from a member: evidence for the draft at its text or preview step."""
    draft = await report.conversation(req)
    if draft is None:
        await req.reply(req.t("report.no_draft_text"))
    elif draft.kind != "report" or draft.step not in (DraftStep.TEXT, DraftStep.PREVIEW):
        await req.reply(req.t("report.attachment_not_now"))
    else:
        await report.take_attachment(req, draft)


@anyone
async def other_input(req: Request) -> None:
    """Stickers, voice and the like: not a report text; say what is expected."""
    draft = await report.conversation(req)
    typing = (DraftStep.TEXT, DraftStep.PERCENT, DraftStep.TARGET, DraftStep.REASON)
    key = "report.text_expected" if draft and draft.step in typing else "report.no_draft_text"
    await req.reply(req.t(key))


@anyone
async def edited_input(req: Request) -> None:
    """An edit of a message sent earlier changes nothing already taken; with a conversation in
    progress, say so (and how to change the text), otherwise stay quiet."""
    draft = await report.conversation(req)
    if draft is not None:
        preview = draft.step == DraftStep.PREVIEW
        await req.reply(req.t("report.edit_in_preview" if preview else "report.edit_ignored"))
