"""Trend summary: one week against the week before, in aggregates without user ids."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

WEEK_START = datetime(2026, 11, 30, tzinfo=UTC)
THIS_WEEK = WEEK_START + timedelta(days=2)
LAST_WEEK = WEEK_START - timedelta(days=3)
CUSTOMERS = (900_001, 900_002, 900_003, 900_004)


@pytest.fixture
async def two_weeks(database, make_record):
    """Store two weeks of classifications, customers and feedback, plus rows just outside both weeks."""
    first, second, third, fourth = CUSTOMERS
    this_week = [
        ("Dress", first, "confident", 0.9, WEEK_START),
        ("Dress", second, "confident", 0.8, THIS_WEEK),
        ("Dress", third, "confident", 0.7, THIS_WEEK),
        ("Coat", first, "confident", 0.6, THIS_WEEK),
        ("Shirt", first, "confident", 0.5, THIS_WEEK),
        ("Sneaker", fourth, "unsure", 0.4, THIS_WEEK),
    ]
    last_week = [
        ("Dress", first, "confident", 0.9, WEEK_START - timedelta(days=7)),
        ("Coat", first, "confident", 0.9, LAST_WEEK),
        ("Coat", second, "confident", 0.9, LAST_WEEK),
        ("Coat", second, "confident", 0.9, LAST_WEEK),
        ("Bag", second, "confident", 0.9, LAST_WEEK),
        ("Bag", second, "confident", 0.9, LAST_WEEK),
    ]
    outside = [
        ("Dress", first, "confident", 0.1, WEEK_START + timedelta(days=7)),
        ("Dress", first, "confident", 0.1, WEEK_START - timedelta(days=7, microseconds=1)),
    ]
    row_ids = []
    for label, user_id, status, confidence, created_at in this_week + last_week + outside:
        row_ids.append(
            await database.record_classification(
                make_record(
                    label=label, user_id=user_id, status=status, confidence=confidence, created_at=created_at
                )
            )
        )

    await database.record_user(first, "en", LAST_WEEK)
    await database.record_user(second, "en", LAST_WEEK)
    await database.record_user(third, "en", WEEK_START)
    await database.record_user(fourth, "en", THIS_WEEK)

    await database.record_feedback(row_ids[0], first, "confirmed", None, None, THIS_WEEK)
    await database.record_feedback(row_ids[1], second, "confirmed", None, None, THIS_WEEK)
    await database.record_feedback(row_ids[3], first, "corrected", 2, None, THIS_WEEK)
    await database.record_feedback(row_ids[6], first, "corrected", 2, None, LAST_WEEK)
    return database


async def test_label_counts_per_week(two_weeks):
    summary = await two_weeks.trend_summary(WEEK_START)
    assert summary.week_start == WEEK_START
    assert summary.this_week == (("Dress", 3), ("Coat", 1), ("Shirt", 1))
    assert summary.last_week == (("Coat", 3), ("Bag", 2), ("Dress", 1))


async def test_rows_compare_weeks(two_weeks):
    summary = await two_weeks.trend_summary(WEEK_START)
    rows = {row.label: row for row in summary.rows}
    assert [row.label for row in summary.rows] == ["Dress", "Coat", "Shirt", "Bag"]
    assert (rows["Dress"].this_week, rows["Dress"].last_week, rows["Dress"].change) == (3, 1, 2)
    assert rows["Dress"].change_ratio == pytest.approx(2.0)
    assert rows["Coat"].change == -2
    assert rows["Coat"].change_ratio == pytest.approx(-2 / 3)
    assert rows["Bag"].change_ratio == pytest.approx(-1.0)
    assert rows["Shirt"].change == 1
    assert rows["Shirt"].change_ratio is None


async def test_rising_and_falling(two_weeks):
    summary = await two_weeks.trend_summary(WEEK_START)
    assert summary.rising == "Dress"
    # Coat and Bag both fell by 2, and Coat had the bigger previous week.
    assert summary.falling == "Coat"


async def test_activity_counts(two_weeks):
    summary = await two_weeks.trend_summary(WEEK_START)
    assert summary.photos_this_week == 6
    assert summary.active_customers == 4
    assert summary.new_customers == 2
    assert summary.average_confidence == pytest.approx((0.9 + 0.8 + 0.7 + 0.6 + 0.5 + 0.4) / 6)


async def test_staff_are_left_out(two_weeks):
    # The second and third users are staff members trying the bot.
    staff = (CUSTOMERS[1], CUSTOMERS[2], 777)

    summary = await two_weeks.trend_summary(WEEK_START, staff_user_ids=staff)

    assert summary.this_week == (("Coat", 1), ("Dress", 1), ("Shirt", 1))
    assert summary.last_week == (("Coat", 1), ("Dress", 1))
    assert summary.photos_this_week == 4
    assert summary.active_customers == 2
    # The third user's first visit is this week, but staff are not new customers.
    assert summary.new_customers == 1
    assert summary.average_confidence == pytest.approx((0.9 + 0.6 + 0.5 + 0.4) / 4)
    assert (summary.feedback_confirmed, summary.feedback_corrected) == (1, 1)


async def test_feedback_counts(two_weeks):
    summary = await two_weeks.trend_summary(WEEK_START)
    assert summary.feedback_confirmed == 2
    assert summary.feedback_corrected == 1


async def test_result_has_no_user_ids(two_weeks):
    summary = await two_weeks.trend_summary(WEEK_START)
    values = repr(dataclasses.asdict(summary))
    for user_id in CUSTOMERS:
        assert str(user_id) not in values


async def test_empty_week(database):
    summary = await database.trend_summary(WEEK_START)
    assert summary.this_week == ()
    assert summary.last_week == ()
    assert summary.rows == ()
    assert summary.rising is None
    assert summary.falling is None
    assert summary.photos_this_week == 0
    assert summary.active_customers == 0
    assert summary.new_customers == 0
    assert summary.average_confidence is None
    assert summary.feedback_confirmed == 0
    assert summary.feedback_corrected == 0


async def test_steady_week_has_no_movers(database, make_record):
    await database.record_classification(make_record(label="Coat", created_at=THIS_WEEK))
    await database.record_classification(make_record(label="Coat", created_at=LAST_WEEK))
    summary = await database.trend_summary(WEEK_START)
    assert summary.rows[0].change == 0
    assert summary.rising is None
    assert summary.falling is None


async def test_naive_week_start_is_rejected(database):
    with pytest.raises(ValueError, match="week_start must be time-zone aware"):
        await database.trend_summary(datetime(2026, 11, 30))
