"""Migrations: a version 1 file with rows reaches the current schema without losing any row."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from storage import SCHEMA_VERSION, Database
from storage.schema import MIGRATIONS

SEEN = "2026-11-02T09:00:00.000000+00:00"
VERSION_1_CLASSIFICATION_COLUMNS = """
    id, user_id, chat_id, message_id, file_unique_id, label, label_id, confidence, top3,
    model_version, created_at
"""


def _create_version_1_file(path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
        connection.executemany(
            "INSERT INTO users (id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)",
            [(7, "it", SEEN, SEEN), (8, None, SEEN, SEEN)],
        )
        connection.executemany(
            f"INSERT INTO classifications ({VERSION_1_CLASSIFICATION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, 7, 7, 10, "u-10", "Dress", 3, 0.91, '[["Dress", 0.91]]', "v1-model", SEEN),
                (2, 7, 7, 11, "u-11", "Coat", 4, 0.55, '[["Coat", 0.55]]', "v1-model", SEEN),
                (3, 8, -100, 12, "u-12", "Bag", 8, 0.99, '[["Bag", 0.99]]', "v1-model", SEEN),
            ],
        )
        connection.commit()
    finally:
        connection.close()


def _read(path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


async def test_version_1_rows_survive(tmp_path):
    path = tmp_path / "fashion.db"
    _create_version_1_file(path)
    users_before = _read(path, "SELECT id, language, first_seen, last_seen FROM users ORDER BY id")
    classifications_before = _read(
        path, f"SELECT {VERSION_1_CLASSIFICATION_COLUMNS} FROM classifications ORDER BY id"
    )

    database = await Database.open(path)
    try:
        version = await database.schema_version()
    finally:
        await database.close()

    users_after = _read(path, "SELECT id, language, first_seen, last_seen FROM users ORDER BY id")
    classifications_after = _read(
        path, f"SELECT {VERSION_1_CLASSIFICATION_COLUMNS} FROM classifications ORDER BY id"
    )
    assert version == SCHEMA_VERSION
    assert len(users_after) == 2
    assert users_after == users_before
    assert len(classifications_after) == 3
    assert classifications_after == classifications_before


async def test_version_1_rows_get_defaults(tmp_path):
    path = tmp_path / "fashion.db"
    _create_version_1_file(path)

    database = await Database.open(path)
    try:
        records = await database.classifications_of_user(7)
        override = await database.language_override(7)
        subscribed = await database.is_subscribed(7)
        subscribers = await database.subscribers()
    finally:
        await database.close()

    assert [record.id for record in records] == [1, 2]
    assert [record.status for record in records] == ["confident", "confident"]
    assert [record.colours for record in records] == [(), ()]
    assert [record.media_group_id for record in records] == [None, None]
    assert records[0].created_at == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert override is None
    assert subscribed is False
    assert subscribers == []
    assert _read(path, "SELECT subscribed_at FROM users") == [(None,), (None,)]


async def test_migrated_file_accepts_new_rows(tmp_path, make_record):
    path = tmp_path / "fashion.db"
    _create_version_1_file(path)

    database = await Database.open(path)
    try:
        new_id = await database.record_classification(make_record(status="unsure", colours=("red",)))
        await database.record_feedback(1, 7, "corrected", 4, None, datetime(2026, 11, 3, tzinfo=UTC))
        await database.record_delivery("2026-W45", "customer", 7, "sent", datetime(2026, 11, 3, tzinfo=UTC))
        tables = set(await database.table_names())
        feedback = await database.feedback_rows()
    finally:
        await database.close()

    assert new_id == 4
    assert {"users", "classifications", "feedback", "digest_deliveries"} <= tables
    assert [(row.classification_id, row.label) for row in feedback] == [(1, "Dress")]


async def test_failed_migration_keeps_version_1(tmp_path):
    path = tmp_path / "fashion.db"
    _create_version_1_file(path)
    # A table that migration 2 wants to create makes it fail halfway.
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE digest_deliveries (period TEXT)")
    connection.commit()
    connection.close()

    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        await Database.open(path)

    user_columns = [row[1] for row in _read(path, "PRAGMA table_info(users)")]
    assert _read(path, "PRAGMA user_version") == [(1,)]
    assert "subscribed" not in user_columns
    assert _read(path, "SELECT name FROM sqlite_master WHERE name = 'feedback'") == []
    assert len(_read(path, "SELECT id FROM classifications")) == 3


async def test_new_file_rejects_invalid_status(database, read_rows):
    connection = sqlite3.connect(database.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            connection.execute(
                "INSERT INTO classifications (user_id, chat_id, message_id, file_unique_id, label, "
                "label_id, confidence, top3, model_version, created_at, status) "
                "VALUES (1, 1, 1, 'u', 'Dress', 3, 0.9, '[]', 'm', ?, 'maybe')",
                (SEEN,),
            )
    finally:
        connection.close()
    assert read_rows("SELECT COUNT(*) FROM classifications") == [(0,)]
