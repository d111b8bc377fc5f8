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


async def test_customer_corrections_win(database, make_record):
    """The bot's answer counts unless the customer corrected it with the buttons."""
    photos = [
        # (label, status, corrected label id): Sneaker corrected to Dress, an unsure Shirt
        # corrected to Coat, a Bag corrected to "Other garment" (id 10), a Bag confirmed.
        ("Sneaker", "confident", 3),
        ("Shirt", "unsure", 4),
        ("Bag", "confident", 10),
        ("Bag", "confident", None),
    ]
    for number, (label, status, corrected) in enumerate(photos):
        created_at = NOW - timedelta(hours=len(photos) - number)
        row_id = await database.record_classification(
            make_record(label=label, status=status, created_at=created_at)
        )
        verdict = "confirmed" if corrected is None else "corrected"
        await database.record_feedback(row_id, 7, verdict, corrected, None, created_at)

    summary = await database.style_summary(7, NOW)
    period = await database.period_style(7, NOW - timedelta(days=1), NOW)

    assert summary.by_label_total == (("Bag", 1), ("Coat", 1), ("Dress", 1))
    assert summary.uncertain_total == 1
    assert period.by_label == (("Bag", 1), ("Coat", 1), ("Dress", 1))
    assert period.uncertain == 1
