"""Classification log: row ids, the fields added in schema 2, lookups and retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

MOMENT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


async def test_record_returns_row_id(database, make_record):
    first = await database.record_classification(make_record(message_id=1))
    second = await database.record_classification(make_record(message_id=2))
    assert isinstance(first, int)
    assert isinstance(second, int)
    assert second != first


async def test_repeat_returns_none(database, make_record):
    await database.record_classification(make_record(message_id=1))
    assert await database.record_classification(make_record(message_id=1)) is None
    assert await database.count_rows("classifications") == 1


async def test_repeat_keeps_first_row(database, make_record):
    await database.record_classification(make_record(message_id=1, label="Dress"))
    await database.record_classification(make_record(message_id=1, label="Coat"))
    stored = await database.classifications_of_user(7)
    assert [record.label for record in stored] == ["Dress"]


async def test_new_fields_round_trip(database, make_record):
    record = make_record(status="unsure", colours=("navy", "white"), media_group_id="album-1")
    row_id = await database.record_classification(record)
    stored = await database.classification_by_id(row_id)
    assert stored == record
    assert stored.id == row_id
    assert stored.status == "unsure"
    assert stored.colours == ("navy", "white")
    assert stored.media_group_id == "album-1"


async def test_defaults_round_trip(database, make_record):
    row_id = await database.record_classification(make_record())
    stored = await database.classification_by_id(row_id)
    assert stored.status == "confident"
    assert stored.colours == ()
    assert stored.media_group_id is None


async def test_user_log_fills_ids(database, make_record):
    first = await database.record_classification(make_record(created_at=MOMENT))
    second = await database.record_classification(make_record(created_at=MOMENT - timedelta(hours=1)))
    stored = await database.classifications_of_user(7)
    assert [record.id for record in stored] == [second, first]


async def test_unknown_id_returns_none(database):
    assert await database.classification_by_id(12345) is None


async def test_invalid_status_is_rejected(database, make_record):
    with pytest.raises(ValueError, match="invalid status 'maybe'"):
        await database.record_classification(make_record(status="maybe"))
    assert await database.count_rows("classifications") == 0


async def test_concurrent_writes_all_stored(database, make_record):
    records = [make_record() for _ in range(20)]
    row_ids = await asyncio.gather(*(database.record_classification(record) for record in records))
    assert len(set(row_ids)) == 20
    assert await database.count_rows("classifications") == 20


async def test_retention_deletes_older_rows(database, make_record):
    cutoff = MOMENT - timedelta(days=90)
    await database.record_classification(make_record(created_at=cutoff - timedelta(seconds=1)))
    kept_at_cutoff = await database.record_classification(make_record(created_at=cutoff))
    kept_recent = await database.record_classification(make_record(created_at=MOMENT))
    deleted = await database.delete_classifications_before(cutoff)
    remaining = await database.classifications_of_user(7)
    assert deleted == 1
    assert [record.id for record in remaining] == [kept_at_cutoff, kept_recent]


async def test_retention_deletes_feedback(database, make_record):
    old = await database.record_classification(make_record(created_at=MOMENT - timedelta(days=100)))
    recent = await database.record_classification(make_record(created_at=MOMENT))
    await database.record_feedback(old, 7, "confirmed", None, None, MOMENT)
    await database.record_feedback(recent, 7, "confirmed", None, None, MOMENT)
    await database.delete_classifications_before(MOMENT - timedelta(days=90))
    feedback = await database.feedback_rows()
    assert [row.classification_id for row in feedback] == [recent]


async def test_retention_rejects_naive_cutoff(database):
    with pytest.raises(ValueError, match="cutoff must be time-zone aware"):
        await database.delete_classifications_before(datetime(2026, 1, 1))
