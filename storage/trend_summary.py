"""Shop-wide trends for one week compared with the week before, for the staff digest.

The result contains aggregates only, never a user id, so it can be shown to staff as it is.
Label counts use confident classifications. Photo, customer and confidence figures use every
classification. Users passed as staff are left out of every figure: their test photos are not
customers' trends.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

import aiosqlite

from storage.timestamps import format_timestamp, require_aware

__all__ = ["TrendRow", "TrendSummary", "load_trend_summary"]

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class TrendRow:
    """One label's confident count in the week and in the week before."""

    label: str
    this_week: int
    last_week: int
    # this_week - last_week.
    change: int
    # change / last_week, None when last_week is 0.
    change_ratio: float | None


@dataclass(frozen=True)
class TrendSummary:
    """Aggregates for one week starting at `week_start`, compared with the week before it."""

    week_start: datetime
    # (label, count) pairs of confident classifications, highest count first, then by label.
    this_week: tuple[tuple[str, int], ...]
    last_week: tuple[tuple[str, int], ...]
    # Every label seen in either week, by this week's count, then last week's, then label.
    rows: tuple[TrendRow, ...]
    # The label with the largest rise or fall, None when no label rose or fell.
    rising: str | None
    falling: str | None
    photos_this_week: int
    active_customers: int
    new_customers: int
    # Mean model confidence over this week's classifications, None when there were none.
    average_confidence: float | None
    feedback_confirmed: int
    feedback_corrected: int


async def load_trend_summary(
    connection: aiosqlite.Connection,
    week_start: datetime,
    *,
    week_end: datetime | None = None,
    previous_start: datetime | None = None,
    previous_end: datetime | None = None,
    staff_user_ids: Collection[int] = (),
) -> TrendSummary:
    """Count this week's and last week's classifications, customers and feedback.

    This week runs from `week_start` to `week_end` and last week from `previous_start` to
    `previous_end`. Each span includes its start and excludes its end. By default each span is
    7 days of 24 hours and last week ends where this week starts. A calendar week in a local
    time zone passes its own bounds, because a week with a daylight-saving change is an hour
    shorter or longer. The photos, feedback and first visits of the users in `staff_user_ids`
    are left out.
    Raises ValueError when a bound is naive or the spans are out of order.
    The caller runs this inside one read transaction so that the figures agree.
    """
    require_aware(week_start, "week_start")
    week_end = week_start + WEEK if week_end is None else week_end
    previous_start = week_start - WEEK if previous_start is None else previous_start
    previous_end = week_start if previous_end is None else previous_end
    _require_ordered(
        ("previous_start", previous_start),
        ("previous_end", previous_end),
        ("week_start", week_start),
        ("week_end", week_end),
    )
    bounds = {
        "previous_start": format_timestamp(previous_start),
        "previous_end": format_timestamp(previous_end),
        "start": format_timestamp(week_start),
        "end": format_timestamp(week_end),
        "staff": json.dumps(sorted(staff_user_ids)),
    }

    # The outer range lets SQLite use the index on created_at. The OR leaves out any gap
    # between the two spans.
    async with connection.execute(
        """
        SELECT label,
               SUM(created_at >= :start AND created_at < :end),
               SUM(created_at >= :previous_start AND created_at < :previous_end)
        FROM classifications
        WHERE status = 'confident' AND created_at >= :previous_start AND created_at < :end
          AND ((created_at >= :start AND created_at < :end)
               OR (created_at >= :previous_start AND created_at < :previous_end))
          AND user_id NOT IN (SELECT value FROM json_each(:staff))
        GROUP BY label
        """,
        bounds,
    ) as cursor:
        label_counts = [(label, int(now), int(before)) for label, now, before in await cursor.fetchall()]

    async with connection.execute(
        """
        SELECT COUNT(*), COUNT(DISTINCT user_id), AVG(confidence) FROM classifications
        WHERE created_at >= :start AND created_at < :end
          AND user_id NOT IN (SELECT value FROM json_each(:staff))
        """,
        bounds,
    ) as cursor:
        photos, active_customers, average_confidence = await cursor.fetchone()

    async with connection.execute(
        """
        SELECT COUNT(*) FROM users
        WHERE first_seen >= :start AND first_seen < :end
          AND id NOT IN (SELECT value FROM json_each(:staff))
        """,
        bounds,
    ) as cursor:
        (new_customers,) = await cursor.fetchone()

    async with connection.execute(
        """
        SELECT verdict, COUNT(*) FROM feedback
        WHERE created_at >= :start AND created_at < :end
          AND user_id NOT IN (SELECT value FROM json_each(:staff))
        GROUP BY verdict
        """,
        bounds,
    ) as cursor:
        verdict_counts = dict(await cursor.fetchall())

    rows = tuple(
        sorted(
            (_trend_row(label, now, before) for label, now, before in label_counts),
            key=lambda row: (-row.this_week, -row.last_week, row.label),
        )
    )
    return TrendSummary(
        week_start=week_start,
        this_week=_by_count((row.label, row.this_week) for row in rows if row.this_week),
        last_week=_by_count((row.label, row.last_week) for row in rows if row.last_week),
        rows=rows,
        rising=_largest_change(rows, sign=1),
        falling=_largest_change(rows, sign=-1),
        photos_this_week=photos,
        active_customers=active_customers,
        new_customers=new_customers,
        average_confidence=average_confidence,
        feedback_confirmed=verdict_counts.get("confirmed", 0),
        feedback_corrected=verdict_counts.get("corrected", 0),
    )


def _require_ordered(*bounds: tuple[str, datetime]) -> None:
    """Raise ValueError unless every bound is time-zone aware and none is before the one listed before it."""
    for name, moment in bounds:
        require_aware(moment, name)
    for (earlier_name, earlier), (later_name, later) in pairwise(bounds):
        if later < earlier:
            raise ValueError(
                f"{later_name} ({later.isoformat()}) must not be before {earlier_name} ({earlier.isoformat()})"
            )


def _trend_row(label: str, this_week: int, last_week: int) -> TrendRow:
    change = this_week - last_week
    return TrendRow(
        label=label,
        this_week=this_week,
        last_week=last_week,
        change=change,
        change_ratio=change / last_week if last_week else None,
    )


def _by_count(counts: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts, key=lambda item: (-item[1], item[0])))


def _largest_change(rows: tuple[TrendRow, ...], sign: int) -> str | None:
    """Return the label whose change has `sign` and the largest size; ties go to the bigger week."""
    moved = [row for row in rows if row.change * sign > 0]
    if not moved:
        return None
    # rows is sorted by this week's count, so among equal changes max keeps the busier label.
    return max(moved, key=lambda row: row.change * sign).label
