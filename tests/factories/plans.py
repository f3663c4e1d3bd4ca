"""Builders for plans: the shipped seed, and small synthetic plan texts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.plan.directory import DEFAULT_PLAN, Directory, load_directory
from bot.plan.loader import ImportSummary, import_plan

SEED_TEXT = DEFAULT_PLAN.read_text(encoding="utf-8")
FIXED_NOW = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)


def directory() -> Directory:
    """The shipped Nanjing unit directory."""
    return load_directory()


async def load_seed(
    sessions: async_sessionmaker[AsyncSession], *, year: int | None = None
) -> ImportSummary:
    """Import the Nanjing seed plan and commit."""
    async with sessions() as session:
        summary = await import_plan(
            session, text=SEED_TEXT, directory=directory(), now=FIXED_NOW, year=year
        )
        await session.commit()
    return summary


def small_plan(*task_lines: str, document: str = "测政发〔2024〕1号") -> str:
    """A minimal plan document: a header, one section and the given task lines."""
    return "\n".join(
        ["某市人民政府文件", document, "2024年工作方案", "", "一、关于测试", *task_lines]
    )
