"""Forgetting a user: no row of any table keeps their id, and other users keep everything."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

FORGOTTEN = 7
KEPT = 8
STAFF_CHAT = -1001
MOMENT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
# Columns that contain a Telegram user id, or a chat id equal to one in a private chat.
USER_ID_COLUMNS = {"user_id", "chat_id"}
# Tables without a user id column. A new table belongs here only if no column contains a user id.
TABLES_WITHOUT_USER_IDS: set[str] = set()


async def _store_everything_about(database, make_record, user_id: int) -> None:
    await database.record_user(user_id, "en", MOMENT)
    await database.set_language_override(user_id, "it", MOMENT)
    await database.set_subscription(user_id, True, MOMENT)
    first = await database.record_classification(make_record(user_id=user_id))
    second = await database.record_classification(make_record(user_id=user_id, status="unsure"))
    await database.record_feedback(first, user_id, "confirmed", None, bytes(784), MOMENT)
    await database.record_feedback(second, user_id, "corrected", 5, None, MOMENT)
    await database.record_delivery("2026-W49", "customer", user_id, "sent", MOMENT)


def _user_id_columns(connection: sqlite3.Connection, table: str) -> list[str]:
    columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
    return [
        column for column in columns if column in USER_ID_COLUMNS or (table == "users" and column == "id")
    ]


async def test_forget_returns_counts(database, make_record):
    await _store_everything_about(database, make_record, FORGOTTEN)
    await _store_everything_about(database, make_record, KEPT)
    deleted = await database.forget_user(FORGOTTEN)
    assert deleted == {"feedback": 2, "classifications": 2, "digest_deliveries": 1, "users": 1}


async def test_forget_leaves_no_trace(database, make_record):
    await _store_everything_about(database, make_record, FORGOTTEN)
    await _store_everything_about(database, make_record, KEPT)
    await database.record_delivery("2026-W49", "staff", STAFF_CHAT, "sent", MOMENT)

    await database.forget_user(FORGOTTEN)

    connection = sqlite3.connect(database.path)
    try:
        for table in await database.table_names():
            columns = _user_id_columns(connection, table)
            if table in TABLES_WITHOUT_USER_IDS:
                assert columns == [], f"{table} contains user ids: check it in this test"
                continue
            assert columns, f"{table} has no user id column: list it in TABLES_WITHOUT_USER_IDS"
            for column in columns:
                values = {row[0] for row in connection.execute(f'SELECT "{column}" FROM "{table}"')}
                assert FORGOTTEN not in values, f"{table}.{column} still contains the forgotten user"
                assert KEPT in values, f"{table}.{column} lost the other user's rows"
    finally:
        connection.close()


async def test_forget_keeps_other_users(database, make_record):
    await _store_everything_about(database, make_record, FORGOTTEN)
    await _store_everything_about(database, make_record, KEPT)
    await database.record_delivery("2026-W49", "staff", STAFF_CHAT, "sent", MOMENT)

    await database.forget_user(FORGOTTEN)

    assert len(await database.classifications_of_user(KEPT)) == 2
    assert len(await database.feedback_rows()) == 2
    assert await database.language_override(KEPT) == "it"
    assert await database.subscribers() == [KEPT]
    assert await database.delivery_status("2026-W49", "customer", KEPT) == "sent"
    assert await database.delivery_status("2026-W49", "staff", STAFF_CHAT) == "sent"


async def test_forget_removes_feedback_by_others(database, make_record):
    # In a group chat another member may judge the forgotten user's classification.
    row_id = await database.record_classification(make_record(user_id=FORGOTTEN, chat_id=STAFF_CHAT))
    await database.record_feedback(row_id, KEPT, "confirmed", None, None, MOMENT)
    deleted = await database.forget_user(FORGOTTEN)
    assert deleted["feedback"] == 1
    assert await database.feedback_rows() == []


async def test_forget_unknown_user_deletes_nothing(database, make_record):
    await _store_everything_about(database, make_record, KEPT)
    deleted = await database.forget_user(FORGOTTEN)
    assert deleted == {"feedback": 0, "classifications": 0, "digest_deliveries": 0, "users": 0}
    assert await database.count_rows("users") == 1


async def test_forgotten_user_starts_fresh(database, make_record):
    await _store_everything_about(database, make_record, FORGOTTEN)
    await database.forget_user(FORGOTTEN)
    assert await database.language_override(FORGOTTEN) is None
    assert await database.is_subscribed(FORGOTTEN) is False
    assert (await database.style_summary(FORGOTTEN, MOMENT)).total == 0


async def test_forgotten_rows_leave_no_copy_on_disk(database, make_record):
    marker = "forget-me-4f1c9a"
    await database.record_classification(make_record(user_id=FORGOTTEN, file_unique_id=marker))
    await database.record_classification(make_record(user_id=KEPT, file_unique_id="keep-me-7b2e"))

    await database.forget_user(FORGOTTEN)

    files = [database.path, database.path.with_name(database.path.name + "-wal")]
    contents = b"".join(path.read_bytes() for path in files if path.exists())
    assert marker.encode() not in contents
    assert await database.count_rows("classifications") == 1
