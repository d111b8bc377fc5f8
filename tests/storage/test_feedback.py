"""Feedback: one verdict per classification, checked on write, exported with its classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

MOMENT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
IMAGE = bytes(range(256)) * 3 + bytes(16)


async def test_confirmed_verdict_is_exported(database, make_record):
    row_id = await database.record_classification(make_record(label="Coat", label_id=4))
    await database.record_feedback(row_id, 7, "confirmed", None, IMAGE, MOMENT)
    [row] = await database.feedback_rows()
    assert row.classification_id == row_id
    assert row.label == "Coat"
    assert row.label_id == 4
    assert row.verdict == "confirmed"
    assert row.corrected_label_id is None
    assert row.model_input == IMAGE
    assert row.model_version == "test-model"
    assert row.created_at == MOMENT


async def test_second_press_replaces_first(database, make_record):
    row_id = await database.record_classification(make_record())
    await database.record_feedback(row_id, 7, "confirmed", None, IMAGE, MOMENT)
    await database.record_feedback(row_id, 7, "corrected", 6, None, MOMENT + timedelta(minutes=1))
    rows = await database.feedback_rows()
    assert len(rows) == 1
    assert rows[0].verdict == "corrected"
    assert rows[0].corrected_label_id == 6
    assert rows[0].model_input is None
    assert rows[0].created_at == MOMENT + timedelta(minutes=1)


async def test_rows_are_oldest_first(database, make_record):
    first = await database.record_classification(make_record())
    second = await database.record_classification(make_record())
    await database.record_feedback(second, 7, "confirmed", None, None, MOMENT)
    await database.record_feedback(first, 7, "confirmed", None, None, MOMENT + timedelta(hours=1))
    rows = await database.feedback_rows()
    assert [row.classification_id for row in rows] == [second, first]


async def test_unknown_classification_is_rejected(database):
    with pytest.raises(LookupError, match="classification 99 not found"):
        await database.record_feedback(99, 7, "confirmed", None, None, MOMENT)
    assert await database.count_rows("feedback") == 0


@pytest.mark.parametrize(
    ("verdict", "corrected_label_id", "model_input", "message"),
    [
        ("maybe", None, None, "invalid verdict 'maybe'"),
        ("corrected", None, None, "corrected_label_id must be None exactly"),
        ("confirmed", 4, None, "corrected_label_id must be None exactly"),
        ("confirmed", None, bytes(100), "model_input must have 784 bytes, got 100"),
    ],
    ids=["unknown-verdict", "correction-without-label", "confirmation-with-label", "short-image"],
)
async def test_invalid_feedback_is_rejected(
    database, make_record, verdict, corrected_label_id, model_input, message
):
    row_id = await database.record_classification(make_record())
    with pytest.raises(ValueError, match=message):
        await database.record_feedback(row_id, 7, verdict, corrected_label_id, model_input, MOMENT)
    assert await database.count_rows("feedback") == 0
