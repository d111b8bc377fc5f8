"""Queries behind the weekly digests: explicit trend spans, a customer's week, recipients, blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import DeliveryRecord, Subscriber

START = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
END = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
PREVIOUS_START = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)


# --- Trend summary with explicit spans ----------------------------------------------------------


async def test_trend_spans_are_explicit(database, make_record):
    rows = [
        ("Dress", START),
        ("Dress", END - timedelta(microseconds=1)),
        ("Coat", START - timedelta(microseconds=1)),
        ("Coat", PREVIOUS_START),
        # Outside both spans.
        ("Bag", END),
        ("Bag", PREVIOUS_START - timedelta(microseconds=1)),
    ]
    for label, created_at in rows:
        await database.record_classification(make_record(label=label, created_at=created_at))

    summary = await database.trend_summary(START, week_end=END, previous_start=PREVIOUS_START)

    assert summary.this_week == (("Dress", 2),)
    assert summary.last_week == (("Coat", 2),)
    assert summary.photos_this_week == 2


async def test_trend_gap_between_spans_is_left_out(database, make_record):
    # A week so far compares Monday to Wednesday noon with the same span a week before.
    previous_end = PREVIOUS_START + timedelta(days=2, hours=12)
    now = START + timedelta(days=2, hours=12)
    await database.record_classification(
        make_record(label="Coat", created_at=PREVIOUS_START + timedelta(days=1))
    )
    await database.record_classification(
        make_record(label="Bag", created_at=previous_end + timedelta(hours=1))
    )
    await database.record_classification(make_record(label="Dress", created_at=START + timedelta(days=1)))

    summary = await database.trend_summary(
        START, week_end=now, previous_start=PREVIOUS_START, previous_end=previous_end
    )

    assert [row.label for row in summary.rows] == ["Dress", "Coat"]
    assert summary.falling == "Coat"


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"week_end": START - timedelta(hours=1)}, "week_end .* must not be before week_start"),
        ({"previous_end": START + timedelta(hours=1)}, "week_start .* must not be before previous_end"),
        (
            {"previous_start": START - timedelta(days=1), "previous_end": START - timedelta(days=2)},
            "previous_end .* must not be before previous_start",
        ),
        ({"week_end": datetime(2026, 12, 6)}, "week_end must be time-zone aware"),
    ],
    ids=["end-before-start", "spans-overlap", "previous-reversed", "naive-end"],
)
async def test_trend_bounds_out_of_order_rejected(database, bounds, message):
    with pytest.raises(ValueError, match=message):
        await database.trend_summary(START, **bounds)


# --- A customer's week against their usual style ------------------------------------------------


async def test_period_style_splits_week_and_before(database, make_record):
    rows = [
        ("Coat", START - timedelta(days=20), ("black",), "confident"),
        ("Coat", START - timedelta(days=10), ("black",), "confident"),
        ("Bag", START - timedelta(days=5), (), "confident"),
        ("Dress", START + timedelta(days=1), ("red", "red"), "confident"),
        ("Sneaker", START + timedelta(days=2), ("white",), "confident"),
        ("Dress", START + timedelta(days=3), ("red", "white"), "confident"),
        ("Shirt", START + timedelta(days=4), ("green",), "unsure"),
        # At the end: in neither.
        ("Bag", END, ("green",), "confident"),
    ]
    for label, created_at, colours, status in rows:
        await database.record_classification(
            make_record(label=label, created_at=created_at, colours=colours, status=status)
        )
    await database.record_classification(make_record(user_id=8, label="Shirt", created_at=START))

    style = await database.period_style(7, START, END)

    assert style.by_label == (("Dress", 2), ("Sneaker", 1))
    assert style.garments == 3
    assert style.colours == (("red", 2), ("white", 2))
    assert style.favourite == "Dress"
    assert style.uncertain == 1
    assert style.usual_by_label == (("Coat", 2), ("Bag", 1))
    assert style.usual_garments == 3
    assert style.usual_favourite == "Coat"


async def test_period_style_tie_goes_to_latest(database, make_record):
    await database.record_classification(make_record(label="Dress", created_at=START + timedelta(days=1)))
    await database.record_classification(make_record(label="Coat", created_at=START + timedelta(days=2)))

    style = await database.period_style(7, START, END)

    assert style.favourite == "Coat"
    assert style.usual_favourite is None


async def test_period_style_rejects_reversed_bounds(database):
    with pytest.raises(ValueError, match="end .* must not be before start"):
        await database.period_style(7, END, START)


# --- Recipients ---------------------------------------------------------------------------------


async def test_active_subscribers_sent_photos_in_span(database, make_record):
    seen = START - timedelta(days=30)
    for user_id in (1, 2, 3, 4):
        await database.record_user(user_id, "it-IT" if user_id == 1 else "en", seen)
    for user_id in (1, 2, 4):
        await database.set_subscription(user_id, True, seen)
    await database.set_language_override(2, "it", seen)
    # 1 and 2 sent photos in the week, 3 did but is not subscribed, 4 sent one after the week.
    for user_id, created_at in [(1, START), (2, START + timedelta(days=1)), (3, START), (4, END)]:
        await database.record_classification(make_record(user_id=user_id, created_at=created_at))

    subscribers = await database.active_subscribers(START, END)

    assert subscribers == [Subscriber(1, "it-IT", None), Subscriber(2, "en", "it")]


async def test_active_subscribers_rejects_naive(database):
    with pytest.raises(ValueError, match="start must be time-zone aware"):
        await database.active_subscribers(datetime(2026, 11, 30), END)


async def test_deliveries_of_one_period_and_kind(database):
    await database.record_delivery("2026-W49", "customer", 2, "failed", END)
    await database.record_delivery("2026-W49", "customer", 2, "failed", END + timedelta(hours=1))
    await database.record_delivery("2026-W49", "customer", 1, "sent", END)
    await database.record_delivery("2026-W49", "staff", 1, "sent", END)
    await database.record_delivery("2026-W48", "customer", 3, "sent", END)

    deliveries = await database.deliveries("2026-W49", "customer")

    assert deliveries == [DeliveryRecord(1, "sent", 1), DeliveryRecord(2, "failed", 2)]


# --- Chats that blocked the bot -----------------------------------------------------------------


async def test_blocked_chat_stays_blocked(database):
    await database.record_user(5, "en", END - timedelta(days=3))
    await database.record_delivery("2026-W49", "customer", 5, "blocked", END)

    assert await database.blocked_chat_ids("customer") == {5}
    assert await database.blocked_chat_ids("staff") == set()


async def test_blocked_chat_freed_by_later_message(database):
    await database.record_user(5, "en", END - timedelta(days=3))
    await database.record_delivery("2026-W49", "customer", 5, "blocked", END)
    await database.record_user(5, "en", END + timedelta(days=1))

    assert await database.blocked_chat_ids("customer") == set()


async def test_blocked_chat_freed_by_later_delivery(database):
    await database.record_delivery("2026-W48", "customer", 5, "blocked", END - timedelta(days=7))
    await database.record_delivery("2026-W49", "customer", 5, "sent", END)

    assert await database.blocked_chat_ids("customer") == set()


async def test_blocked_chat_ids_rejects_unknown_kind(database):
    with pytest.raises(ValueError, match="invalid kind 'group'"):
        await database.blocked_chat_ids("group")
