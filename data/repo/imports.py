"""Plan imports through the bot: the coordinator's conversation (/import, the file, 确认)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from data.models import PlanImport

OPEN = ("waiting", "preview")


async def cancel_imports(session: AsyncSession, *, contact_id: int, now: datetime) -> int:
    """End a person's imports in progress; how many there were."""
    result = await session.execute(
        update(PlanImport)
        .where(PlanImport.contact_id == contact_id, PlanImport.state.in_(OPEN))
        .values(state="cancelled", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def start_import(
    session: AsyncSession, *, contact_id: int, chat_id: int, now: datetime
) -> PlanImport:
    """A new import waiting for its file (one in progress before it ends)."""
    await cancel_imports(session, contact_id=contact_id, now=now)
    started = PlanImport(
        contact_id=contact_id, chat_id=chat_id, state="waiting", created_at=now, updated_at=now
    )
    session.add(started)
    await session.flush()
    return started


async def waiting_import(
    session: AsyncSession, *, contact_id: int, since: datetime
) -> PlanImport | None:
    """The person's import waiting for a file, if it was asked for after `since`."""
    return await session.scalar(
        select(PlanImport)
        .where(
            PlanImport.contact_id == contact_id,
            PlanImport.state == "waiting",
            PlanImport.updated_at >= since,
        )
        .order_by(PlanImport.id.desc())
        .limit(1)
    )


async def previewed_import(
    session: AsyncSession, *, import_id: int, contact_id: int
) -> PlanImport | None:
    """The person's import whose preview is shown (None once confirmed or cancelled)."""
    return await session.scalar(
        select(PlanImport).where(
            PlanImport.id == import_id,
            PlanImport.contact_id == contact_id,
            PlanImport.state == "preview",
        )
    )


async def close_import(
    session: AsyncSession, *, import_id: int, state: str, now: datetime
) -> bool:
    """Confirm (done) or cancel a previewed import, if it still is one: of two taps on 确认,
    one wins."""
    result = await session.execute(
        update(PlanImport)
        .where(PlanImport.id == import_id, PlanImport.state == "preview")
        .values(state=state, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
