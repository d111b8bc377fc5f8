"""Times as stored in SQLite: ISO 8601 text in UTC with microseconds.

Every stored time has the same width and offset, so comparing the text compares the times, and
range queries can use the indexes on the time columns.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_timestamp", "parse_timestamp", "require_aware", "utc_now"]


def utc_now() -> datetime:
    """Return the current time in UTC (a function so tests can pass their own times)."""
    return datetime.now(UTC)


def require_aware(moment: datetime, name: str) -> None:
    """Raise ValueError when `moment` has no time zone, which would make its UTC value a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be time-zone aware, got naive {moment.isoformat()}")


def format_timestamp(moment: datetime) -> str:
    """Format a time as ISO 8601 in UTC, which also sorts correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime:
    """Parse a stored time back into an aware UTC datetime."""
    return datetime.fromisoformat(text)
