"""Digest deliveries: one row per period, kind and chat, counting attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

MOMENT = datetime(2026, 12, 7, 9, tzinfo=UTC)


async def test_unattempted_delivery_is_none(database):
    assert await database.delivery_status("2026-W49", "customer", 7) is None


async def test_delivery_status_is_stored(database):
    await database.record_delivery("2026-W49", "customer", 7, "sent", MOMENT)
    assert await database.delivery_status("2026-W49", "customer", 7) == "sent"


async def test_retry_updates_status_and_attempts(database, read_rows):
    await database.record_delivery("2026-W49", "staff", -100, "failed", MOMENT)
    await database.record_delivery("2026-W49", "staff", -100, "sent", MOMENT + timedelta(minutes=5))
    rows = read_rows("SELECT status, attempts, updated_at FROM digest_deliveries")
    assert len(rows) == 1
    assert rows[0][0] == "sent"
    assert rows[0][1] == 2
    assert datetime.fromisoformat(rows[0][2]) == MOMENT + timedelta(minutes=5)


async def test_deliveries_are_kept_apart(database):
    await database.record_delivery("2026-W49", "customer", 7, "blocked", MOMENT)
    assert await database.delivery_status("2026-W49", "staff", 7) is None
    assert await database.delivery_status("2026-W50", "customer", 7) is None
    assert await database.delivery_status("2026-W49", "customer", 8) is None


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [("group", "sent", "invalid kind 'group'"), ("staff", "queued", "invalid status 'queued'")],
    ids=["unknown-kind", "unknown-status"],
)
async def test_invalid_delivery_is_rejected(database, kind, status, message):
    with pytest.raises(ValueError, match=message):
        await database.record_delivery("2026-W49", kind, 7, status, MOMENT)
    assert await database.count_rows("digest_deliveries") == 0
