"""End to end: /digest and /stats send data to staff chats and a polite refusal to any other chat.

The bot's clock is fixed on Wednesday 9 December 2026 at 12:00 in Rome, so /digest covers
2026-W50 from Monday 7 December to now, against the same span of 2026-W49.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from telegram import BotCommandScopeChat

from bot.app import build_application, running
from bot.config import DigestSettings
from bot.i18n import translate
from classifier.inference import GarmentClassifier
from storage import ClassificationRecord, Database
from tests.conftest import DEMO_PHOTOS_DIR

ROME = ZoneInfo("Europe/Rome")
STAFF_MEMBER = 3101
STAFF_GROUP = -800
CUSTOMER = 5001
CUSTOMERS_GROUP = -700
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=ROME)


class FixedClock:
    """A clock for the bot that stays where the test puts it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
async def staff_bot(settings):
    """The bot with one staff member's chat and one staff group, and photos of two weeks stored."""
    staff_settings = dataclasses.replace(
        settings, digest=DigestSettings(staff_chat_ids=(STAFF_MEMBER, STAFF_GROUP))
    )
    database = await Database.open(staff_settings.database_path)
    try:
        seen = NOW - timedelta(days=40)
        await database.record_user(CUSTOMER, "en", seen)
        await database.set_subscription(CUSTOMER, True, seen)
        photos = [
            ("Dress", NOW - timedelta(days=1)),
            ("Dress", NOW - timedelta(hours=2)),
            ("Dress", NOW - timedelta(days=8)),
            # Last week after the same weekday and time: not in the comparison.
            ("Coat", NOW - timedelta(days=6)),
        ]
        for number, (label, created_at) in enumerate(photos):
            await database.record_classification(_record(number, label, created_at))
        # A staff member trying the bot: left out of the digest and of /trends.
        await database.record_classification(
            dataclasses.replace(_record(9, "Sneaker", NOW - timedelta(hours=3)), user_id=STAFF_MEMBER)
        )
        # The week due at the clock's time was already sent, so the catch-up at start sends nothing.
        for chat_id in (STAFF_MEMBER, STAFF_GROUP):
            await database.record_delivery("2026-W49", "staff", chat_id, "sent", NOW - timedelta(days=2))
        await database.record_delivery("2026-W49", "customer", CUSTOMER, "sent", NOW - timedelta(days=2))
    finally:
        await database.close()

    async with running(build_application(staff_settings, clock=FixedClock(NOW))) as application:
        yield application


def _record(number: int, label: str, created_at: datetime) -> ClassificationRecord:
    return ClassificationRecord(
        user_id=CUSTOMER,
        chat_id=CUSTOMER,
        message_id=number + 1,
        file_unique_id=f"photo-{number}",
        label=label,
        label_id=0,
        confidence=0.9,
        top3=((label, 0.9),),
        model_version="test-model",
        created_at=created_at,
    )


async def _command(emulator, user, text: str, chat_id: int | None = None):
    """Send a command in the user's private chat, or in a group, and return the bot's reply."""
    target = user.id if chat_id is None else chat_id
    count = len(emulator.sent_messages(chat_id=target)) + 1
    if chat_id is None:
        emulator.send_text(user, text)
    else:
        emulator.group_message(user, chat_id, text=text)
    return (await emulator.wait_for_messages_async(target, count, timeout=15))[-1]


@pytest.mark.parametrize("command", ["/digest", "/stats"])
async def test_customer_is_refused(staff_bot, emulator, command):
    customer = emulator.user(id=CUSTOMER, first_name="Anna", language_code="en")

    reply = await _command(emulator, customer, command)

    assert reply.method == "sendMessage"
    assert reply.text == translate("staff_only", "en", chat_id=CUSTOMER)
    assert emulator.count_calls("sendPhoto", chat_id=CUSTOMER) == 0


async def test_refusal_follows_caller_language(staff_bot, emulator):
    customer = emulator.user(id=CUSTOMER, first_name="Anna", language_code="it")
    reply = await _command(emulator, customer, "/stats")
    assert reply.text == translate("staff_only", "it", chat_id=CUSTOMER)


async def test_staff_digest_so_far(staff_bot, emulator):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")

    reply = await _command(emulator, staff, "/digest")

    assert reply.method == "sendPhoto"
    assert reply.caption.startswith(
        "<b>Riepilogo della settimana 2026-W50 finora</b>\ndal 7 al 9 dicembre 2026\n"
    )
    assert "Foto classificate: 2\n" in reply.caption
    assert "(variazione rispetto agli stessi giorni della settimana 2026-W49)" in reply.caption
    assert "Vestito: 2 (+1, +100%)" in reply.caption
    assert "Cappotto" not in reply.caption
    assert "Sneaker" not in reply.caption
    assert Image.open(io.BytesIO(reply.photo_bytes)).format == "PNG"


async def test_staff_stats(staff_bot, emulator, shipped_model):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")

    reply = await _command(emulator, staff, "/stats")

    assert reply.text.startswith("<b>Statistiche del bot</b>\n")
    assert "Risposte conservate: 5" in reply.text
    assert "Utenti, personale compreso: 1" in reply.text
    assert "Iscritti al riepilogo settimanale: 1" in reply.text
    assert f"Modello: {GarmentClassifier(shipped_model).model_version}" in reply.text
    assert "In funzione da: 0 min" in reply.text


