"""Stopping the bot: SIGTERM while photos are in flight, SIGKILL under a stream of photos, and the
shutdown time limit.

The first two tests run `fashion-assistant run` as a child process against the emulator in the
test process. Each customer sends one photo, so an answer is matched to its photo by chat.
"""

from __future__ import annotations

import asyncio
import re
import signal
import threading
import time
from dataclasses import replace

from telegram.ext import MessageHandler, filters

from bot.app import build_application, running
from bot.i18n import translate
from bot.shutdown import InFlightUpdateProcessor
from bot.update_log import logged
from tests.bot.bot_process import (
    BotProcess,
    SlowFileProxy,
    classification_keys,
    integrity_check,
    replies_per_chat,
    wait_until,
)
from tests.conftest import encode, garment_photo

SHUTDOWN_TIMEOUT = 5.0
DOWNLOAD_DELAY = 1.5
# The child must exit within the shutdown time limit plus this margin for closing the database,
# the HTTP client and the interpreter.
EXIT_MARGIN = 3.0


def _photo(index: int) -> bytes:
    colour = (40 + (15 * index) % 200, 60, 150 - (7 * index) % 120)
    return encode(garment_photo(garment=colour), "JPEG", quality=90)


def _bot_process(emulator, tmp_path, shipped_model, name: str, **environment: str) -> BotProcess:
    return BotProcess(
        emulator,
        database_path=tmp_path / "fashion.db",
        model_path=shipped_model,
        log_path=tmp_path / f"{name}.log",
        extra_environment={"FASHION_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT), **environment},
    )


def test_sigterm_answers_photos_in_flight(emulator, tmp_path, shipped_model):
    customers = [
        emulator.user(id=5000 + index, first_name="Customer", language_code="en") for index in range(12)
    ]
    chat_ids = [customer.id for customer in customers]
    photos = [_photo(index) for index in range(len(customers))]
    # Each download waits DOWNLOAD_DELAY seconds, so the first photos are still in flight at SIGTERM.
    with SlowFileProxy(emulator, DOWNLOAD_DELAY) as proxy:
        bot = _bot_process(
            emulator, tmp_path, shipped_model, "first", TELEGRAM_FILE_BASE_URL=proxy.file_base_url
        ).start()
        try:
            for customer, photo in zip(customers[:8], photos[:8], strict=True):
                emulator.send_photo(customer, photo)
            wait_until(lambda: emulator.count_calls("getFile") >= 8, 15, "eight photo downloads")

            bot.send_signal(signal.SIGTERM)
            signalled_at = time.monotonic()
            # Sent after the signal: the bot no longer fetches updates, so Telegram keeps these.
            for customer, photo in zip(customers[8:], photos[8:], strict=True):
                emulator.send_photo(customer, photo)
            status = bot.wait(SHUTDOWN_TIMEOUT + EXIT_MARGIN + 10)
            exit_seconds = time.monotonic() - signalled_at
        finally:
            bot.stop()
    log = bot.log()

    assert status == 0, log
    assert exit_seconds < SHUTDOWN_TIMEOUT + EXIT_MARGIN, log
    waiting = re.search(r"Stopping: waiting up to [\d.]+ s for (\d+) updates being handled", log)
    assert waiting is not None, log
    # At least the eight photos whose downloads had started; one sent right after the signal may
    # have been fetched before the bot stopped polling.
    assert int(waiting.group(1)) >= 8, "the eight photos should be in flight when SIGTERM arrives"
    assert "Cancelled" not in log
    assert "Bot stopped" in log

    answered = replies_per_chat(emulator, chat_ids)
    recorded = [chat_id for chat_id, _ in classification_keys(tmp_path / "fashion.db")]
    # Every answer has its row, and every row was answered.
    assert sorted(answered) == sorted(recorded)
    assert set(chat_ids[:8]) <= set(answered)
    assert all(count == 1 for count in answered.values())
    assert log.count("handler=handle_photo") == len(answered)
    assert log.count("outcome=ok") == len(answered)
    # The photos that were not answered were not acknowledged either: Telegram still has them queued.
    assert emulator.pending_update_count() == len(chat_ids) - len(answered)

    # A restart on the same database answers the rest, each photo once.
    restarted = _bot_process(emulator, tmp_path, shipped_model, "second").start()
    try:
        wait_until(
            lambda: len(replies_per_chat(emulator, chat_ids)) == len(chat_ids),
            60,
            "every photo to be answered",
        )
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait() == 0
    finally:
        restarted.stop()
    assert sorted(chat_id for chat_id, _ in classification_keys(tmp_path / "fashion.db")) == chat_ids
    assert all(count == 1 for count in replies_per_chat(emulator, chat_ids).values())
    assert emulator.pending_update_count() == 0


def test_second_sigterm_does_not_break_the_stop(emulator, tmp_path, shipped_model):
    customers = [
        emulator.user(id=5100 + index, first_name="Customer", language_code="en") for index in range(6)
    ]
    chat_ids = [customer.id for customer in customers]
    with SlowFileProxy(emulator, DOWNLOAD_DELAY) as proxy:
        bot = _bot_process(
            emulator, tmp_path, shipped_model, "twice", TELEGRAM_FILE_BASE_URL=proxy.file_base_url
        ).start()
        try:
            for index, customer in enumerate(customers):
                emulator.send_photo(customer, _photo(index))
            wait_until(lambda: emulator.count_calls("getFile") >= len(customers), 15, "six photo downloads")

            bot.send_signal(signal.SIGTERM)
            signalled_at = time.monotonic()
            time.sleep(0.5)
            bot.send_signal(signal.SIGTERM)
            status = bot.wait(SHUTDOWN_TIMEOUT + EXIT_MARGIN + 10)
            exit_seconds = time.monotonic() - signalled_at
        finally:
            bot.stop()
    log = bot.log()

    assert status == 0, log
    assert exit_seconds < SHUTDOWN_TIMEOUT + EXIT_MARGIN, log
    assert "Stop signal received again" in log
    assert "Bot stopped" in log
    assert "Traceback" not in log
    # The second signal did not cut the photos in flight short: each was answered once.
    answered = replies_per_chat(emulator, chat_ids)
    assert sorted(answered) == chat_ids
    assert all(count == 1 for count in answered.values())
    assert sorted(chat_id for chat_id, _ in classification_keys(tmp_path / "fashion.db")) == chat_ids
    assert integrity_check(tmp_path / "fashion.db") == [("ok",)]


class _PhotoStream:
    """Sends one photo per new customer every `interval` seconds from a thread, `count` at most."""

    def __init__(self, emulator, count: int, interval: float, first_user_id: int) -> None:
        self._emulator = emulator
        self._count = count
        self._interval = interval
        self._first_user_id = first_user_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="photo-stream", daemon=True)
        self._photo = encode(garment_photo(size=(800, 600)), "JPEG", quality=90)
        self.chat_ids: list[int] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _PhotoStream:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        for index in range(self._count):
            if self._stop.is_set():
                return
            customer = self._emulator.user(
                id=self._first_user_id + index, first_name="Customer", language_code="en"
            )
            self._emulator.send_photo(customer, self._photo)
            with self._lock:
                self.chat_ids.append(customer.id)
            self._stop.wait(self._interval)

    def sent(self) -> list[int]:
        with self._lock:
            return list(self.chat_ids)


