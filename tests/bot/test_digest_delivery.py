"""End to end: weekly digests sent by the real bot to the emulator, once per chat, with faults.

The bot's clock is fixed on Monday 7 December 2026 at 10:00 in Rome, after the 09:00 run, so the
catch-up at start sends 2026-W49 (30 November to 6 December).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.app import build_application, running
from bot.config import DigestSettings
from bot.digest import DIGEST_JOB_NAME, RETRY_JOB_NAME, SENDER_KEY
from insights.digest import parse_schedule
from storage import ClassificationRecord, Database
from tests.bot.bot_process import wait_until_async

ROME = ZoneInfo("Europe/Rome")
STAFF_IDS = (3001, 3002)
ANNA, BRUNO, CARLA, DARIO, ELSA = 4001, 4002, 4003, 4004, 4005
# Anna, Bruno and Carla subscribed and sent photos in 2026-W49. Dario subscribed but sent his
# only photo the week before, and Elsa sent photos without subscribing.
SUBSCRIBERS = (ANNA, BRUNO, CARLA, DARIO)
IN_WEEK_49 = datetime(2026, 12, 2, 15, 0, tzinfo=ROME)
MONDAY_AFTER_RUN = datetime(2026, 12, 7, 10, 0, tzinfo=ROME)


class FixedClock:
    """A clock for the bot that stays where the test puts it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch):
    # PTB 22.8 warns while building a RetryAfter unless this is set, and warnings fail tests here.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def digest_settings(settings):
    return dataclasses.replace(settings, digest=DigestSettings(staff_chat_ids=STAFF_IDS, staff_language="en"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_AFTER_RUN)


@pytest.fixture
async def week_49(settings, digest_settings, emulator):
    """Open the customers' and staff's chats, then store the customers and their photos of 2026-W49.

    A chat exists once its user wrote to the bot, so everyone sends "hello" to a first run of
    the bot, which replies to plain text with a hint and stores nothing. That run has no staff chats
    and a clock whose due week has no photos, so it sends only the hints, which are then cleared.
    """
    people = [emulator.user(id=chat_id, first_name="Staff", language_code="it") for chat_id in STAFF_IDS]
    people += [
        emulator.user(id=user_id, first_name="Customer", language_code="en")
        for user_id in (*SUBSCRIBERS, ELSA)
    ]
    async with running(
        build_application(settings, clock=FixedClock(datetime(2026, 1, 5, 10, 0, tzinfo=ROME)))
    ):
        for person in people:
            emulator.send_text(person, "hello")
        for person in people:
            await emulator.wait_for_messages_async(person.id, 1, timeout=15)
    emulator.reset_sent()

    database = await Database.open(digest_settings.database_path)
    try:
        seen = IN_WEEK_49 - timedelta(days=60)
        for user_id in (*SUBSCRIBERS, ELSA):
            await database.record_user(user_id, "en", seen)
        for user_id in SUBSCRIBERS:
            await database.set_subscription(user_id, True, seen)
        await database.set_language_override(CARLA, "it", seen)
        await _store(database, ANNA, "Coat", IN_WEEK_49 - timedelta(days=30))
        for user_id in (ANNA, BRUNO, CARLA, ELSA):
            await _store(database, user_id, "Dress", IN_WEEK_49)
        await _store(database, DARIO, "Bag", IN_WEEK_49 - timedelta(days=7))
    finally:
        await database.close()


async def _store(database: Database, user_id: int, label: str, created_at: datetime) -> None:
    await database.record_classification(
        ClassificationRecord(
            user_id=user_id,
            chat_id=user_id,
            message_id=int(created_at.timestamp()) % 1_000_000,
            file_unique_id=f"photo-{user_id}-{created_at.isoformat()}",
            label=label,
            label_id=0,
            confidence=0.9,
            top3=((label, 0.9),),
            model_version="test-model",
            created_at=created_at,
            colours=("red",),
        )
    )


def _deliveries(database_path) -> dict[tuple[str, str, int], tuple[str, int]]:
    """Read every digest delivery through a separate connection: (period, kind, chat) -> (status, attempts)."""
    connection = sqlite3.connect(database_path)
    try:
        rows = connection.execute("SELECT period, kind, chat_id, status, attempts FROM digest_deliveries")
        return {
            (period, kind, chat_id): (status, attempts) for period, kind, chat_id, status, attempts in rows
        }
    finally:
        connection.close()


async def _wait_until(condition, timeout: float = 15.0):
    return await wait_until_async(condition, timeout, "what the test expected the bot to do")


def _digest_runs(caplog) -> list[str]:
    """Return the log lines that the digest sender writes at the end of each run."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.digest" and record.getMessage().startswith("Digest 2026-W49: staff")
    ]


EXPECTED_W49 = {
    ("2026-W49", "staff", 3001): ("sent", 1),
    ("2026-W49", "staff", 3002): ("sent", 1),
    ("2026-W49", "customer", ANNA): ("sent", 1),
    ("2026-W49", "customer", BRUNO): ("blocked", 1),
    ("2026-W49", "customer", CARLA): ("sent", 1),
}


async def test_catch_up_sends_missed_week_once(digest_settings, clock, emulator, week_49):
    emulator.block_user(BRUNO)
    emulator.fail_next("sendMessage", chat_id=CARLA, error_code=429, retry_after=1)

    async with running(build_application(digest_settings, clock=clock)) as application:
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == len(EXPECTED_W49))
        # The weekly job running again in the same week finds everything delivered.
        (weekly,) = application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME)
        await weekly.run(application)

    assert _deliveries(digest_settings.database_path) == EXPECTED_W49
    for user_id in (ANNA, CARLA):
        assert len(emulator.sent_messages(user_id)) == 1
    for user_id in (BRUNO, DARIO, ELSA):
        assert emulator.sent_messages(user_id) == []

    anna = emulator.sent_messages(ANNA)[0]
    assert anna.text.startswith("<b>Your week in style</b>\n30 November to 6 December 2026")
    assert "Garments of the week: 1 (Dress 1)" in anna.text
    assert "usual favourite is <b>Coat</b>" in anna.text
    carla = emulator.sent_messages(CARLA)[0]
    assert carla.text.startswith("<b>La tua settimana di stile</b>")


async def test_flood_limit_waits_then_retries(digest_settings, clock, emulator, week_49):
    emulator.fail_next("sendMessage", chat_id=CARLA, error_code=429, retry_after=1)

    async with running(build_application(digest_settings, clock=clock)):
        await emulator.wait_for_messages_async(CARLA, 1, timeout=15)

    calls = [
        call
        for call in emulator.calls
        if call.method == "sendMessage" and call.params.get("chat_id") == str(CARLA)
    ]
    assert [call.error_code for call in calls] == [429, None]
    assert calls[1].at - calls[0].at >= 1.0


async def test_staff_get_digest_with_chart(digest_settings, clock, emulator, week_49):
    async with running(build_application(digest_settings, clock=clock)):
        for chat_id in STAFF_IDS:
            await emulator.wait_for_messages_async(chat_id, 1, timeout=15)

    for chat_id in STAFF_IDS:
        (message,) = emulator.sent_messages(chat_id)
        assert message.method == "sendPhoto"
        assert message.caption.startswith("<b>Weekly digest 2026-W49</b>\n30 November to 6 December 2026")
        assert "Photos classified: 4" in message.caption
        assert "Customers: 4 active, 0 new" in message.caption
        assert "Dress: 4 (+4)" in message.caption
        assert "Rising: <b>Dress</b>" in message.caption
        assert Image.open(io.BytesIO(message.photo_bytes)).format == "PNG"
    # Aggregates only: no customer's id reaches the staff.
    for user_id in (*SUBSCRIBERS, ELSA):
        assert str(user_id) not in emulator.sent_messages(STAFF_IDS[0])[0].caption


async def test_restart_after_sending_sends_nothing(digest_settings, clock, emulator, week_49, caplog):
    caplog.set_level(logging.INFO, logger="bot.digest")
    async with running(build_application(digest_settings, clock=clock)):
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == 4)
    sent_before = len(emulator.sent_messages())
    calls_before = len(emulator.calls)
    caplog.clear()

    async with running(build_application(digest_settings, clock=clock)) as application:
        await _wait_until(lambda: _digest_runs(caplog))
        run = await application.bot_data[SENDER_KEY].send_due()

    assert run.period == "2026-W49"
    assert run.staff.sent == 0
    assert run.staff.skipped == 2
    assert run.customers.sent == 0
    assert run.customers.skipped == 3
    assert len(emulator.sent_messages()) == sent_before
    assert not [call for call in emulator.calls[calls_before:] if call.method in ("sendMessage", "sendPhoto")]
    assert all(attempts == 1 for _, attempts in _deliveries(digest_settings.database_path).values())


async def test_blocked_customer_skipped_next_week(digest_settings, clock, emulator, week_49):
    emulator.block_user(BRUNO)
    async with running(build_application(digest_settings, clock=clock)) as application:
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == len(EXPECTED_W49))
        bruno_calls = emulator.count_calls("sendMessage", chat_id=BRUNO)

        # A week later Anna and Bruno sent photos again, and the weekly job runs for 2026-W50.
        database = application.bot_data["services"].database
        for user_id in (ANNA, BRUNO):
            await _store(database, user_id, "Sneaker", IN_WEEK_49 + timedelta(days=7))
        clock.now = MONDAY_AFTER_RUN + timedelta(days=7)
        (weekly,) = application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME)
        await weekly.run(application)

    deliveries = _deliveries(digest_settings.database_path)
    assert deliveries[("2026-W50", "customer", ANNA)] == ("sent", 1)
    assert ("2026-W50", "customer", BRUNO) not in deliveries
    assert emulator.count_calls("sendMessage", chat_id=BRUNO) == bruno_calls
    assert len(emulator.sent_messages(ANNA)) == 2


async def test_failed_send_does_not_stop_others(digest_settings, clock, emulator, week_49):
    emulator.fail_next("sendMessage", chat_id=ANNA, error_code=400, description="Bad Request: chat not found")

    async with running(build_application(digest_settings, clock=clock)):
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == 5)

    deliveries = _deliveries(digest_settings.database_path)
    assert deliveries[("2026-W49", "customer", ANNA)] == ("failed", 1)
    assert deliveries[("2026-W49", "customer", CARLA)] == ("sent", 1)
    assert emulator.sent_messages(ANNA) == []
    assert len(emulator.sent_messages(CARLA)) == 1


async def test_staff_digest_error_spares_customers(digest_settings, clock, emulator, week_49, monkeypatch):
    async def fail_to_build(*arguments, **options):
        raise RuntimeError("chart drawing failed")

    monkeypatch.setattr("bot.digest.build_staff_digest", fail_to_build)

    async with running(build_application(digest_settings, clock=clock)):
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == 5)

    deliveries = _deliveries(digest_settings.database_path)
    assert deliveries[("2026-W49", "staff", 3001)] == ("failed", 1)
    assert deliveries[("2026-W49", "staff", 3002)] == ("failed", 1)
    assert deliveries[("2026-W49", "customer", ANNA)] == ("sent", 1)
    assert emulator.sent_messages(STAFF_IDS[0]) == []
    assert len(emulator.sent_messages(ANNA)) == 1


async def test_moved_schedule_skips_older_week(digest_settings, clock, emulator, week_49, caplog):
    caplog.set_level(logging.INFO, logger="bot.digest")
    async with running(build_application(digest_settings, clock=clock)):
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == 4)
    delivered = _deliveries(digest_settings.database_path)
    calls_before = len(emulator.calls)

    # The shop moves the digest to Saturday 16:37. On Saturday 12 December at 16:35 the latest
    # Saturday run was on 5 December, which covers 2026-W48, a week older than the one sent.
    saturday = dataclasses.replace(
        digest_settings,
        digest=dataclasses.replace(digest_settings.digest, schedule=parse_schedule("sat 16:37")),
    )
    saturday_clock = FixedClock(datetime(2026, 12, 12, 16, 35, tzinfo=ROME))
    async with running(build_application(saturday, clock=saturday_clock)) as application:
        await _wait_until(lambda: "Digest 2026-W48 skipped" in caplog.text)
        run = await application.bot_data[SENDER_KEY].send_due()

    assert run is None
    assert _deliveries(digest_settings.database_path) == delivered
    assert not [call for call in emulator.calls[calls_before:] if call.method in ("sendMessage", "sendPhoto")]


async def test_failed_staff_chat_named_and_retried(digest_settings, clock, emulator, week_49, caplog):
    caplog.set_level(logging.INFO, logger="bot.digest")
    emulator.fail_next("sendPhoto", chat_id=3002, error_code=400, description="Bad Request: chat not found")

    async with running(build_application(digest_settings, clock=clock)) as application:
        await _wait_until(lambda: len(_deliveries(digest_settings.database_path)) == 4)
        await _wait_until(lambda: application.job_queue.get_jobs_by_name(RETRY_JOB_NAME))
        first = _deliveries(digest_settings.database_path)
        (retry,) = application.job_queue.get_jobs_by_name(RETRY_JOB_NAME)
        await retry.run(application)
        retried = _deliveries(digest_settings.database_path)
        retries_left = application.job_queue.get_jobs_by_name(RETRY_JOB_NAME)

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("staff chat 2 of FASHION_STAFF_CHAT_IDS (failed)" in line for line in warnings)
    assert not any("3002" in line for line in warnings)
    assert first[("2026-W49", "staff", 3002)] == ("failed", 1)
    assert retried[("2026-W49", "staff", 3002)] == ("sent", 2)
    assert retried[("2026-W49", "staff", 3001)] == ("sent", 1)
    assert len(emulator.sent_messages(3001)) == 1
    assert len(emulator.sent_messages(3002)) == 1
    # The retry was run by hand, so its own scheduled run is still listed, and no other was added.
    assert retries_left == (retry,)


async def test_staff_not_counted_as_customers(digest_settings, clock, emulator, week_49):
    # Both staff members sent /start in 2026-W49, which stores them as users.
    database = await Database.open(digest_settings.database_path)
    try:
        for chat_id in STAFF_IDS:
            await database.record_user(chat_id, "it", IN_WEEK_49)
    finally:
        await database.close()

    async with running(build_application(digest_settings, clock=clock)):
        await emulator.wait_for_messages_async(STAFF_IDS[0], 1, timeout=15)

    (message,) = emulator.sent_messages(STAFF_IDS[0])
    assert "Customers: 4 active, 0 new" in message.caption
