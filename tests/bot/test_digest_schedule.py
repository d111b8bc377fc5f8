"""The weekly digest job as the application builds it: PTB's day numbering, local time across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_application
from bot.config import DigestSettings, Settings
from bot.digest import CATCH_UP_JOB_NAME, DIGEST_JOB_NAME, ptb_weekday
from insights.digest import parse_schedule

TOKEN = "123456:TEST-token-for-the-emulator"
ROME = ZoneInfo("Europe/Rome")


def _weekly_trigger(digest: DigestSettings):
    """Return the APScheduler trigger of the weekly job in a freshly built application."""
    application = build_application(Settings(token=TOKEN, digest=digest))
    (job,) = application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME)
    return job.job.trigger


def _next_run(digest: DigestSettings, after: datetime) -> datetime:
    return _weekly_trigger(digest).get_next_fire_time(None, after).astimezone(UTC)


@pytest.mark.parametrize(
    ("weekday", "expected"),
    [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 0)],
    ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
)
def test_ptb_weekday_counts_from_sunday(weekday, expected):
    assert ptb_weekday(weekday) == expected


@pytest.mark.parametrize("day", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_job_runs_on_configured_weekday(day):
    schedule = parse_schedule(f"{day} 09:00")
    # Thursday 3 December 2026, 12:00 UTC: the next run is within the following 7 days.
    next_run = _next_run(DigestSettings(schedule=schedule), datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    assert next_run.astimezone(ROME).weekday() == schedule.weekday
    assert next_run.astimezone(ROME).strftime("%H:%M") == "09:00"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Winter time, UTC+1: 09:00 in Rome is 08:00 UTC.
        (datetime(2026, 1, 7, 0, 0, tzinfo=UTC), datetime(2026, 1, 12, 8, 0, tzinfo=UTC)),
        # Summer time, UTC+2: 09:00 in Rome is 07:00 UTC.
        (datetime(2026, 7, 8, 0, 0, tzinfo=UTC), datetime(2026, 7, 13, 7, 0, tzinfo=UTC)),
        # The Monday right after the clocks go forward (Sunday 29 March 2026).
        (datetime(2026, 3, 28, 0, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        # The Monday right after the clocks go back (Sunday 25 October 2026).
        (datetime(2026, 10, 24, 0, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
    ],
    ids=["winter", "summer", "after-spring-forward", "after-fall-back"],
)
def test_default_job_runs_nine_rome_time(after, expected):
    assert _next_run(DigestSettings(), after) == expected


def test_job_follows_configured_zone():
    digest = DigestSettings(schedule=parse_schedule("fri 18:30"), timezone=ZoneInfo("America/New_York"))
    # Friday 18:30 in New York is 23:30 UTC in winter (UTC-5).
    assert _next_run(digest, datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2026, 12, 4, 23, 30, tzinfo=UTC)


def test_late_runs_are_not_dropped():
    application = build_application(Settings(token=TOKEN))
    (weekly,) = application.job_queue.get_jobs_by_name(DIGEST_JOB_NAME)
    (catch_up,) = application.job_queue.get_jobs_by_name(CATCH_UP_JOB_NAME)

    # APScheduler's default grace is 1 s: a job due while the bot starts would be skipped.
    assert weekly.job.misfire_grace_time is None
    assert weekly.job.coalesce
    assert catch_up.job.misfire_grace_time is None