def test_sigkill_under_load_keeps_database_sound(emulator, tmp_path, shipped_model):
    database_path = tmp_path / "fashion.db"
    bot = _bot_process(emulator, tmp_path, shipped_model, "killed").start()
    try:
        with _PhotoStream(emulator, count=40, interval=0.05, first_user_id=6000) as stream:
            wait_until(lambda: len(replies_per_chat(emulator, stream.sent())) >= 5, 30, "five answers")
            bot.send_signal(signal.SIGKILL)
            assert bot.wait() == -signal.SIGKILL
            answered_before_restart = replies_per_chat(emulator, stream.sent())
            sent_before_kill = set(stream.sent())

            assert integrity_check(database_path) == [("ok",)]
            recorded = {chat_id for chat_id, _ in classification_keys(database_path)}
            assert set(answered_before_restart) <= recorded

            # Keep streaming into the restarted bot, then let it finish and stop it gracefully.
            restarted = _bot_process(emulator, tmp_path, shipped_model, "restarted").start()
            try:
                wait_until(lambda: len(stream.sent()) == 40, 30, "the stream to finish")
                wait_until(lambda: emulator.pending_update_count() == 0, 60, "every update to be fetched")
                sent_after_kill = set(stream.sent()) - sent_before_kill
                wait_until(
                    lambda: sent_after_kill <= set(replies_per_chat(emulator, stream.sent())),
                    60,
                    "the photos sent after the kill to be answered",
                )
                restarted.send_signal(signal.SIGTERM)
                assert restarted.wait() == 0
            finally:
                restarted.stop()
    finally:
        bot.stop()

    assert integrity_check(database_path) == [("ok",)]
    keys = classification_keys(database_path)
    assert len(keys) == len(set(keys)), "a photo was logged twice"
    recorded = {chat_id for chat_id, _ in keys}
    answered = replies_per_chat(emulator, stream.sent())
    assert set(answered) <= recorded
    assert recorded <= set(stream.sent())


async def test_stop_cancels_handlers_past_time_limit(emulator, settings, caplog):
    """A handler that never finishes is cancelled once the shutdown time limit has passed."""
    started = asyncio.Event()

    async def hang(update, context) -> None:
        started.set()
        await asyncio.sleep(3600)

    application = build_application(replace(settings, shutdown_timeout=0.5))
    application.add_handler(MessageHandler(filters.Regex("^hang$"), logged(hang)), group=-1)
    alice = emulator.user(id=7001, first_name="Alice", language_code="en")

    caplog.set_level("INFO")
    async with running(application):
        emulator.send_text(alice, "hang")
        await asyncio.wait_for(started.wait(), 15)
        stop_began = time.monotonic()
    stop_seconds = time.monotonic() - stop_began

    assert stop_seconds < 5
    assert "Cancelled 1 updates still being handled" in caplog.text
    assert "handler=hang" in caplog.text
    assert "outcome=cancelled" in caplog.text
    # The customer is not left waiting in silence: the bot asks for the message again.
    replies = [message.text for message in emulator.sent_messages(chat_id=alice.id)]
    assert replies == [translate("send_again_after_restart", "en")]


async def test_processor_drops_updates_after_time_limit():
    processor = InFlightUpdateProcessor(4)
    finished = []

    async def work(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    slow = asyncio.create_task(processor.process_update("slow", work("slow", 3600)))
    await asyncio.sleep(0.01)
    assert processor.in_flight_count == 1

    await processor.cancel_after(0.05)
    await asyncio.gather(slow, return_exceptions=True)
    await processor.process_update("late", work("late", 0))

    assert slow.cancelled()
    assert finished == []
    assert processor.in_flight_count == 0
    assert processor.unfinished == ["slow", "late"]
