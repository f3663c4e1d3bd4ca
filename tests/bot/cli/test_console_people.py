"""The console's people: acting as several units never unlinks anything; switching in a session."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.cli.console import COORDINATOR_ID, LIAISON_ID
from bot.settings import Settings
from data.models import Contact
from data.repo.coordinators import scope_of
from tests.factories.console import after, console


async def _units_of(sessions: async_sessionmaker[AsyncSession], telegram_id: int) -> set[str]:
    async with sessions() as session:
        contact = await session.scalar(
            select(Contact)
            .where(Contact.telegram_id == telegram_id)
            .options(selectinload(Contact.units))
        )
    assert contact is not None
    return {cu.unit.name for cu in contact.units}


async def test_as_another_unit_keeps_the_earlier_units_and_redeemed_invites(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # The input that misled: a redeemed invite and `--as 市发改委`, then `--as 市财政局`.
    invite = await console(settings, "/invite 市卫健委")
    code = re.search(r"\?start=([A-Za-z0-9_-]+)", invite)
    assert code is not None, invite
    await console(settings, f"/start {code.group(1)}", as_unit="市发改委")
    out = await console(settings, "/whoami", as_unit="市财政局")
    assert out.startswith("督办控制台 · 您是市发改委、市财政局、市卫健委的联络员。")
    assert "本次加入市财政局;此前的单位都保留着(/leave 可退出其中一个)。" in out
    assert "您是以下单位的联络员:市发改委、市财政局、市卫健委" in after(out, "/leave")
    assert await _units_of(sessions, LIAISON_ID) == {"市发改委", "市卫健委", "市财政局"}
    # Acting as a unit already held adds nothing and says nothing about it.
    again = await console(settings, "/mytasks", as_unit="市发改委")
    assert "本次加入" not in again
    assert await _units_of(sessions, LIAISON_ID) == {"市发改委", "市卫健委", "市财政局"}


async def test_acting_as_a_liaison_creates_no_coordinator(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await console(settings, "/whoami", as_unit="市财政局")
    async with sessions() as session:
        liaison = await session.scalar(select(Contact).where(Contact.telegram_id == LIAISON_ID))
        assert liaison is not None
        assert not (await scope_of(session, contact_id=liaison.id)).any
        coordinator = await session.scalar(
            select(Contact).where(Contact.telegram_id == COORDINATOR_ID)
        )
    assert coordinator is None


async def test_switching_who_is_at_the_console_in_one_session(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    out = await console(
        settings,
        ":as 市发改委",
        ":as 市财政局",
        "/whoami",
        ":who",
        ":coordinator",
        "/whoami",
        ":as 市不存在局",
        ":as 各区政府",
        ":bogus",
    )
    assert out.startswith("督办控制台 · 您是督查室协调人。")
    assert "(现在由 市发改委 · 控制台用户 使用控制台)" in out
    assert "(现在由 市发改委、市财政局 · 控制台用户 使用控制台)" in out
    assert "您是以下单位的联络员:市发改委、市财政局" in out
    people = after(out, "控制台的人(* 为当前):").splitlines()[1:3]
    assert sorted(people) == ["    督查室 · 控制台用户", "  * 市发改委、市财政局 · 控制台用户"]
    assert "您是督查室协调人。" in after(out, "(现在由 督查室 · 控制台用户 使用控制台)")
    assert "(没有名为“市不存在局”的单位;duban units 列出全部单位)" in out
    assert "(各区政府 是单位集合,请选择其中的一个成员单位)" in out
    assert "(未知的控制台命令 :bogus;可用::as 单位、:coordinator、:who、:file 路径)" in out
    assert await _units_of(sessions, LIAISON_ID) == {"市发改委", "市财政局"}


async def test_leave_is_how_a_unit_is_dropped(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await console(settings, as_unit="市发改委")
    out = await console(settings, "/leave", "a", "/whoami", as_unit="市财政局")
    assert "您是以下单位的联络员:市财政局" in out
    assert await _units_of(sessions, LIAISON_ID) == {"市财政局"}
