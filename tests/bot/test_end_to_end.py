"""End to end: a customer talks to the real bot through the emulator; answers land in SQLite."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3

import pytest

from bot.app import build_application, running
from classifier import jpeg_scan
from tests.conftest import DEMO_PHOTOS_DIR, encode, garment_photo


def _rows(database_path) -> list[tuple]:
    connection = sqlite3.connect(database_path)
    try:
        return connection.execute(
            "SELECT user_id, chat_id, message_id, file_unique_id, label, label_id, confidence, top3, "
            "model_version, created_at FROM classifications ORDER BY id"
        ).fetchall()
    finally:
        connection.close()


async def _reply(emulator, customer, count: int = 1):
    messages = await emulator.wait_for_messages_async(customer.id, count, timeout=15)
    return messages[count - 1]


async def test_photo_and_document_are_answered_and_logged(bot, emulator, settings):
    alice = emulator.user(id=1001, first_name="Alice", language_code="en")
    dress = (DEMO_PHOTOS_DIR / "dress.jpg").read_bytes()
    trouser = (DEMO_PHOTOS_DIR / "trouser.jpg").read_bytes()

    emulator.send_photo(alice, dress)
    photo_reply = await _reply(emulator, alice, 1)
    emulator.send_document(alice, trouser, file_name="trouser.jpg", mime_type="image/jpeg")
    document_reply = await _reply(emulator, alice, 2)

    assert "I see: <b>Dress</b>" in photo_reply.text
    assert "I see: <b>Trousers</b>" in document_reply.text
    assert "Also possible:" in photo_reply.text
    rows = _rows(settings.database_path)
    assert [row[4] for row in rows] == ["Dress", "Trouser"]
    assert all(row[0] == alice.id and row[1] == alice.id for row in rows)
    assert rows[0][8] == rows[1][8]  # one model version
    assert rows[0][9].endswith("+00:00")


async def test_reply_follows_language_code(bot, emulator, settings):
    giulia = emulator.user(id=1002, first_name="Giulia", language_code="it")
    emulator.send_photo(giulia, (DEMO_PHOTOS_DIR / "coat.jpg").read_bytes())
    reply = await _reply(emulator, giulia)
    assert reply.text.startswith("Vedo:")
    assert "Altre possibilità" in reply.text


async def test_unknown_language_gets_english(bot, emulator):
    hans = emulator.user(id=1003, first_name="Hans", language_code="de")
    emulator.send_text(hans, "/start")
    reply = await _reply(emulator, hans)
    assert reply.text.startswith("Hi Hans!")


async def test_start_and_help_explain_storage(bot, emulator):
    alice = emulator.user(id=1001, first_name="Alice", language_code="en")
    emulator.send_text(alice, "/help")
    reply = await _reply(emulator, alice)
    assert "The photo itself is never stored" in reply.text
    assert "/privacy lists everything" in reply.text


async def test_row_written_before_reply(bot, emulator, settings):
    alice = emulator.user(id=1001, first_name="Alice", language_code="en")
    emulator.send_photo(alice, encode(garment_photo(), "JPEG", quality=90))
    await _reply(emulator, alice)
    # The reply was seen, so its row must already be committed.
    assert len(_rows(settings.database_path)) == 1


@pytest.mark.parametrize(
    ("data", "file_name", "mime_type", "expected"),
    [
        (b"%PDF-1.4 minimal", "notes.pdf", "application/pdf", "not an image I can read"),
        (b"not really a png", "fake.png", "image/png", "not an image I can read"),
    ],
    ids=["pdf-document", "fake-png"],
)
async def test_bad_file_gets_clear_reply_and_no_row(
    bot, emulator, settings, data, file_name, mime_type, expected
):
    alice = emulator.user(id=1001, first_name="Alice", language_code="en")
    emulator.send_document(alice, data, file_name=file_name, mime_type=mime_type)
    reply = await _reply(emulator, alice)
    assert expected in reply.text
    assert _rows(settings.database_path) == []


async def test_file_over_20_mb_is_refused_before_download(bot, emulator, settings):
    alice = emulator.user(id=1001, first_name="Alice", language_code="en")
    emulator.send_document(
        alice, b"\xff\xd8tiny", file_name="huge.jpg", mime_type="image/jpeg", file_size=25 * 1024 * 1024
    )
    reply = await _reply(emulator, alice)
    assert "20 MB" in reply.text
    assert not [call for call in emulator.calls if call.method.lower() == "getfile"]


async def test_text_gets_a_hint(bot, emulator):
    giulia = emulator.user(id=1002, first_name="Giulia", language_code="it")
    emulator.send_text(giulia, "ciao")
    reply = await _reply(emulator, giulia)
    assert "Mandami la foto" in reply.text


async def test_unknown_command_points_to_help(bot, emulator):
    alice = emulator.user(id=1001, first_name="Alice", language_code="it")
    emulator.send_text(alice, "/foo")
    reply = await _reply(emulator, alice)
    assert reply.text.startswith("Non conosco questo comando")


async def test_photo_downloads_800px_size(bot, emulator):
    alice = emulator.user(id=1001, first_name="Alice", language_code="en")
    update_id = emulator.send_photo(alice, encode(garment_photo(size=(1600, 1200)), "JPEG", quality=90))
    await _reply(emulator, alice)

    sizes = emulator.get_update(update_id)["message"]["photo"]
    downloaded = [call.params.get("file_id") for call in emulator.calls if call.method.lower() == "getfile"]
    chosen = next(size for size in sizes if size["file_id"] == downloaded[0])
    assert max(size["width"] for size in sizes) == 1280
    assert (chosen["width"], chosen["height"]) == (800, 600)


async def test_second_instance_logged_once(bot, emulator, settings, tmp_path, caplog):
    """Two bots polling with one token get 409 Conflict from Telegram: a clear line, not a traceback per retry."""
    second_settings = dataclasses.replace(settings, database_path=tmp_path / "second.db")
    caplog.set_level(logging.INFO)

    async with running(build_application(second_settings)):
        await asyncio.sleep(4)

    conflict_lines = [
        record for record in caplog.records if "Another process is polling" in record.getMessage()
    ]
    # One line per instance at most: each logs again only after a minute.
    assert 1 <= len(conflict_lines) <= 2
    assert all(record.exc_info is None for record in conflict_lines)
    assert "Unhandled error" not in caplog.text


async def test_start_warns_without_jpeg_reader(settings, caplog, monkeypatch):
    """A bot run from a source tree where the C module was never built still starts, and logs why it is slower."""
    caplog.set_level(logging.INFO)
    async with running(build_application(settings)):
        pass
    assert "Bot ready" in caplog.text
    assert "_jpeg_scan is not built" not in caplog.text

    caplog.clear()
    monkeypatch.setattr(jpeg_scan, "_jpeg_scan", None)
    async with running(build_application(settings)):
        pass
    assert "Bot ready" in caplog.text
    assert "_jpeg_scan is not built" in caplog.text


async def test_each_answer_quotes_its_photo(bot, emulator):
    carla = emulator.user(id=1009, first_name="Carla", language_code="en")
    photos = {"dress": "Dress", "trouser": "Trousers", "bag": "Bag"}
    message_ids = {}
    for name in photos:
        update_id = emulator.send_photo(carla, (DEMO_PHOTOS_DIR / f"{name}.jpg").read_bytes())
        message_ids[emulator.get_update(update_id)["message"]["message_id"]] = name

    replies = await emulator.wait_for_messages_async(carla.id, len(photos), timeout=15)

    # Replies may arrive in any order, so each one quotes its photo.
    assert sorted(reply.reply_to_message_id for reply in replies) == sorted(message_ids)
    for reply in replies:
        assert f"I see: <b>{photos[message_ids[reply.reply_to_message_id]]}</b>" in reply.text
