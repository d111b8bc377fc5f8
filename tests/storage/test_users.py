"""Users: the /language override and the weekly digest subscription."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MOMENT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
LATER = MOMENT + timedelta(days=3)


async def test_override_of_unknown_user_is_none(database):
    assert await database.language_override(7) is None


async def test_override_is_stored(database):
    await database.set_language_override(7, "it", MOMENT)
    assert await database.language_override(7) == "it"


async def test_override_creates_user(database, read_rows):
    await database.set_language_override(7, "it", MOMENT)
    rows = read_rows("SELECT id, first_seen, last_seen FROM users")
    assert len(rows) == 1
    assert rows[0][0] == 7
    assert datetime.fromisoformat(rows[0][1]) == MOMENT
    assert datetime.fromisoformat(rows[0][2]) == MOMENT


async def test_override_none_follows_telegram(database):
    await database.set_language_override(7, "it", MOMENT)
    await database.set_language_override(7, None, LATER)
    assert await database.language_override(7) is None


async def test_override_survives_record_user(database, read_rows):
    await database.record_user(7, "en", MOMENT)
    await database.set_language_override(7, "it", LATER)
    await database.record_user(7, "de", LATER)
    assert await database.language_override(7) == "it"
    assert read_rows("SELECT language FROM users WHERE id = 7") == [("de",)]


async def test_override_keeps_first_seen(database, read_rows):
    await database.record_user(7, "en", MOMENT)
    await database.set_language_override(7, "it", LATER)
    first_seen = read_rows("SELECT first_seen FROM users WHERE id = 7")[0][0]
    assert datetime.fromisoformat(first_seen) == MOMENT


async def test_subscribe_reports_change(database):
    assert await database.set_subscription(7, True, MOMENT) is True
    assert await database.set_subscription(7, True, LATER) is False
    assert await database.is_subscribed(7) is True


async def test_repeat_subscribe_keeps_first_time(database, read_rows):
    await database.set_subscription(7, True, MOMENT)
    await database.set_subscription(7, True, LATER)
    subscribed_at = read_rows("SELECT subscribed_at FROM users WHERE id = 7")[0][0]
    assert datetime.fromisoformat(subscribed_at) == MOMENT


async def test_unsubscribe_reports_change(database):
    await database.set_subscription(7, True, MOMENT)
    assert await database.set_subscription(7, False, LATER) is True
    assert await database.set_subscription(7, False, LATER) is False
    assert await database.is_subscribed(7) is False


async def test_resubscribe_records_new_time(database, read_rows):
    await database.set_subscription(7, True, MOMENT)
    await database.set_subscription(7, False, MOMENT + timedelta(days=1))
    await database.set_subscription(7, True, LATER)
    subscribed_at = read_rows("SELECT subscribed_at FROM users WHERE id = 7")[0][0]
    assert datetime.fromisoformat(subscribed_at) == LATER


async def test_unsubscribe_unknown_user_changes_nothing(database):
    assert await database.set_subscription(7, False, MOMENT) is False
    assert await database.is_subscribed(7) is False


async def test_unknown_user_is_not_subscribed(database):
    assert await database.is_subscribed(7) is False


async def test_subscribers_lists_subscribed_ids(database):
    await database.set_subscription(30, True, MOMENT)
    await database.set_subscription(10, True, MOMENT)
    await database.set_subscription(20, True, MOMENT)
    await database.set_subscription(20, False, LATER)
    await database.record_user(40, "en", MOMENT)
    assert await database.subscribers() == [10, 30]


async def test_subscription_survives_record_user(database):
    await database.set_subscription(7, True, MOMENT)
    await database.record_user(7, "en", LATER)
    assert await database.is_subscribed(7) is True
