"""The command menu Telegram shows by the message box: one for everyone, one for coordinators.

The everyone-menu is set for the bot (Chinese by default, English for English clients). A
coordinator's private chat gets the longer menu, in their language, when the bot starts, when
they link as a coordinator, when they open /start or /help, and when they change language;
with DUBAN_DASHBOARD_URL set, its menu button opens the dashboard (a Mini App) too. When their
rights are revoked, the chat's menu button goes back to Telegram's default.
"""

from __future__ import annotations

import logging
from typing import Any, Final
from urllib.parse import urlencode

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, Lang, lang_of, t

log = logging.getLogger("duban.menus")

MENU: Final = ("mytasks", "report", "task", "lights", "cancel", "whoami", "help", "lang", "start")
COORDINATOR_MENU: Final = (
    "mytasks",
    "report",
    "status",
    "late",
    "broadcast",
    "export",
    "import",
    "bulletin",
    "targets",
    "task",
    "lights",
    "invite",
    "people",
    "coordinators",
    "deadline",
    "assign",
    "period",
    "cancel",
    "whoami",
    "help",
    "lang",
    "start",
)


def menu_commands(lang: Lang, *, coordinator: bool = False) -> list[BotCommand]:
    """The command menu in one language."""
    names = COORDINATOR_MENU if coordinator else MENU
    return [BotCommand(name, t(lang, f"cmd.{name}")) for name in names]


async def set_default_menus(bot: Bot) -> None:
    """Everyone's menu: Chinese by default, and one per supported client language."""
    await bot.set_my_commands(menu_commands("zh"))
    for lang in LANGUAGES:
        await bot.set_my_commands(menu_commands(lang), language_code=lang)


def dashboard_app(base: str, lang: Lang, *, plan_id: int | None = None) -> WebAppInfo:
    """The dashboard as a Mini App, opened in a language (and on a plan)."""
    query = {"lang": lang, **({"plan": str(plan_id)} if plan_id is not None else {})}
    return WebAppInfo(f"{base}?{urlencode(query)}")


async def show_coordinator_menu(
    bot: Bot,
    bot_data: dict[Any, Any],
    *,
    chat_id: int,
    chosen: str | None,
    dashboard: str | None = None,
) -> None:
    """Give a coordinator's chat the coordinator menu: in the language they chose with /lang,
    or (no choice yet) Chinese, and English for an English client, as everyone's menu does;
    and the dashboard as its menu button when there is one (`dashboard`: its URL).
    Once per process and choice; a failure is logged, never shown to the user."""
    choice: Lang | None = lang_of(chosen) if chosen in LANGUAGES else None
    shown: dict[int, Lang | None] = bot_data.setdefault("coordinator_menus", {})
    if chat_id in shown and shown[chat_id] == choice:
        return
    scope = BotCommandScopeChat(chat_id)
    try:
        await bot.set_my_commands(menu_commands(choice or "zh", coordinator=True), scope=scope)
        await bot.set_my_commands(
            menu_commands(choice or "en", coordinator=True), scope=scope, language_code="en"
        )
        if dashboard is not None:
            app = dashboard_app(dashboard, choice or "zh")
            await bot.set_chat_menu_button(
                chat_id=chat_id, menu_button=MenuButtonWebApp(t(choice or "zh", "dash.menu"), app)
            )
    except TelegramError as exc:
        log.warning("could not set the coordinator menu for chat %s: %s", chat_id, exc.message)
        return
    shown[chat_id] = choice


async def hide_coordinator_menu(
    bot: Bot, bot_data: dict[Any, Any], *, chat_id: int, dashboard: str | None
) -> None:
    """A chat whose coordinator rights were taken gets everyone's menu back, and Telegram's
    default menu button instead of the dashboard's."""
    bot_data.setdefault("coordinator_menus", {}).pop(chat_id, None)
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code="en")
        if dashboard is not None:
            await bot.set_chat_menu_button(chat_id=chat_id, menu_button=MenuButtonDefault())
    except TelegramError as exc:
        log.warning("could not reset the menu button for chat %s: %s", chat_id, exc.message)
