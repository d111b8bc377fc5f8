"""Storage: a fresh SQLite file per test, migrated, in WAL mode, keeping every answer."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from storage import SCHEMA_VERSION, ClassificationRecord, Database, ForeignDatabaseError
from tests.conftest import other_program_database

MOMENT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


def _record(message_id: int = 1, user_id: int = 7, created_at: datetime = MOMENT) -> ClassificationRecord:
    return ClassificationRecord(
        user_id=user_id,
        chat_id=user_id,
        message_id=message_id,
        file_unique_id=f"unique-{message_id}",
        label="Dress",
        label_id=3,
        confidence=0.91,
        top3=(("Dress", 0.91), ("Coat", 0.05), ("Shirt", 0.02)),
        model_version="seed-test",
        created_at=created_at,
    )


@pytest.fixture
async def database(tmp_path):
    database = await Database.open(tmp_path / "nested" / "fashion.db")
    yield database
    await database.close()


async def test_open_creates_folder_and_migrates(database, tmp_path):
    assert (tmp_path / "nested" / "fashion.db").is_file()
    assert await database.schema_version() == SCHEMA_VERSION
    assert {"users", "classifications"} <= set(await database.table_names())


async def test_database_uses_wal(database):
    connection = sqlite3.connect(database.path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


async def test_classification_round_trip(database):
    assert await database.record_classification(_record())
    stored = await database.classifications_of_user(7)
    assert stored == [_record()]


async def test_created_at_is_stored_in_utc(database):
    rome = MOMENT.astimezone(datetime.now().astimezone().tzinfo)
    await database.record_classification(_record(created_at=rome))
    connection = sqlite3.connect(database.path)
    try:
        stored = connection.execute("SELECT created_at FROM classifications").fetchone()[0]
    finally:
        connection.close()
    assert stored.endswith("+00:00")
    assert datetime.fromisoformat(stored) == MOMENT


async def test_repeated_update_is_not_logged_twice(database):
    assert await database.record_classification(_record())
    assert not await database.record_classification(_record())
    assert await database.count_rows("classifications") == 1


async def test_user_keeps_first_seen_and_updates_last_seen(database):
    await database.record_user(7, "it", MOMENT)
    await database.record_user(7, None, MOMENT + timedelta(days=1))
    connection = sqlite3.connect(database.path)
    try:
        row = connection.execute("SELECT language, first_seen, last_seen FROM users WHERE id = 7").fetchone()
    finally:
        connection.close()
    assert row[0] == "it"
    assert datetime.fromisoformat(row[1]) == MOMENT
    assert datetime.fromisoformat(row[2]) == MOMENT + timedelta(days=1)


async def test_reopen_keeps_rows(tmp_path):
    database = await Database.open(tmp_path / "fashion.db")
    await database.record_classification(_record())
    await database.close()
    reopened = await Database.open(tmp_path / "fashion.db")
    try:
        assert await reopened.count_rows("classifications") == 1
    finally:
        await reopened.close()


async def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "fashion.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        await Database.open(path)


async def test_other_programs_file_is_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    before = other_program_database(path)

    with pytest.raises(ForeignDatabaseError, match="no classifications table"):
        await Database.open(path)

    assert path.read_bytes() == before


async def test_empty_file_becomes_a_database(tmp_path):
    path = tmp_path / "fashion.db"
    path.touch()

    database = await Database.open(path)
    try:
        assert await database.schema_version() == SCHEMA_VERSION
    finally:
        await database.close()


@pytest.mark.parametrize("empty", [True, False], ids=["empty-file", "missing-file"])
async def test_existing_only_rejects_missing_or_empty(tmp_path, empty):
    path = tmp_path / "fashion.db"
    if empty:
        path.touch()

    with pytest.raises(ForeignDatabaseError, match="empty or missing"):
        await Database.open(path, existing_only=True)

    assert path.exists() == empty
    assert not empty or path.stat().st_size == 0


async def test_count_rows_rejects_unknown_table(database):
    with pytest.raises(ValueError, match="unknown table"):
        await database.count_rows("photos; DROP TABLE users")
