"""Weekly digests without Telegram: the weeks they cover, their text and the staff chart.

A digest period is an ISO week in the shop's time zone, from Monday 00:00 to the next Monday
00:00 local time, labelled like "2026-W49". A week that contains a daylight-saving change
therefore lasts 167 or 169 hours, and the bounds reach SQLite converted to UTC. The scheduled
digest covers the last full week before the run, and a staff member's /digest covers the
current week so far, compared with the same part of the week before.

The figures come from `storage` (`Database.trend_summary` and `Database.period_style`). The texts
are Telegram HTML built from the messages in `bot.i18n`, which imports nothing from `telegram`.
`plain_text` turns them into plain text for the command line. Charts are drawn by
`insights.charts`.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.i18n import Html, class_label, colour_name, date_range, translate
from insights.charts import MAX_ROWS, comparison_chart
from storage import Database, PeriodStyle, TrendSummary

__all__ = [
    "DEFAULT_SCHEDULE",
    "CustomerDigest",
    "DigestPeriod",
    "StaffDigest",
    "WeekLabelError",
    "WeeklySchedule",
    "build_customer_digest",
    "build_staff_digest",
    "due_week",
    "latest_run",
    "parse_schedule",
    "parse_week_label",
    "plain_text",
    "render_customer_digest",
    "render_staff_digest",
    "requested_week",
    "week_before",
    "week_from_label",
    "week_of",
    "week_so_far",
]

WEEK = timedelta(days=7)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SCHEDULE_PATTERN = re.compile(r"^\s*([a-z]+)\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
# Years a week label may name. A week of year 1 or 9999 would reach outside Python's dates when the
# week before or after it is computed, and the bot has no digests from before 2000.
MIN_WEEK_YEAR = 2000
MAX_WEEK_YEAR = 9998
_WEEK_LABEL_PATTERN = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_TAG_PATTERN = re.compile(r"</?[a-zA-Z][^>]*>")
# Colours named in a customer's summary, the most frequent first.
MAX_COLOURS = 3


# --- Schedule -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySchedule:
    """A weekday and a local time of day at which the weekly digest is sent."""

    # 0 is Monday and 6 is Sunday, as `date.weekday()` counts.
    weekday: int
    # Wall-clock time in the digest time zone, without tzinfo.
    time: time

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.time:%H:%M}"


DEFAULT_SCHEDULE = WeeklySchedule(weekday=0, time=time(9, 0))


def parse_schedule(text: str) -> WeeklySchedule:
    """Parse a weekday and a 24-hour time, such as "mon 09:00" or "Friday 18:30".

    The weekday is an English name or its first three letters, in any letter case. Raises
    ValueError for anything else.
    """
    match = _SCHEDULE_PATTERN.match(text)
    if match is None:
        raise ValueError(f"expected a weekday and a 24-hour time such as 'mon 09:00', got {text!r}")
    day, hour, minute = match.group(1).lower(), int(match.group(2)), int(match.group(3))
    if day in WEEKDAY_NAMES:
        weekday = WEEKDAY_NAMES.index(day)
    elif day in _FULL_WEEKDAY_NAMES:
        weekday = _FULL_WEEKDAY_NAMES.index(day)
    else:
        raise ValueError(f"unknown weekday {match.group(1)!r}. Use one of {', '.join(WEEKDAY_NAMES)}")
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid time {match.group(2)}:{match.group(3)}. Use 00:00 to 23:59")
    return WeeklySchedule(weekday=weekday, time=time(hour, minute))


def latest_run(schedule: WeeklySchedule, now: datetime, zone: tzinfo) -> datetime:
    """Return the latest scheduled time at or before `now`, as an aware datetime in `zone`."""
    local_now = now.astimezone(zone)
    days_back = (local_now.weekday() - schedule.weekday) % 7
    run_day = local_now.date() - timedelta(days=days_back)
    run = datetime.combine(run_day, schedule.time, tzinfo=zone)
    if run > now:
        run = datetime.combine(run_day - WEEK, schedule.time, tzinfo=zone)
    return run


# --- Periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestPeriod:
    """One ISO week in the digest time zone, or its part so far, and the span it is compared with.

    The bounds are aware datetimes in the digest time zone. Each span includes its start and
    excludes its end. The previous span is the same local days and times one week earlier.
    """

    # ISO week, such as "2026-W49".
    label: str
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    # False for a week so far.
    complete: bool

    @property
    def previous_label(self) -> str:
        """ISO week label of the previous span."""
        return _week_label(self.previous_start)

    @property
    def first_day(self) -> date:
        """The period's first local day, a Monday."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The period's last local day: a Sunday, or today for a week so far."""
        return max(self.start, self.end - timedelta(microseconds=1)).date()

    def utc_bounds(self) -> tuple[datetime, datetime, datetime, datetime]:
        """Return previous start, previous end, start and end, converted to UTC for queries."""
        return (
            self.previous_start.astimezone(UTC),
            self.previous_end.astimezone(UTC),
            self.start.astimezone(UTC),
            self.end.astimezone(UTC),
        )


def _week_label(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _monday_start(monday: date, zone: tzinfo) -> datetime:
    # Subtracting a timedelta from an aware datetime moves the wall clock and keeps its tzinfo,
    # so one week before Monday 00:00 is the previous Monday 00:00 whatever the DST offsets.
    return datetime.combine(monday, time(0), tzinfo=zone)


def week_of(monday: date, zone: tzinfo) -> DigestPeriod:
    """Return the full ISO week that starts on `monday`. Raises ValueError for another weekday."""
    if monday.weekday() != 0:
        raise ValueError(f"an ISO week starts on a Monday, got {monday.isoformat()} ({monday:%A})")
    start = _monday_start(monday, zone)
    end = _monday_start(monday + WEEK, zone)
    return DigestPeriod(
        label=_week_label(start),
        start=start,
        end=end,
        previous_start=_monday_start(monday - WEEK, zone),
        previous_end=start,
        complete=True,
    )


def week_before(moment: datetime, zone: tzinfo) -> DigestPeriod:
    """Return the last full ISO week before the week that contains `moment` in `zone`."""
    local_day = moment.astimezone(zone).date()
    this_monday = local_day - timedelta(days=local_day.weekday())
    return week_of(this_monday - WEEK, zone)


def week_so_far(now: datetime, zone: tzinfo) -> DigestPeriod:
    """Return the ISO week containing `now`, up to `now`, compared with the same span a week before."""
    local_now = now.astimezone(zone)
    local_day = local_now.date()
    start = _monday_start(local_day - timedelta(days=local_day.weekday()), zone)
    return DigestPeriod(
        label=_week_label(start),
        start=start,
        end=local_now,
        previous_start=start - WEEK,
        previous_end=local_now - WEEK,
        complete=False,
    )


def due_week(schedule: WeeklySchedule, now: datetime, zone: tzinfo) -> DigestPeriod:
    """Return the week that the latest scheduled run at or before `now` covers."""
    return week_before(latest_run(schedule, now, zone), zone)


class WeekLabelError(ValueError):
    """A week label that names no week, or names a week that has not started.

    `kind` names the case, so that the bot can word it in the user's language. The cases:
    "format" (text that is not a week label), "year" (a year out of range), "missing" (a week
    number the year does not have) and "future" (a week that has not started).
    """

    def __init__(self, kind: str, label: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.label = label


def parse_week_label(label: str) -> date:
    """Return the Monday of an ISO week label such as "2026-W49" (or "2026-w49").

    Raises WeekLabelError when the label is not a week label or the year has no such week.
    """
    text = label.strip()
    match = _WEEK_LABEL_PATTERN.match(text)
    if match is None:
        raise WeekLabelError("format", text, f"expected an ISO week such as 2026-W49, got {label!r}")
    year, week = int(match.group(1)), int(match.group(2))
    if not MIN_WEEK_YEAR <= year <= MAX_WEEK_YEAR:
        raise WeekLabelError(
            "year", f"{year:04d}", f"the year must be from {MIN_WEEK_YEAR} to {MAX_WEEK_YEAR}, got {year:04d}"
        )
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise WeekLabelError("missing", f"{year}-W{week:02d}", f"{year} has no ISO week {week}") from None


def week_from_label(label: str, zone: tzinfo) -> DigestPeriod:
    """Return the full ISO week named by a label such as "2026-W49". Raises ValueError when invalid."""
    return week_of(parse_week_label(label), zone)


def requested_week(label: str, now: datetime, zone: tzinfo) -> DigestPeriod:
    """Return the week named by a label such as "2026-W49", as far as it has gone at `now`.

    A past week is returned whole, and the current week up to `now`, as `week_so_far` does.
    Raises WeekLabelError for an invalid label and for a week that has not started.
    """
    period = week_from_label(label, zone)
    if period.start > now:
        raise WeekLabelError("future", period.label, f"week {period.label} has not started yet")
    if period.end > now:
        return week_so_far(now, zone)
    return period


# --- Staff digest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffDigest:
    """The shop-wide digest of one period, in one language, with its chart."""

    period: DigestPeriod
    language: str
    trends: TrendSummary
    # Telegram HTML.
    text: Html
    # PNG of this week's and the previous span's garments per category.
    chart: bytes


async def build_staff_digest(
    database: Database, period: DigestPeriod, language: str, staff_user_ids: Collection[int] = ()
) -> StaffDigest:
    """Read the period's aggregates, write the staff digest and draw its chart on a worker thread.

    The photos and feedback of the users in `staff_user_ids` are left out.
    """
    previous_start, previous_end, start, end = period.utc_bounds()
    trends = await database.trend_summary(
        start,
        week_end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        staff_user_ids=staff_user_ids,
    )
    text = render_staff_digest(period, trends, language)
    chart = await asyncio.to_thread(draw_staff_chart, period, trends, language)
    return StaffDigest(period=period, language=language, trends=trends, text=text, chart=chart)


def render_staff_digest(period: DigestPeriod, trends: TrendSummary, language: str) -> Html:
    """Write the staff digest: dates, photos, customers, categories with their change, feedback."""
    title_key = "staff_digest_title" if period.complete else "staff_digest_title_so_far"
    compared_key = "staff_digest_compared" if period.complete else "staff_digest_compared_so_far"
    photos = trends.photos_this_week
    # Unsure classifications have no category, so they are counted in the photos only.
    unsure = photos - sum(count for _, count in trends.this_week)
    categories = [
        _category_line(row.label, row.this_week, row.change, row.change_ratio, language)
        for row in trends.rows
    ]

    return translate(
        "staff_digest",
        language,
        title=translate(title_key, language, week=period.label),
        dates=_dates(period, language),
        photos=photos,
        unsure=translate("staff_digest_unsure", language, count=unsure) if unsure else "",
        active=trends.active_customers,
        new=trends.new_customers,
        confidence=_percent(trends.average_confidence),
        feedback=_feedback(trends, language),
        compared=translate(compared_key, language, week=period.previous_label),
        categories="\n".join(categories)
        if categories
        else translate("staff_digest_no_garments", language, week=period.label),
        movers=_movers(trends, language),
    )


def draw_staff_chart(period: DigestPeriod, trends: TrendSummary, language: str) -> bytes:
    """Draw this period's and the previous span's garments per category as a PNG."""
    if period.complete:
        current_label, previous_label = period.label, period.previous_label
    else:
        current_label = plain_text(translate("staff_chart_so_far", language, week=period.label))
        previous_label = plain_text(translate("staff_chart_same_days", language, week=period.previous_label))
    rows = [(class_label(row.label, language), row.this_week, row.last_week) for row in trends.rows]
    return comparison_chart(
        plain_text(translate("staff_chart_title", language, week=period.label)),
        rows[:MAX_ROWS],
        current_label=current_label,
        previous_label=previous_label,
        empty_text=plain_text(translate("staff_chart_empty", language)),
    )


def _category_line(label: str, count: int, change: int, change_ratio: float | None, language: str) -> str:
    """Return "Dress: 12 (+3, +33%)", leaving the percentage out when the previous count was 0."""
    name = class_label(label, language)
    if change_ratio is None:
        return f"{name}: {count} ({change:+d})"
    return f"{name}: {count} ({change:+d}, {change_ratio:+.0%})"


def _feedback(trends: TrendSummary, language: str) -> Html:
    """Return the line on confirmed and corrected classifications, with their share of the week's photos."""
    photos = trends.photos_this_week
    if not photos:
        return translate("staff_digest_no_feedback", language)
    return translate(
        "staff_digest_feedback",
        language,
        confirmed=trends.feedback_confirmed,
        confirmed_share=_percent(trends.feedback_confirmed / photos),
        corrected=trends.feedback_corrected,
        corrected_share=_percent(trends.feedback_corrected / photos),
    )


