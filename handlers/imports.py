"""/import: a coordinator sends a plan file (.docx, .xlsx or text); the bot answers with what
importing it would change and 确认导入 / 取消; nothing is written before 确认."""

from __future__ import annotations

from datetime import timedelta

from telegram import Document, InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as callbacks
from bot.i18n import Lang, h, t
from bot.plan.loader import ImportSummary
from bot.plan.model import PlanParseError
from bot.plan.numerals import number_ranges
from bot.plan.sources import PlanFileError
from bot.plan.uploads import import_upload, preview_upload
from data.models import PlanImport
from data.repo.imports import close_import, previewed_import, start_import, waiting_import
from data.repo.plans import ShortNameTakenError, get_plan
from handlers.access import Known, Request, coordinator
from handlers.common import edit_html

# Telegram lets bots download files up to 20 MB; a plan is far smaller.
MAX_PLAN_MB = 10
PROBLEMS_SHOWN = 5
LISTED = 30


@coordinator(plan=False)
async def import_command(req: Known) -> None:
    """/import: ask for the plan file; the next document the coordinator sends is it."""
    await start_import(
        req.session, contact_id=req.contact.id, chat_id=req.chat_id or 0, now=req.now()
    )
    await req.session.commit()
    await req.reply(req.t("import.send_file", limit=MAX_PLAN_MB))


async def waiting(req: Request) -> PlanImport | None:
    """The caller's /import waiting for its file (coordinators only; it lapses like any
    conversation)."""
    contact = req.caller.contact
    if not req.caller.coordinator or contact is None:
        return None
    minutes = req.context.settings.conversation_timeout_minutes
    since = req.now() - timedelta(minutes=minutes)
    return await waiting_import(req.session, contact_id=contact.id, since=since)


async def take_file(req: Request, pending: PlanImport) -> None:
    """The plan file after /import: read it and show the preview (or why it cannot be)."""
    document = req.message.document
    assert document is not None  # noqa: S101 - routed here for documents only
    if (document.file_size or 0) > MAX_PLAN_MB * 1024 * 1024:
        await req.reply(req.t("import.too_big", limit=MAX_PLAN_MB))
        return
    name = document.file_name or "plan"
    try:
        source, summary = await preview_upload(
            req.context.sessions,
            data=await _download(req, document),
            file_name=name,
            settings=req.context.settings,
            now=req.now(),
        )
    except (PlanFileError, PlanParseError, ShortNameTakenError) as exc:
        await req.reply(_refusal(req.lang, exc))
        return
    if not await _in_scope(req, summary.document):
        await req.reply(req.t("import.not_your_plan", document=h(summary.document)))
        return
    pending.state, pending.file_id, pending.file_name = "preview", document.file_id, name[:255]
    pending.fingerprint, pending.updated_at = source.fingerprint(), req.now()
    await req.session.commit()
    buttons = [
        InlineKeyboardButton(
            req.t("import.confirm"), callback_data=callbacks.IMPORT("ok", pending.id)
        ),
        InlineKeyboardButton(
            req.t("import.cancel"), callback_data=callbacks.IMPORT("x", pending.id)
        ),
    ]
    await req.reply(preview_text(req.lang, name, summary), InlineKeyboardMarkup([buttons]))


@coordinator(plan=False)
async def import_callback(req: Known) -> None:
    """确认导入 (import the previewed file) or 取消 under a preview."""
    parsed = req.data
    assert parsed is not None  # noqa: S101 - the pattern guarantees the shape
    action, import_id = parsed.args[0], parsed.int(1)
    pending = await previewed_import(req.session, import_id=import_id, contact_id=req.contact.id)
    if pending is None or not await close_import(
        req.session,
        import_id=import_id,
        state="done" if action == "ok" else "cancelled",
        now=req.now(),
    ):
        await req.refuse("report.step_over")
        return
    await req.query.answer()
    if action == "x":
        await req.session.commit()
        await _settle(req, req.t("import.cancelled"))
        return
    try:
        summary = await import_upload(
            req.session,
            data=await _download(req, pending.file_id or ""),
            file_name=pending.file_name,
            fingerprint=pending.fingerprint,
            settings=req.context.settings,
            now=req.now(),
            actor=f"tg:{req.contact.telegram_id}",
        )
    except (PlanFileError, PlanParseError, ShortNameTakenError) as exc:
        await req.session.rollback()
        await _settle(req, _refusal(req.lang, exc))
        return
    await req.session.commit()
    await _settle(
        req,
        req.t(
            "import.done",
            document=h(summary.document),
            short_name=h(summary.short_name),
            new=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            retired=len(summary.retired),
        ),
    )


