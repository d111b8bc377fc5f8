"""The daily retention job: it deletes classifications older than FASHION_RETENTION_DAYS.

The job runs through the application's own job queue, against a bot started on the emulator.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from bot.app import RETENTION_TIME, build_application, running
from storage import ClassificationRecord, utc_now

RETENTION_DAYS = 30


def _record(message_id: int, created_at: datetime.datetime) -> ClassificationRecord:
    return ClassificationRecord(
        user_id=7,
        chat_id=7,
        message_id=message_id,
        file_unique_id=f"unique-{message_id}",
        label="Dress",
        label_id=3,
        confidence=0.9,
        top3=(("Dress", 0.9), ("Coat", 0.06), ("Shirt", 0.02)),
        model_version="test-model",
        created_at=created_at,
    )


async def test_retention_job_deletes_only_expired_rows(settings):
    application = build_application(replace(settings, retention_days=RETENTION_DAYS))
    now = utc_now()
    ages = {1: 400, 2: RETENTION_DAYS + 1, 3: RETENTION_DAYS - 1, 4: 0}

    async with running(application):
        database = application.bot_data["services"].database
        for message_id, days in ages.items():
            await database.record_classification(_record(message_id, now - datetime.timedelta(days=days)))
        (job,) = application.job_queue.get_jobs_by_name("retention")
        await job.run(application)
        remaining = await database.classifications_of_user(7)

    assert [record.message_id for record in remaining] == [3, 4]


def test_retention_job_runs_daily_at_configured_time(settings):
    application = build_application(settings)

    (job,) = application.job_queue.get_jobs_by_name("retention")
    trigger = job.job.trigger
    first = trigger.get_next_fire_time(None, datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC))
    second = trigger.get_next_fire_time(first, first + datetime.timedelta(seconds=1))

    assert first.astimezone(datetime.UTC).timetz() == RETENTION_TIME
    assert second - first == datetime.timedelta(days=1)
