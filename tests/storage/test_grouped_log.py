"""Classifications logged at the same moment share one transaction (`log_classification`)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest


async def test_concurrent_logs_each_get_their_own_row(database, make_record, read_rows):
    records = [make_record(user_id=100 + n % 5) for n in range(40)]
    ids = await asyncio.gather(*(database.log_classification("it", record) for record in records))

    assert len(set(ids)) == 40
    for row_id, record in zip(ids, records, strict=True):
        stored = await database.classification_by_id(row_id)
        assert (stored.user_id, stored.message_id) == (record.user_id, record.message_id)
    assert read_rows("SELECT id, language FROM users ORDER BY id") == [(100 + n, "it") for n in range(5)]


async def test_concurrent_logs_share_commits(database, make_record, monkeypatch):
    commits = 0
    connection_commit = database._connection.commit

    async def counting_commit():
        nonlocal commits
        commits += 1
        await connection_commit()

    monkeypatch.setattr(database._connection, "commit", counting_commit)
    await asyncio.gather(*(database.log_classification("en", make_record()) for _ in range(50)))
    assert await database.count_rows("classifications") == 50
    assert commits <= 2


async def test_repeated_message_is_logged_once(database, make_record):
    first = await database.log_classification("en", make_record(message_id=1, label="Dress"))
    again, twin, other = await asyncio.gather(
        database.log_classification("en", make_record(message_id=1, label="Coat")),
        database.log_classification("en", make_record(message_id=2, label="Bag")),
        database.log_classification("en", make_record(message_id=2, label="Coat")),
    )
    assert isinstance(first, int)
    assert again is None
    assert isinstance(twin, int)
    assert other is None
    stored = await database.classifications_of_user(7)
    assert [(record.message_id, record.label) for record in stored] == [(1, "Dress"), (2, "Bag")]


async def test_bad_row_fails_only_its_call(database, make_record):
    good = [make_record() for _ in range(3)]
    # A value SQLite cannot bind fails the whole statement it is in.
    bad = make_record(label_id=object())
    results = await asyncio.gather(
        *(database.log_classification("en", record) for record in [good[0], bad, good[1], good[2]]),
        return_exceptions=True,
    )
    assert isinstance(results[1], sqlite3.Error)
    assert all(isinstance(result, int) for result in results[:1] + results[2:])
    assert await database.count_rows("classifications") == 3


async def test_unknown_status_is_refused_before_writing(database, make_record):
    with pytest.raises(ValueError, match="status"):
        await database.log_classification("en", make_record(status="maybe"))
    assert await database.count_rows("classifications") == 0


async def test_close_waits_for_queued_logs(tmp_path, make_record):
    from storage import Database

    database = await Database.open(tmp_path / "closing.db")
    pending = [asyncio.create_task(database.log_classification("en", make_record())) for _ in range(10)]
    await asyncio.sleep(0)
    await database.close()
    ids = await asyncio.gather(*pending)
    assert all(isinstance(row_id, int) for row_id in ids)
    connection = sqlite3.connect(tmp_path / "closing.db")
    assert connection.execute("SELECT COUNT(*) FROM classifications").fetchone() == (10,)
    connection.close()
