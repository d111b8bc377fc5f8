"""Backup: an online copy that opens as a database and contains the committed rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import SCHEMA_VERSION, Database

MOMENT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


async def test_copy_opens_with_rows(database, make_record, tmp_path):
    row_id = await database.record_classification(make_record(colours=("red",)))
    await database.record_feedback(row_id, 7, "confirmed", None, bytes(784), MOMENT)
    await database.set_subscription(7, True, MOMENT)

    await database.backup_to(tmp_path / "backups" / "copy.db")

    copy = await Database.open(tmp_path / "backups" / "copy.db")
    try:
        version = await copy.schema_version()
        records = await copy.classifications_of_user(7)
        feedback = await copy.feedback_rows()
        subscribers = await copy.subscribers()
    finally:
        await copy.close()
    assert version == SCHEMA_VERSION
    assert records == await database.classifications_of_user(7)
    assert [row.model_input for row in feedback] == [bytes(784)]
    assert subscribers == [7]


async def test_copy_excludes_later_writes(database, make_record, tmp_path):
    await database.record_classification(make_record())
    await database.backup_to(tmp_path / "copy.db")
    await database.record_classification(make_record())

    copy = await Database.open(tmp_path / "copy.db")
    try:
        copied_rows = await copy.count_rows("classifications")
    finally:
        await copy.close()
    assert copied_rows == 1
    assert await database.count_rows("classifications") == 2


async def test_backup_replaces_old_copy(database, make_record, tmp_path):
    await database.backup_to(tmp_path / "copy.db")
    await database.record_classification(make_record())
    await database.backup_to(tmp_path / "copy.db")

    copy = await Database.open(tmp_path / "copy.db")
    try:
        copied_rows = await copy.count_rows("classifications")
    finally:
        await copy.close()
    assert copied_rows == 1


async def test_backup_onto_itself_is_rejected(database):
    with pytest.raises(ValueError, match="cannot back up the database onto itself"):
        await database.backup_to(database.path)