def _movers(trends: TrendSummary, language: str) -> Html:
    lines = []
    if trends.rising:
        lines.append(translate("staff_digest_rising", language, label=class_label(trends.rising, language)))
    if trends.falling:
        lines.append(translate("staff_digest_falling", language, label=class_label(trends.falling, language)))
    if not lines:
        return translate("staff_digest_steady", language)
    return Html("\n".join(lines))


# --- Customer summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerDigest:
    """One customer's weekly style summary, in their language."""

    period: DigestPeriod
    language: str
    style: PeriodStyle
    # Telegram HTML.
    text: Html


async def build_customer_digest(
    database: Database, user_id: int, period: DigestPeriod, language: str
) -> CustomerDigest:
    """Read a customer's garments of the period and before it, and write their summary."""
    _, _, start, end = period.utc_bounds()
    style = await database.period_style(user_id, start, end)
    return CustomerDigest(
        period=period, language=language, style=style, text=render_customer_digest(period, style, language)
    )


def render_customer_digest(period: DigestPeriod, style: PeriodStyle, language: str) -> Html:
    """Write a customer's summary: the week's categories and colours against their usual style."""
    if style.garments:
        breakdown = ", ".join(f"{class_label(label, language)} {count}" for label, count in style.by_label)
        garments = translate("customer_digest_garments", language, count=style.garments, breakdown=breakdown)
    else:
        garments = translate("customer_digest_no_garments", language)
    colours = ", ".join(colour_name(colour, language) for colour, _ in style.colours[:MAX_COLOURS])

    return translate(
        "customer_digest",
        language,
        dates=_dates(period, language),
        garments=garments,
        colours=colours or translate("no_colours", language),
        comparison=_comparison(style, language),
    )


def _comparison(style: PeriodStyle, language: str) -> Html:
    """Compare the week's favourite category with the customer's usual one."""
    if style.usual_favourite is None:
        return translate("customer_digest_first_week", language)
    usual = class_label(style.usual_favourite, language)
    if style.favourite is None:
        return translate("customer_digest_usual", language, usual=usual)
    if style.favourite == style.usual_favourite:
        return translate("customer_digest_as_usual", language, label=usual)
    return translate(
        "customer_digest_changed", language, label=class_label(style.favourite, language), usual=usual
    )


# --- Shared formatting --------------------------------------------------------------------------


def _dates(period: DigestPeriod, language: str) -> Html:
    return Html(html.escape(date_range(period.first_day, period.last_day, language), quote=False))


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def plain_text(text: str) -> str:
    """Turn Telegram HTML into plain text: drop the tags and decode the entities."""
    return html.unescape(_TAG_PATTERN.sub("", text))
