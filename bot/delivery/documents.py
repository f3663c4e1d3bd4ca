"""Documents the outbox sends (the clock's bulletins): the bytes are kept in the database, the
outbox row names them, and the sender reads them when the row's turn comes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InputFile

from data.repo.bulletins import bulletin_file


async def send_document(
    bot: Bot, sessions: async_sessionmaker[AsyncSession], chat_id: int, payload: dict[str, Any]
) -> Any:
    """Send the stored document an outbox payload names, its text as the caption."""
    async with sessions() as session:
        stored = await bulletin_file(session, bulletin_id=int(payload["document"]))
    if stored is None:
        raise LookupError(f"bulletin {payload['document']} is gone")
    filename, data = stored
    return await bot.send_document(
        chat_id,
        document=InputFile(data, filename=filename),
        caption=payload["text"],
        parse_mode=payload.get("parse_mode"),
    )
