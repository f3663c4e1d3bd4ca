"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, at a
phone's 360 px and a desktop's 1280 px. Screenshots go to .artifacts/dashboard/.

Playwright's own browser download is never used (no network here): the system Chromium is
(`DUBAN_CHROMIUM`, else /usr/bin/chromium); .ci/run installs it. Without it the tests are
skipped, except under CI, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dashboard.server import bound_port, dashboard_app, local_server, start
from data.models import Contact, OutboxMessage, Unit
from tests.factories.bot import COORDINATOR_ID, SHANGHAI, MovableClock, deliver, running_bot
from tests.factories.dashboard import init_data
from tests.factories.people import liaison, report_all
from tests.factories.plans import load_seed
from tests.harness import TEST_TOKEN, BotHarness

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=SHANGHAI)
NDRC_A, NDRC_B, FINANCE = 6001, 6002, 6003
ARTIFACTS = Path(__file__).resolve().parents[3] / ".artifacts" / "dashboard"
WIDTHS = (360, 1280)


def chromium() -> str:
    found = os.environ.get("DUBAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium here (apt-get install chromium)")
    return found


@pytest.fixture
async def bot(database_url: str, sessions: Sessions) -> AsyncIterator[BotHarness]:
    await load_seed(sessions, year=2026)
    ndrc = await liaison(sessions, NDRC_A, "市发改委", now=NOW, name="张三")
    await liaison(sessions, NDRC_B, "市发改委", now=NOW, name="王五")
    finance = await liaison(sessions, FINANCE, "市财政局", now=NOW, name="赵六")
    june = {"period_start": date(2026, 6, 1), "period_end": date(2026, 6, 30)}
    await report_all(
        sessions, "市发改委", numbers=[2, 5], due=date(2026, 6, 25), now=NOW,
        status="at_risk", contact_id=ndrc, **june,
    )  # fmt: skip
    await report_all(
        sessions, "市财政局", numbers=[3], due=date(2026, 6, 25), now=NOW,
        text="预算执行过半", contact_id=finance, **june,
    )  # fmt: skip
    async with running_bot(database_url, MovableClock(NOW), telegram_token=TEST_TOKEN) as harness:
        yield harness


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium(), headless=True, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


@pytest.fixture
async def base_url(bot: BotHarness) -> AsyncIterator[str]:
    services = bot.application.bot_data["services"]
    server = local_server(dashboard_app(services, files=bot.application.bot), port=0)
    serving = await start(server)
    yield f"http://127.0.0.1:{bound_port(server)}/dashboard/"
    server.should_exit = True
    await serving


async def opened(browser: Browser, base_url: str, width: int, user_id: int) -> Page:
    """The dashboard as Telegram opens it for a user: initData in the URL's hash."""
    context = await browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    # Telegram's own script is not reachable here; the page works without it.
    await page.route("https://telegram.org/**", lambda route: route.abort())
    raw = init_data(user_id, at=NOW)
    await page.goto(f"{base_url}#tgWebAppData={quote(raw)}&tgWebAppVersion=7.0")
    await page.wait_for_selector("section[data-view=overview]")
    return page


async def shot(page: Page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=False)


async def test_overview_matrix_and_task_show_what_status_shows(
    bot: BotHarness, browser: Browser, base_url: str
) -> None:
    await bot.command(bot.user(COORDINATOR_ID, "督查室"), "/status")
    status = bot.api.sent_messages(COORDINATOR_ID)[-2].text or ""
    rate = re.search(r"(\d+)/(\d+) 个单位已全部报送\((.+)%\)", status)
    assert rate is not None, status
    done, total, percent = rate.groups()
    section2 = re.search(
        r"二、加快打造高质量发展区 ✅(\d+) 🟢(\d+) ⚪(\d+) 🟡(\d+) 🔴(\d+)", status
    )
    assert section2 is not None
    for width in WIDTHS:
        page = await opened(browser, base_url, width, COORDINATOR_ID)
        assert await page.inner_text("#rate-percent") == f"{percent}%"
        assert await page.inner_text("#rate-units") == f"{done} / {total} 个单位已报齐"
        row = page.locator("table.sections tr", has_text="二、加快打造高质量发展区")
        assert await row.locator("td").all_inner_texts() == list(section2.groups())
        await shot(page, "overview", width)
        # The matrix, filtered by section 二 (12 tasks, 2 to 13).
        await page.click(".tab[data-go=matrix]")
        await page.wait_for_selector("section[data-view=matrix]")
        await page.select_option("select[name=section]", "2")
        await page.wait_for_selector("#matrix-count:has-text('共 12 项任务')")
        numbers = await page.locator("tr[data-task-row]").evaluate_all(
            "rows => rows.map(r => Number(r.dataset.taskRow))"
        )
        assert numbers == list(range(2, 14))
        await shot(page, "matrix", width)
        # A tap opens the task: text, units by role, its report.
        await page.click("tr[data-task-row='5'] button[data-go=task]")
        await page.wait_for_selector("section[data-view=task]")
        assert (await page.inner_text("#task-title")).strip() == "任务 5"
        report = page.locator("article.report", has_text="市发改委")
        assert "存在风险 · 50%" in await report.inner_text()
        await shot(page, "task", width)
        await page.context.close()


async def test_return_and_chase_from_the_page_reach_the_liaisons(
    bot: BotHarness, browser: Browser, base_url: str, sessions: Sessions
) -> None:
    page = await opened(browser, base_url, 360, COORDINATOR_ID)
    await page.click(".tab[data-go=matrix]")
    await page.wait_for_selector("section[data-view=matrix]")
    await page.click("tr[data-task-row='3'] button[data-go=task]")
    await page.wait_for_selector("section[data-view=task]")
    await page.click("details.return summary")
    await page.fill("form[data-return] textarea", "请补充资金到位的凭证")
    await page.click("form[data-return] button[type=submit]")
    await page.wait_for_selector("#toast:has-text('已退回 市财政局 对任务 3 的报送')")
    await page.wait_for_selector(".review-returned")
    await deliver(bot)
    notice = bot.api.last_text(FINANCE)
    assert "请补充资金到位的凭证" in notice and "3" in notice
    # 催办 市发改委 from the units page: one outbox row per liaison of the unit.
    await page.click(".tab[data-go=units]")
    await page.wait_for_selector("section[data-view=units]")
    async with sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.name == "市发改委"))
        assert unit is not None
        liaisons = set(
            (
                await session.scalars(
                    select(Contact.id).where(Contact.telegram_id.in_([NDRC_A, NDRC_B]))
                )
            ).all()
        )
    entry = page.locator(f"li.unit[data-unit='{unit.id}']")
    assert "张三" in await entry.inner_text() and "王五" in await entry.inner_text()
    await shot(page, "units", 360)
    await entry.locator("button[data-chase]").click()
    await page.wait_for_selector("#toast:has-text('已向 1 个单位的 2 位联络员发送催办')")
    await page.locator(f"li.unit[data-unit='{unit.id}'] .chased").wait_for()
    async with sessions() as session:
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "chase"))
        ).all()
    assert sorted(r.contact_id for r in rows) == sorted(liaisons)
    await deliver(bot)
    assert "催办" in bot.api.last_text(NDRC_A) or "市发改委" in bot.api.last_text(NDRC_A)
    await page.context.close()
