"""Digest configuration: defaults, accepted formats, and errors that name the variable."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_digest_settings, load_settings
from insights.digest import WeeklySchedule


def test_digest_defaults():
    settings = load_settings({}).digest
    assert settings.schedule == WeeklySchedule(weekday=0, time=time(9, 0))
    assert settings.timezone == ZoneInfo("Europe/Rome")
    assert settings.staff_chat_ids == ()
    assert settings.staff_language == "it"


def test_digest_values_are_read():
    settings = load_digest_settings(
        {
            "FASHION_DIGEST_SCHEDULE": "Friday 18:30",
            "FASHION_TIMEZONE": "America/New_York",
            "FASHION_STAFF_CHAT_IDS": " 1001, -1001234567890 ,1001,",
            "FASHION_STAFF_LANGUAGE": "EN",
        }
    )
    assert settings.schedule == WeeklySchedule(weekday=4, time=time(18, 30))
    assert settings.timezone == ZoneInfo("America/New_York")
    assert settings.staff_chat_ids == (1001, -1001234567890)
    assert settings.staff_language == "en"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FASHION_DIGEST_SCHEDULE", "monday", "FASHION_DIGEST_SCHEDULE is invalid: expected a weekday"),
        ("FASHION_DIGEST_SCHEDULE", "mon 25:00", "FASHION_DIGEST_SCHEDULE is invalid: invalid time"),
        ("FASHION_TIMEZONE", "Europe/Atlantis", "FASHION_TIMEZONE: unknown time zone 'Europe/Atlantis'"),
        ("FASHION_TIMEZONE", "/etc/localtime", "FASHION_TIMEZONE: unknown time zone"),
        ("FASHION_STAFF_CHAT_IDS", "1001,alice", "FASHION_STAFF_CHAT_IDS .* got 'alice'"),
        ("FASHION_STAFF_CHAT_IDS", "0", "FASHION_STAFF_CHAT_IDS .* got '0'"),
        (
            "FASHION_STAFF_CHAT_IDS",
            "1001, 99999999999999999999999",
            "FASHION_STAFF_CHAT_IDS .* got '99999999999999999999999'",
        ),
        ("FASHION_STAFF_LANGUAGE", "de", "FASHION_STAFF_LANGUAGE must be one of en, it, got 'de'"),
    ],
    ids=[
        "schedule-no-time",
        "schedule-bad-hour",
        "unknown-zone",
        "absolute-path",
        "not-a-number",
        "zero",
        "too-large",
        "de",
    ],
)
def test_bad_digest_value_names_variable(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({name: value})