async def test_staff_member_refused_in_customers_group(staff_bot, emulator):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")

    reply = await _command(emulator, staff, "/digest", chat_id=CUSTOMERS_GROUP)

    assert reply.text == translate("staff_only", "en", chat_id=CUSTOMERS_GROUP)
    assert emulator.count_calls("sendPhoto", chat_id=CUSTOMERS_GROUP) == 0


async def test_staff_group_gets_digest(staff_bot, emulator):
    colleague = emulator.user(id=3102, first_name="Luca", language_code="it")

    reply = await _command(emulator, colleague, "/digest", chat_id=STAFF_GROUP)

    assert reply.method == "sendPhoto"
    assert "Vestito: 2 (+1, +100%)" in reply.caption


async def test_staff_digest_of_named_week(staff_bot, emulator):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")

    reply = await _command(emulator, staff, "/digest 2026-w49")

    assert reply.method == "sendPhoto"
    assert reply.caption.startswith(
        "<b>Riepilogo settimanale 2026-W49</b>\ndal 30 novembre al 6 dicembre 2026\n"
    )
    assert "Vestito: 1 (+1)" in reply.caption
    assert "Cappotto: 1 (+1)" in reply.caption


@pytest.mark.parametrize(
    ("arguments", "reason", "label"),
    [
        ("2026-W60", "digest_week_missing", "2026-W60"),
        ("next", "digest_week_format", "next"),
        ("2027-W10", "digest_week_future", "2027-W10"),
        ("0001-W01", "digest_week_year", "0001"),
        ("9999-W52", "digest_week_year", "9999"),
        ("2026-W48 2026-W49", "digest_week_format", "2026-W48 2026-W49"),
    ],
)
async def test_staff_digest_bad_week_says_why(staff_bot, emulator, arguments, reason, label):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")

    reply = await _command(emulator, staff, f"/digest {arguments}")

    assert reply.method == "sendMessage"
    usage = translate("digest_usage", "it", example="2026-W49")
    assert reply.text == f"{translate(reason, 'it', label=label)}\n{usage}"
    assert emulator.count_calls("sendPhoto", chat_id=STAFF_MEMBER) == 0


async def test_staff_digest_long_argument_is_shortened(staff_bot, emulator):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")

    reply = await _command(emulator, staff, "/digest " + "x" * 3000)

    assert reply.method == "sendMessage"
    assert reply.text.startswith(f"«{'x' * 40}…» non è una settimana.\n")
    assert len(reply.text) < 400


async def test_help_lists_staff_commands_for_staff(staff_bot, emulator):
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")
    customer = emulator.user(id=CUSTOMER, first_name="Anna", language_code="en")

    staff_help = await _command(emulator, staff, "/help")
    customer_help = await _command(emulator, customer, "/help")

    assert "<b>Staff commands</b>" in staff_help.text
    assert "/digest 2026-W49" in staff_help.text
    assert "/stats" in staff_help.text
    assert "/stats" not in customer_help.text
    assert "/digest" not in customer_help.text


async def test_command_menus_by_language_and_staff_chat(settings, emulator, caplog):
    # Sara wrote to the bot before it started, so her chat exists. The staff group does not have
    # the bot as a member, so its menu cannot be set.
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")
    emulator.send_text(staff, "hello")
    staff_settings = dataclasses.replace(
        settings, digest=DigestSettings(staff_chat_ids=(STAFF_MEMBER, STAFF_GROUP), staff_language="en")
    )

    async with running(build_application(staff_settings, clock=FixedClock(NOW))) as application:
        bot = application.bot
        english = [command.command for command in await bot.get_my_commands()]
        italian = await bot.get_my_commands(language_code="it")
        staff_menu = [
            command.command for command in await bot.get_my_commands(scope=BotCommandScopeChat(STAFF_MEMBER))
        ]

    assert english[:3] == ["start", "help", "mystyle"]
    assert "digest" not in english
    assert [command.command for command in italian] == english
    assert italian[1].description == "Come funziona e che cosa conserva"
    assert staff_menu == [*english, "digest", "stats"]
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(
        line.startswith("Staff chat 2 of FASHION_STAFF_CHAT_IDS cannot be reached") for line in warnings
    )
    assert not any(line.startswith("Staff chat 1 of") for line in warnings)


async def test_trends_leave_out_staff_photos(settings, emulator):
    # /trends goes by the real clock, so the photos are sent now rather than stored beforehand.
    staff_settings = dataclasses.replace(settings, digest=DigestSettings(staff_chat_ids=(STAFF_MEMBER,)))
    staff = emulator.user(id=STAFF_MEMBER, first_name="Sara", language_code="en")
    customer = emulator.user(id=CUSTOMER, first_name="Anna", language_code="en")
    coat = (DEMO_PHOTOS_DIR / "coat.jpg").read_bytes()

    async with running(build_application(staff_settings)):
        for user in (staff, customer, customer):
            count = len(emulator.sent_messages(chat_id=user.id)) + 1
            emulator.send_photo(user, coat)
            await emulator.wait_for_messages_async(user.id, count, timeout=15)
        reply = await _command(emulator, customer, "/trends")

    assert "Coat: 2 (+2)" in reply.caption
