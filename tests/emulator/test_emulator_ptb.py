"""Tests that run python-telegram-bot 22 unmodified against the emulator on 127.0.0.1.

A real ``telegram.Bot`` calls the emulator through ``base_url`` and
``base_file_url``, and one test runs a whole ``Application`` with polling, to
check that the emulator speaks the protocol PTB expects.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import telegram
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CommandHandler, ContextTypes

from emulator import BotApiEmulator, SimulatedUser

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        emulator.token,
        base_url=emulator.api_base_url,
        base_file_url=emulator.file_base_url,
    ) as ptb_bot:
        yield ptb_bot


async def test_ptb_get_me(bot: telegram.Bot) -> None:
    me = await bot.get_me()

    assert me.id == 123456
    assert me.is_bot is True
    assert me.username == "fashion_assistant_test_bot"
    assert bot.username == "fashion_assistant_test_bot"


async def test_ptb_long_poll_woken_by_customer(bot: telegram.Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    timer = threading.Timer(0.3, emulator.send_text, args=(alice, "/start"))
    started = time.monotonic()
    timer.start()

    updates = await bot.get_updates(timeout=5)

    timer.join()
    assert time.monotonic() - started < 3.0
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start"
    assert message.from_user is not None
    assert message.from_user.first_name == "Alice"
    assert message.chat.type == "private"
    assert message.parse_entities(["bot_command"])


async def test_ptb_send_message_html(
    bot: telegram.Bot, emulator: BotApiEmulator, alice: SimulatedUser
) -> None:
    keyboard = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Top", callback_data="top")]])

    message = await bot.send_message(alice.id, "<b>Shirt</b>: 92%", parse_mode="HTML", reply_markup=keyboard)

    assert message.text == "Shirt: 92%"
    assert message.text_html == "<b>Shirt</b>: 92%"
    assert message.reply_markup == keyboard
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.reply_markup == keyboard.to_dict()
    assert sent.button_callback_data == ["top"]


async def test_ptb_send_photo_bytes(
    bot: telegram.Bot, emulator: BotApiEmulator, alice: SimulatedUser, png_bytes: bytes
) -> None:
    message = await bot.send_photo(alice.id, photo=png_bytes, caption="Your week")

    assert message.caption == "Your week"
    assert message.photo[-1].width == 1000
    sent = emulator.last_message(alice.id)
    assert sent is not None
    assert sent.photo_bytes == png_bytes


async def test_ptb_send_media_group(
    bot: telegram.Bot, emulator: BotApiEmulator, alice: SimulatedUser, png_bytes: bytes
) -> None:
    media = [telegram.InputMediaPhoto(png_bytes, caption="a"), telegram.InputMediaPhoto(png_bytes)]

    messages = await bot.send_media_group(alice.id, media)

    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id
    assert [m.photo_bytes for m in emulator.sent_messages(alice.id)] == [png_bytes, png_bytes]


async def test_ptb_get_file_download(bot: telegram.Bot, emulator: BotApiEmulator, png_bytes: bytes) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    emulator.send_photo(alice, png_bytes)
    [update] = await bot.get_updates()
    assert update.message is not None
    largest = update.message.photo[-1]

    telegram_file = await largest.get_file()
    content = await telegram_file.download_as_bytearray()

    assert telegram_file.file_size == largest.file_size
    assert len(content) == largest.file_size
    assert bytes(content[:3]) == b"\xff\xd8\xff"


async def test_ptb_file_too_big(bot: telegram.Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    update_id = emulator.send_document(alice, b"x", file_name="big.zip", file_size=21 * 1024 * 1024)
    file_id = emulator.get_update(update_id)["message"]["document"]["file_id"]

    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(file_id)


async def test_ptb_retry_after(
    bot: telegram.Bot, emulator: BotApiEmulator, alice: SimulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns that retry_after will become a timedelta unless PTB_TIMEDELTA opts in.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    emulator.fail_next("sendMessage", chat_id=alice.id, retry_after=5)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(alice.id, "hi")

    assert raised.value.retry_after.total_seconds() == 5
    assert (await bot.send_message(alice.id, "hi again")).text == "hi again"


async def test_ptb_blocked_user_forbidden(
    bot: telegram.Bot, emulator: BotApiEmulator, alice: SimulatedUser
) -> None:
    emulator.block_user(alice.id)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")


@pytest.mark.parametrize(
    ("text", "parse_mode", "message_part"),
    [
        ("x" * 4097, None, "Message is too long"),
        ("<b>bold", "HTML", "Can't parse entities"),
        ("a & b", "HTML", "Can't parse entities"),
    ],
)
async def test_ptb_bad_request(
    bot: telegram.Bot, alice: SimulatedUser, text: str, parse_mode: str | None, message_part: str
) -> None:
    with pytest.raises(BadRequest, match=message_part):
        await bot.send_message(alice.id, text, parse_mode=parse_mode)


async def test_ptb_chat_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")


async def test_ptb_edit_and_callback_answer(
    bot: telegram.Bot, emulator: BotApiEmulator, alice: SimulatedUser
) -> None:
    keyboard = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Yes", callback_data="yes")]])
    message = await bot.send_message(alice.id, "Correct?", reply_markup=keyboard)
    await bot.get_updates(offset=-1)
    emulator.press_button(alice, message.message_id, "yes")
    [update] = await bot.get_updates(offset=(await bot.get_updates())[-1].update_id)
    assert update.callback_query is not None

    await update.callback_query.answer("Thanks")
    edited = await update.callback_query.edit_message_text("Thanks for the feedback")

    assert isinstance(edited, telegram.Message)
    assert edited.text == "Thanks for the feedback"
    assert [answer.text for answer in emulator.callback_answers(user_id=alice.id)] == ["Thanks"]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Thanks for the feedback", chat_id=alice.id, message_id=message.message_id
        )


async def test_ptb_application_polling_replies(emulator: BotApiEmulator) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>Welcome</b>, send me a photo", do_quote=True)

    application = (
        Application.builder()
        .token(emulator.token)
        .base_url(emulator.api_base_url)
        .base_file_url(emulator.file_base_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    alice = emulator.user(id=1001, first_name="Alice")

    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            update_id = emulator.send_text(alice, "/start")
            [reply] = await emulator.wait_for_messages_async(alice.id, 1, timeout=10)
        finally:
            await application.updater.stop()
            await application.stop()

    assert reply.text == "<b>Welcome</b>, send me a photo"
    assert reply.parse_mode == "HTML"
    assert reply.reply_to_update_id == update_id
    assert emulator.count_calls("deleteWebhook") == 1
    assert emulator.count_calls("getMe") >= 1


async def test_wait_for_messages_async_timeout(emulator: BotApiEmulator) -> None:
    started = asyncio.get_running_loop().time()

    with pytest.raises(TimeoutError, match="received 0"):
        await emulator.wait_for_messages_async(1001, 1, timeout=0.2)

    assert asyncio.get_running_loop().time() - started < 1.0
