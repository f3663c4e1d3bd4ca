"""Tests for the harness itself, driving a tiny throwaway Application (not the product's)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from tests.harness import (
    TEST_TOKEN,
    BotHarness,
    FakeBotAPI,
    HtmlError,
    UpdateFactory,
    parse_telegram_html,
)

FIXED_NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with a two-button menu."""
    assert update.effective_message is not None and update.effective_user is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Done", callback_data="demo:done"),
                InlineKeyboardButton("Help", url="https://example.org/help"),
            ]
        ]
    )
    name = html.escape(update.effective_user.first_name)
    await update.effective_message.reply_text(
        f"Hello, <b>{name}</b>!", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press and replace the menu."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"Pressed {query.data}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat the user's text verbatim (HTML if asked), to exercise validation."""
    assert update.effective_message is not None and update.effective_message.text is not None
    text = update.effective_message.text
    if text.startswith("html "):
        await update.effective_message.reply_text(text[5:], parse_mode=ParseMode.HTML)
    elif text == "long":
        await update.effective_message.reply_text("x" * 4097)
    elif text == "dice":
        await update.effective_message.reply_dice()
    elif text == "fat button":
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Fat", callback_data="x" * 65)]])
        await update.effective_message.reply_text("menu", reply_markup=markup)
    elif text == "keyboard":
        await update.effective_message.reply_text(
            "pick", reply_markup=ReplyKeyboardMarkup([["A"]])
        )
    elif text == "file":
        await update.effective_message.reply_document(b"a,b\n1,2\n", filename="report.csv")
    else:
        await update.effective_message.reply_text(f"echo: {text}")


def build_app(api: FakeBotAPI, button_callback: Any = on_button) -> AnyApplication:
    """The smallest Application that shows the harness working."""
    app = ApplicationBuilder().token(TEST_TOKEN).request(api).get_updates_request(api).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button_callback, pattern=r"^demo:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest.fixture
def api() -> FakeBotAPI:
    return FakeBotAPI(clock=lambda: FIXED_NOW)


@pytest.fixture
async def harness(api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with BotHarness(build_app(api)) as h:
        yield h


@pytest.mark.asyncio
async def test_start_reply_is_recorded_as_the_user_sees_it(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    user = harness.user(1001, "Zhang & <Li>")

    calls = await harness.command(user, "/start")

    assert [c.method for c in calls] == ["sendMessage"]
    assert calls[0].params["chat_id"] == 1001
    assert api.last_text(1001) == "Hello, Zhang & <Li>!"
    assert calls[0].message is not None
    assert calls[0].message["entities"] == [{"type": "bold", "offset": 7, "length": 12}]
    assert calls[0].message["date"] == int(FIXED_NOW.timestamp())
    assert api.buttons(calls[0]) == [[("Done", "demo:done"), ("Help", "https://example.org/help")]]
    assert api.calls("getMe"), "initialize() should have asked who the bot is"
    api.assert_all_valid()


@pytest.mark.asyncio
async def test_pressing_a_button_edits_the_message_and_answers_the_query(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    user = harness.user(1001)
    [menu] = await harness.command(user, "/start")

    calls = await harness.press(user, "Done", menu)

    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    assert api.last_text(1001) == "Pressed demo:done"
    assert api.buttons(api.current(menu)) == [], "an edit without reply_markup drops the keyboard"
    assert [c.method for c in api.sent_messages(1001)] == ["sendMessage", "editMessageText"]


@pytest.mark.asyncio
async def test_press_by_callback_data_and_missing_buttons(harness: BotHarness) -> None:
    user = harness.user(1001)
    [menu] = await harness.command(user, "/start")

    with pytest.raises(AssertionError, match=r"no button 'Nope'.*'Done', 'demo:done'"):
        await harness.press(user, "Nope", menu)
    with pytest.raises(AssertionError, match="sends no callback query"):
        await harness.press(user, "Help", menu)
    await harness.press(user, "demo:done", menu)
    with pytest.raises(AssertionError, match="no button"):
        await harness.press(user, "Done", menu)  # the edit removed the keyboard


@pytest.mark.asyncio
async def test_an_unanswered_callback_query_fails(api: FakeBotAPI) -> None:
    async def forgetful(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edit without answering: the user's button keeps spinning."""
        assert update.callback_query is not None
        await update.callback_query.edit_message_text("done")

    app = build_app(api, button_callback=forgetful)
    async with BotHarness(app) as h:
        user = h.user(7)
        [menu] = await h.command(user, "/start")
        with pytest.raises(AssertionError, match="never answered"):
            await h.press(user, "Done", menu)


@pytest.mark.asyncio
async def test_injected_403_raises_forbidden_in_the_handler(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    user = harness.user(1001)
    api.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await harness.command(user, "/start")

    assert await harness.command(user, "/start"), "only the next call fails"
    api.assert_all_valid()  # injected failures are not violations


@pytest.mark.asyncio
async def test_failures_for_one_chat_reach_the_apps_error_handler(api: FakeBotAPI) -> None:
    seen: list[BaseException | None] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Record the error, as a product error handler would log it."""
        seen.append(context.error)

    app = build_app(api)
    app.add_error_handler(on_error)
    async with BotHarness(app) as h:
        blocked, other = h.user(1), h.user(2)
        api.fail_next(None, chat_id=1, status=403, times=None)

        calls = await h.text(blocked, "hi")  # no raise: the app's error handler owns it
        await h.text(other, "hi")

        assert [(c.method, c.status) for c in calls] == [("sendMessage", 403)]

        assert isinstance(seen[0], Forbidden)
        assert isinstance(h.errors[0], Forbidden)
        assert api.last_text(2) == "echo: hi"
        assert api.sent_messages(1) == []


@pytest.mark.asyncio
async def test_429_raises_retry_after(
    harness: BotHarness, api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the opt-in, PTB 22 warns about its own int retry_after even inside RetryAfter().
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    api.fail_next("sendMessage", status=429, retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await harness.text(harness.user(1), "hi")

    assert caught.value.retry_after == timedelta(seconds=7)
    assert api.calls()[-1].description == "Too Many Requests: retry after 7"


@pytest.mark.asyncio
async def test_overlong_message_gets_400(harness: BotHarness, api: FakeBotAPI) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await harness.text(harness.user(1), "long")

    assert api.calls()[-1].status == 400
    with pytest.raises(AssertionError, match="message is too long"):
        api.assert_all_valid()


@pytest.mark.asyncio
async def test_overlong_callback_data_gets_400(harness: BotHarness) -> None:
    with pytest.raises(BadRequest, match="Button_data_invalid"):  # PTB capitalizes the text
        await harness.text(harness.user(1), "fat button")


@pytest.mark.asyncio
async def test_unescaped_html_is_caught(harness: BotHarness, api: FakeBotAPI) -> None:
    user = harness.user(1)

    with pytest.raises(BadRequest, match="Can't parse entities"):
        await harness.text(user, "html 1 < 2")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await harness.text(user, "html a<br>b")
    await harness.text(user, "html 1 &lt; 2 &amp; <i>fine</i>")

    assert api.last_text(1) == "1 < 2 & fine"


@pytest.mark.asyncio
async def test_unexpected_api_method_fails_loudly_even_past_an_error_handler(
    api: FakeBotAPI,
) -> None:
    async def swallow(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An error handler that hides everything."""

    app = build_app(api)
    app.add_error_handler(swallow)
    async with BotHarness(app) as h:
        with pytest.raises(AssertionError, match="sendDice"):
            await h.text(h.user(1), "dice")
        assert isinstance(h.errors[0], NetworkError), "PTB wraps the fake's AssertionError"


@pytest.mark.asyncio
async def test_uploads_are_recorded_with_their_bytes(harness: BotHarness, api: FakeBotAPI) -> None:
    [call] = await harness.text(harness.user(1), "file")

    assert call.method == "sendDocument"
    assert call.params["document"]["filename"] == "report.csv"
    assert call.params["document"]["size"] == 8
    assert call.params["document"]["bytes"] == b"a,b\n1,2\n"
    assert call.message is not None and call.message["document"]["file_name"] == "report.csv"


@pytest.mark.asyncio
async def test_reply_keyboard_buttons_are_pressed_by_sending_their_text(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    user = harness.user(1)
    [call] = await harness.text(user, "keyboard")

    assert api.buttons(call) == [[("A", None)]]
    await harness.press(user, "A", call)
    assert api.last_text(1) == "echo: A"


@pytest.mark.asyncio
async def test_editing_to_the_same_content_is_not_modified(api: FakeBotAPI) -> None:
    async def same(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer, then 'edit' the menu into exactly what it already is."""
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message)
        await query.answer()
        await query.edit_message_reply_markup(query.message.reply_markup)

    app = build_app(api, button_callback=same)
    async with BotHarness(app) as h:
        user = h.user(1)
        [menu] = await h.command(user, "/start")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await h.press(user, "Done", menu)


@pytest.mark.asyncio
async def test_update_factory_builds_real_updates(harness: BotHarness, api: FakeBotAPI) -> None:
    factory: UpdateFactory = harness.updates
    user = factory.user(5, "Wang", username="wang")

    text = factory.message(user, "hello")
    command = factory.command(user, "/start", "deep", "link")
    photo = factory.photo(user, "ph-1", caption="evidence")
    document = factory.document(user, "plan.xlsx", 2_048, "application/vnd.ms-excel")
    sticker = factory.sticker(user)
    voice = factory.voice(user)
    assert text.message is not None
    reply = factory.reply(user, "answer", text.message)
    blocked = factory.blocked(user)

    ids = [u.update_id for u in (text, command, photo, document, sticker, voice, reply, blocked)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert text.effective_chat is not None and text.effective_chat.id == 5
    assert text.effective_user is not None and text.effective_user.language_code == "zh-hans"
    assert command.message is not None and command.message.text == "/start deep link"
    assert filters.COMMAND.check_update(command)
    assert filters.PHOTO.check_update(photo) and photo.message is not None
    assert photo.message.photo[-1].file_id == "ph-1" and photo.message.caption == "evidence"
    assert filters.Document.ALL.check_update(document)
    assert document.message is not None and document.message.document is not None
    assert document.message.document.file_size == 2_048
    assert filters.Sticker.ALL.check_update(sticker) and filters.VOICE.check_update(voice)
    assert reply.message is not None and reply.message.reply_to_message is not None
    assert reply.message.reply_to_message.text == "hello"
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    # User and bot messages share one id sequence per chat, as on Telegram.
    [sent] = await harness.text(user, "hi")
    assert sent.message is not None and sent.message["message_id"] == 9


@pytest.mark.asyncio
async def test_files_can_be_fetched_and_downloaded(harness: BotHarness, api: FakeBotAPI) -> None:
    api.add_file("doc-42", b"%PDF-1.7 fake")

    file = await harness.application.bot.get_file("doc-42")
    content = await file.download_as_bytearray()

    assert bytes(content) == b"%PDF-1.7 fake"
    assert [c.method for c in api.calls()[-2:]] == ["getFile", "downloadFile"]


@pytest.mark.asyncio
async def test_commands_menu_is_validated_and_remembered(
    harness: BotHarness, api: FakeBotAPI
) -> None:
    bot = harness.application.bot
    await bot.set_my_commands([("start", "Start"), ("mytasks", "My tasks")])

    assert api.my_commands() == ["start", "mytasks"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("MyTasks", "My tasks")])


@pytest.mark.asyncio
async def test_real_looking_tokens_are_refused() -> None:
    token = "1" * 10 + ":" + "A" * 35  # built at runtime so no token-shaped literal exists
    app = ApplicationBuilder().token(token).request(FakeBotAPI()).build()
    with pytest.raises(NetworkError, match="real-looking bot token"):
        await app.initialize()


def test_html_parser_matches_telegram_rules() -> None:
    plain, entities = parse_telegram_html(
        '<b>bold <i>both</i></b> <a href="https://x.org/?a=1&amp;b=2">link</a> 😀<s>x</s>'
        '<pre><code class="language-python">print(1)</code></pre>'
    )
    assert plain == "bold both link 😀xprint(1)"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "text_link", "offset": 10, "length": 4, "url": "https://x.org/?a=1&b=2"},
        {"type": "strikethrough", "offset": 17, "length": 1},  # 😀 is 2 UTF-16 units
        {"type": "pre", "offset": 18, "length": 8, "language": "python"},
    ]
    for bad in ("<b>open", "<b><i>x</b></i>", "a > b", "AT&T", "<span>x</span>", "</b>"):
        with pytest.raises(HtmlError):
            parse_telegram_html(bad)


@pytest.mark.asyncio
async def test_swallowed_violations_fail_when_the_harness_closes(api: FakeBotAPI) -> None:
    async def polite(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An error handler that hides the BadRequest from the test."""

    app = build_app(api)
    app.add_error_handler(polite)
    with pytest.raises(AssertionError, match="were swallowed"):
        async with BotHarness(app) as h:
            await h.text(h.user(1), "long")


@pytest.mark.asyncio
async def test_production_like_builder_options_work(api: FakeBotAPI) -> None:
    async def later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A non-blocking handler: the harness must wait for it."""
        assert update.effective_message is not None
        await update.effective_message.reply_text("<b>a & b</b>")

    app = (
        ApplicationBuilder()
        .token(TEST_TOKEN)
        .request(api)
        .get_updates_request(api)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter())
        .build()
    )
    app.add_handler(CommandHandler("later", later, block=False))
    async with BotHarness(app) as h:
        with pytest.raises(BadRequest, match=r"(?i)unescaped"):
            await h.command(h.user(1), "/later")
        assert h.errors and api.calls()[-1].params["parse_mode"] == "HTML"


@pytest.mark.asyncio
async def test_post_init_runs_on_request(api: FakeBotAPI) -> None:
    async def post_init(application: AnyApplication) -> None:
        """Set the command menu, as the product does at startup."""
        await application.bot.set_my_commands([("start", "Start")])

    app = build_app(api)
    app.post_init = post_init
    async with BotHarness(app, run_post_init=True):
        assert api.my_commands() == ["start"]
