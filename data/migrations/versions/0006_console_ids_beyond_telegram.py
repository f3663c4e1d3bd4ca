"""Console people beyond real Telegram ids; contacts' chats back to their private chat.

Earlier versions gave the terminal console's liaison and coordinator the Telegram ids 10000001
and 10000002, which real (early) Telegram accounts can have: served on Telegram, a database
tried out in the console would have made such a user a coordinator. Their rows (recognised by
the console's name and no username) move to 2**52 + 1 and + 2, which no Telegram user can
have (user ids have at most 52 significant bits), with their queued messages, message
references, report drafts and broadcasts. A real person who has one of those old ids is left
alone.

Earlier versions also answered in groups, and a liaison who wrote there had their chat moved to
the group (nudges went there). The bot now talks in private chats only, whose id is the user's:
every contact's chat goes back to it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVES = ((10_000_001, 2**52 + 1), (10_000_002, 2**52 + 2))
CONSOLE_NAMES = ("控制台用户", "Console user")

contacts = sa.table(
    "contacts",
    sa.column("id", sa.Integer),
    sa.column("telegram_id", sa.BigInteger),
    sa.column("chat_id", sa.BigInteger),
    sa.column("full_name", sa.String),
    sa.column("username", sa.String),
)
outbox = sa.table(
    "outbox", sa.column("contact_id", sa.Integer), sa.column("chat_id", sa.BigInteger)
)
message_refs = sa.table("message_refs", sa.column("chat_id", sa.BigInteger))
report_drafts = sa.table(
    "report_drafts", sa.column("contact_id", sa.Integer), sa.column("chat_id", sa.BigInteger)
)
broadcasts = sa.table(
    "broadcasts", sa.column("created_by", sa.Integer), sa.column("chat_id", sa.BigInteger)
)


def _move(old: int, new: int) -> None:
    bind = op.get_bind()
    contact_id = bind.scalar(
        sa.select(contacts.c.id).where(
            contacts.c.telegram_id == old,
            contacts.c.full_name.in_(CONSOLE_NAMES),
            contacts.c.username.is_(None),
        )
    )
    if contact_id is None:
        return
    bind.execute(
        contacts.update().where(contacts.c.id == contact_id).values(telegram_id=new, chat_id=new)
    )
    bind.execute(
        outbox.update()
        .where(outbox.c.contact_id == contact_id, outbox.c.chat_id == old)
        .values(chat_id=new)
    )
    bind.execute(message_refs.update().where(message_refs.c.chat_id == old).values(chat_id=new))
    bind.execute(
        report_drafts.update().where(report_drafts.c.contact_id == contact_id).values(chat_id=new)
    )
    bind.execute(
        broadcasts.update().where(broadcasts.c.created_by == contact_id).values(chat_id=new)
    )


def upgrade() -> None:
    for old, new in MOVES:
        _move(old, new)
    op.get_bind().execute(
        contacts.update()
        .where(contacts.c.chat_id != contacts.c.telegram_id)
        .values(chat_id=contacts.c.telegram_id)
    )


def downgrade() -> None:
    # Chats moved back from groups stay private: that was a fault, not data.
    for old, new in MOVES:
        _move(new, old)