async def _download(req: Request, file: Document | str) -> bytes:
    """A file's bytes from Telegram's servers."""
    file_id = file if isinstance(file, str) else file.file_id
    telegram_file = await req.context.bot.get_file(file_id)
    return bytes(await telegram_file.download_as_bytearray())


async def _in_scope(req: Request, document: str) -> bool:
    """A coordinator re-imports the plans they coordinate; a new plan needs one of every plan."""
    plan = await get_plan(req.session, document=document)
    scope = req.caller.scope
    return scope.every_plan if plan is None else scope.covers(plan.id)


async def _settle(req: Known, text: str) -> None:
    """The preview's message shows how it ended (its buttons gone)."""
    if req.pressed_on is not None:
        await edit_html(req.pressed_on, text)
    else:
        await req.reply(text)


def _refusal(lang: Lang, exc: Exception) -> str:
    if isinstance(exc, PlanParseError):
        problems = "\n".join(f"· {h(p)}" for p in exc.problems[:PROBLEMS_SHOWN])
        more = len(exc.problems) - PROBLEMS_SHOWN
        extra = t(lang, "import.more_problems", count=more) if more > 0 else ""
        return t(lang, "import.problems", problems=problems + extra)
    return t(lang, "import.unreadable", reason=h(exc))


def _listed(names: list[str]) -> str:
    shown = "、".join(names[:LISTED])
    return h(shown + ("…" if len(names) > LISTED else ""))


def preview_text(lang: Lang, file_name: str, summary: ImportSummary) -> str:
    """What importing the file would change, as the CLI's --dry-run says it."""
    parts = [
        t(
            lang,
            "import.preview",
            file=h(file_name),
            document=h(summary.document),
            title=h(summary.title),
            year=summary.year,
            sections=summary.sections,
            tasks=summary.tasks,
            units=summary.units,
            new=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            retired=len(summary.retired),
        )
    ]
    if summary.document == summary.title[:100]:
        parts.append(t(lang, "import.document_from_title"))
    for key, numbers in (
        ("import.new_tasks", summary.new),
        ("import.updated_tasks", summary.changed),
        ("import.retired_tasks", summary.retired),
    ):
        if numbers and (key != "import.new_tasks" or summary.updated or summary.retired):
            parts.append(t(lang, key, numbers=number_ranges(numbers)))
    if summary.new_units:
        parts.append(
            t(
                lang,
                "import.new_units",
                count=len(summary.new_units),
                units=_listed(summary.new_units),
            )
        )
    if summary.unknown_units:
        parts.append(t(lang, "import.unknown_units", units=_listed(summary.unknown_units)))
    for written, candidates in summary.ambiguous.items():
        parts.append(t(lang, "import.ambiguous", name=h(written), candidates=_listed(candidates)))
    if summary.read_as:
        pairs = "、".join(f"{w}→{u}" for w, u in summary.read_as.items())
        parts.append(t(lang, "import.read_as", pairs=h(pairs)))
    parts.append(t(lang, "import.deadlines", count=summary.deadlines))
    for number, written in summary.kept_deadlines[:PROBLEMS_SHOWN]:
        parts.append(t(lang, "import.deadline_kept", number=number, written=h(written)))
    if summary.leaders:
        parts.append(t(lang, "import.leaders", count=summary.leaders))
    if summary.first_unit_leads:
        parts.append(t(lang, "import.first_unit_leads"))
    rule = summary.rule
    if rule is not None:
        kind = t(lang, f"import.period.{rule.period_kind}")
        when = t(lang, "import.next_month") if rule.due_month_offset else ""
        parts.append(
            t(lang, "import.rule", phrase=h(rule.phrase), kind=kind, day=rule.due_day, when=when)
        )
    parts.append(t(lang, "import.nothing_yet"))
    return "\n".join(parts)
