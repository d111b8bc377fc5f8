"""Style summary: one customer's garments, all time and recent, from confident classifications only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
async def history(database, make_record):
    """Store five garments and two uncertain classifications for user 7, and one garment for user 8."""
    rows = [
        ("Coat", NOW - timedelta(days=40), ("black",), "confident"),
        ("Coat", NOW - timedelta(days=35), ("black",), "confident"),
        ("Dress", NOW - timedelta(days=2), ("red", "white"), "confident"),
        ("Dress", NOW - timedelta(days=1), ("red", "red"), "confident"),
        ("Sneaker", NOW - timedelta(hours=1), ("white",), "confident"),
        ("Shirt", NOW - timedelta(minutes=30), ("green",), "unsure"),
        ("Bag", NOW - timedelta(minutes=10), ("green",), "unknown_garment"),
    ]
    for label, created_at, colours, status in rows:
        await database.record_classification(
            make_record(label=label, created_at=created_at, colours=colours, status=status)
        )
    await database.record_classification(make_record(user_id=8, label="Bag", created_at=NOW))
    return database


async def test_totals(history):
    summary = await history.style_summary(7, NOW)
    assert summary.days == 30
    assert summary.total == 5
    assert summary.recent_total == 3
    assert summary.uncertain_total == 2


async def test_labels_by_count_then_name(history):
    summary = await history.style_summary(7, NOW)
    assert summary.by_label_total == (("Coat", 2), ("Dress", 2), ("Sneaker", 1))
    assert summary.by_label_recent == (("Dress", 2), ("Sneaker", 1))


async def test_favourite_tie_goes_to_latest(history):
    summary = await history.style_summary(7, NOW)
    assert summary.favourite == "Dress"


async def test_colours_count_once_per_garment(history):
    summary = await history.style_summary(7, NOW)
    assert summary.colours_recent == (("red", 2), ("white", 2))


async def test_first_and_last_garment_times(history):
    summary = await history.style_summary(7, NOW)
    assert summary.first_at == NOW - timedelta(days=40)
    assert summary.last_at == NOW - timedelta(hours=1)


async def test_longer_window_counts_more(history):
    summary = await history.style_summary(7, NOW, days=60)
    assert summary.recent_total == 5
    assert summary.by_label_recent == (("Coat", 2), ("Dress", 2), ("Sneaker", 1))
    assert summary.colours_recent == (("black", 2), ("red", 2), ("white", 2))


async def test_window_start_is_included(database, make_record):
    await database.record_classification(make_record(created_at=NOW - timedelta(days=30)))
    await database.record_classification(make_record(created_at=NOW - timedelta(days=30, microseconds=1)))
    summary = await database.style_summary(7, NOW)
    assert summary.total == 2
    assert summary.recent_total == 1


async def test_unknown_user_is_empty(history):
    summary = await history.style_summary(99, NOW)
    assert summary.total == 0
    assert summary.recent_total == 0
    assert summary.uncertain_total == 0
    assert summary.by_label_total == ()
    assert summary.favourite is None
    assert summary.colours_recent == ()
    assert summary.first_at is None
    assert summary.last_at is None


async def test_only_uncertain_has_no_favourite(database, make_record):
    await database.record_classification(make_record(status="unsure", created_at=NOW))
    summary = await database.style_summary(7, NOW)
    assert summary.total == 0
    assert summary.uncertain_total == 1
    assert summary.favourite is None
    assert summary.last_at is None


async def test_naive_now_is_rejected(database):
    with pytest.raises(ValueError, match="now must be time-zone aware"):
        await database.style_summary(7, datetime(2026, 12, 4))


async def test_empty_window_is_rejected(database):
    with pytest.raises(ValueError, match="days must be at least 1, got 0"):
        await database.style_summary(7, NOW, days=0)
