"""The bulletin (通报) as a Word document, in the form supervision offices circulate it.

Title with the period; the reporting rate; the on-time ranking; the units late or not
reported, named; the red tasks with their latest words; the targets behind time. Every figure
comes from the ledger (bot/ledger/build.py), the same reads /status and the workbook use.

python-docx is imported here only, and this module only in a worker process (bot/ledger/jobs.py).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from bot.i18n import Lang, full_date_text, t
from bot.ledger.model import Ledger, Overview
from bot.lights import Light
from bot.target_text import share, target_text, value_text

FONT = "仿宋"  # the face official documents are set in; Word substitutes where it is missing
TITLE_FONT = "方正小标宋简体"
TEXT_CHARS = 120


def _font(run_or_style: object, name: str, size: float | None = None) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = name
    if size is not None:
        font.size = Pt(size)
    element = run_or_style.element  # type: ignore[attr-defined]
    element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _table(doc: DocumentType, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = str(value)


def _late_units(overview: Overview, *, after_due: bool) -> tuple[list[str], list[str]]:
    """Units not (fully) reported, and units that reported late (after the due day)."""
    missing = [r.unit for r in overview.ranking if r.reported < r.owed]
    late = [r.unit for r in overview.ranking if r.on_time < r.reported] if after_due else []
    return missing, late


def write_bulletin(parts: Sequence[tuple[Ledger, Overview]], *, lang: Lang, office: str) -> bytes:
    """One bulletin for each plan's period (one part per plan), as .docx bytes."""
    doc = Document()
    _font(doc.styles["Normal"], FONT, 12)
    for index, (ledger, overview) in enumerate(parts):
        if index:
            doc.add_page_break()  # type: ignore[no-untyped-call]
        _part(doc, ledger, overview, lang=lang)
    closing = doc.add_paragraph()
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    today = parts[0][0].moment.today if parts else date.today()
    closing.add_run(f"{office}\n{full_date_text(lang, today)}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _part(doc: DocumentType, ledger: Ledger, overview: Overview, *, lang: Lang) -> None:
    moment = ledger.moment
    period = moment.span.label(lang)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(t(lang, "bulletin.title", period=period, plan=ledger.short_name))
    run.bold = True
    _font(run, TITLE_FONT, 18)
    doc.add_paragraph(
        t(
            lang,
            "bulletin.summary",
            date=full_date_text(lang, moment.today),
            document=ledger.document,
            due=full_date_text(lang, moment.due),
            total=overview.total_units,
            done=overview.done_units,
            percent=f"{overview.percent:.1f}",
        )
    )
    doc.add_heading(t(lang, "bulletin.h.ranking"), level=2)
    headers = [t(lang, f"ledger.col.{k}") for k in ("rank", "unit", "owed", "reported")]
    headers += [t(lang, "ledger.col.on_time"), t(lang, "bulletin.col.on_time_rate")]
    _table(
        doc,
        headers,
        [
            (r.rank, r.unit, r.owed, r.reported, r.on_time, share_of(r.on_time, r.owed))
            for r in overview.ranking
        ],
    )
    doc.add_heading(t(lang, "bulletin.h.late"), level=2)
    after_due = moment.today > moment.due
    missing, late = _late_units(overview, after_due=after_due)
    key = "bulletin.missing" if after_due else "bulletin.missing_before_due"
    names = "、".join(missing) if missing else t(lang, "bulletin.none")
    doc.add_paragraph(t(lang, key, count=len(missing), units=names))
    if after_due:
        names = "、".join(late) if late else t(lang, "bulletin.none")
        doc.add_paragraph(t(lang, "bulletin.late", count=len(late), units=names))
    doc.add_heading(t(lang, "bulletin.h.red"), level=2)
    red = [row for row in ledger.tasks if row.light is Light.RED]
    doc.add_paragraph(t(lang, "bulletin.red_count", count=len(red)))
    if red:
        headers = [t(lang, f"ledger.col.{k}") for k in ("number", "task", "lead", "status")]
        headers.append(t(lang, "bulletin.col.words"))
        _table(
            doc,
            headers,
            [
                (
                    row.number,
                    _cut(row.text, 40),
                    "、".join(row.lead),
                    t(lang, f"status.{row.latest.status}")
                    if row.latest
                    else t(lang, "bulletin.not_reported"),
                    _cut(row.latest.text, TEXT_CHARS) if row.latest else "",
                )
                for row in red
            ],
        )
    doc.add_heading(t(lang, "bulletin.h.targets"), level=2)
    doc.add_paragraph(
        t(
            lang,
            "bulletin.targets_count",
            total=len(ledger.targets),
            reported=overview.targets,
            behind=len(overview.behind),
            elapsed=share(ledger.targets[0].standing.elapsed) if ledger.targets else "—",
        )
    )
    if overview.behind:
        keys = ("number", "metric", "target", "value", "progress", "elapsed", "rule", "light")
        rows = []
        for row in overview.behind:
            s = row.standing
            light = s.light
            rows.append(
                (
                    row.number,
                    s.target.metric,
                    target_text(s.target),
                    value_text(lang, s),
                    share(s.progress),
                    share(s.elapsed),
                    t(lang, f"targets.rule_name.{s.rule}"),
                    f"{light.emoji} {t(lang, f'light.{light.value}')}" if light else "",
                )
            )
        _table(doc, [t(lang, f"ledger.col.{k}") for k in keys], rows)


def share_of(part: int, whole: int) -> str:
    """A share of two counts in percent, one decimal (100% of nothing owed)."""
    return f"{100 * part / whole:.1f}%" if whole else "100.0%"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
