"""One customer's style profile, computed from their rows in the classification log.

Only classifications with status 'confident' count as garments. Unsure classifications and photos
that showed no known garment are counted separately, in `uncertain_total`. A customer's correction
with the buttons wins over the bot's answer: the photo counts as the category the customer chose,
and a photo corrected to "Other garment" counts as having no category.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from classifier.labels import FASHION_MNIST_CLASSES
from storage.records import CONFIDENT
from storage.timestamps import format_timestamp, parse_timestamp, require_aware

__all__ = ["PeriodStyle", "StyleSummary", "load_period_style", "load_style_summary"]

# A customer's rows with their corrections, oldest first. Each method adds its own bounds.
_ROWS_WITH_CORRECTIONS = """
    SELECT c.label, c.status, c.colours, c.created_at, f.corrected_label_id
    FROM classifications AS c
    LEFT JOIN feedback AS f ON f.classification_id = c.id AND f.verdict = 'corrected'
    WHERE c.user_id = ? {bounds}
    ORDER BY c.created_at, c.id
"""


@dataclass(frozen=True)
class StyleSummary:
    """Counts of one customer's garments, all time and over the last `days` days."""

    days: int
    # Garments of all time and of the last `days` days.
    total: int
    recent_total: int
    # Photos without a category, of all time: unsure, unknown garments, corrected to "Other garment".
    uncertain_total: int
    # (label, count) pairs, highest count first, then by label.
    by_label_total: tuple[tuple[str, int], ...]
    by_label_recent: tuple[tuple[str, int], ...]
    # The most frequent label of all time. Among equal counts, the label photographed last wins.
    favourite: str | None
    # (colour, number of recent garments showing it) pairs, highest count first, then by colour.
    colours_recent: tuple[tuple[str, int], ...]
    # Times of the customer's first and last garment, None when there is none.
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class PeriodStyle:
    """One customer's garments in a period, and their usual style from the garments before it."""

    # (label, count) pairs of the period's garments, highest count first, then by label.
    by_label: tuple[tuple[str, int], ...]
    # (colour, number of the period's garments showing it) pairs, highest count first, then by colour.
    colours: tuple[tuple[str, int], ...]
    # The period's most frequent label. Among equal counts, the label photographed last wins.
    favourite: str | None
    # Photos without a category in the period, counted as in `StyleSummary.uncertain_total`.
    uncertain: int
    # The same for every garment before the period starts.
    usual_by_label: tuple[tuple[str, int], ...]
    usual_favourite: str | None

    @property
    def garments(self) -> int:
        """Number of garments in the period."""
        return sum(count for _, count in self.by_label)

    @property
    def usual_garments(self) -> int:
        """Number of garments before the period."""
        return sum(count for _, count in self.usual_by_label)


async def load_style_summary(
    connection: aiosqlite.Connection, user_id: int, now: datetime, days: int
) -> StyleSummary:
    """Read a customer's classifications and summarise them.

    Recent means created at or after `now - days`. Raises ValueError when `now` is naive or
    `days` is not positive.
    """
    require_aware(now, "now")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    recent_from = format_timestamp(now - timedelta(days=days))

    async with connection.execute(_ROWS_WITH_CORRECTIONS.format(bounds=""), (user_id,)) as cursor:
        rows = await cursor.fetchall()

    labels_total: Counter[str] = Counter()
    labels_recent: Counter[str] = Counter()
    colours_recent: Counter[str] = Counter()
    last_time_of_label: dict[str, str] = {}
    garment_times: list[str] = []
    uncertain_total = 0
    for label, status, colours, created_at, corrected_label_id in rows:
        label = _garment_label(label, status, corrected_label_id)
        if label is None:
            uncertain_total += 1
            continue
        labels_total[label] += 1
        last_time_of_label[label] = created_at
        garment_times.append(created_at)
        if created_at >= recent_from:
            labels_recent[label] += 1
            # A colour counts once per garment even if the list repeats it.
            colours_recent.update(set(json.loads(colours)))

    return StyleSummary(
        days=days,
        total=labels_total.total(),
        recent_total=labels_recent.total(),
        uncertain_total=uncertain_total,
        by_label_total=_by_count(labels_total),
        by_label_recent=_by_count(labels_recent),
        favourite=_favourite(labels_total, last_time_of_label),
        colours_recent=_by_count(colours_recent),
        first_at=parse_timestamp(garment_times[0]) if garment_times else None,
        last_at=parse_timestamp(garment_times[-1]) if garment_times else None,
    )


def _garment_label(label: str, status: str, corrected_label_id: int | None) -> str | None:
    """Return the category a photo counts as in the customer's style, or None when it counts as none.

    The customer's correction wins. Otherwise only a confident answer has a category.
    """
    if corrected_label_id is not None:
        if corrected_label_id < len(FASHION_MNIST_CLASSES):
            return FASHION_MNIST_CLASSES[corrected_label_id]
        return None
    return label if status == CONFIDENT else None


def _by_count(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _favourite(counts: Counter[str], last_time_of_label: dict[str, str]) -> str | None:
    if not counts:
        return None
    return max(counts, key=lambda label: (counts[label], last_time_of_label[label]))


async def load_period_style(
    connection: aiosqlite.Connection, user_id: int, start: datetime, end: datetime
) -> PeriodStyle:
    """Summarise a customer's classifications from `start` (included) to `end` (excluded).

    The usual style covers every classification the customer has before `start`. Raises
    ValueError when a bound is naive or `end` is before `start`.
    """
    require_aware(start, "start")
    require_aware(end, "end")
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) must not be before start ({start.isoformat()})")
    start_text = format_timestamp(start)

    query = _ROWS_WITH_CORRECTIONS.format(bounds="AND c.created_at < ?")
    async with connection.execute(query, (user_id, format_timestamp(end))) as cursor:
        rows = await cursor.fetchall()

    labels: Counter[str] = Counter()
    colours: Counter[str] = Counter()
    last_time_of_label: dict[str, str] = {}
    usual_labels: Counter[str] = Counter()
    usual_last_time_of_label: dict[str, str] = {}
    uncertain = 0
    for label, status, colour_list, created_at, corrected_label_id in rows:
        in_period = created_at >= start_text
        label = _garment_label(label, status, corrected_label_id)
        if label is None:
            uncertain += in_period
            continue
        if in_period:
            labels[label] += 1
            last_time_of_label[label] = created_at
            colours.update(set(json.loads(colour_list)))
        else:
            usual_labels[label] += 1
            usual_last_time_of_label[label] = created_at

    return PeriodStyle(
        by_label=_by_count(labels),
        colours=_by_count(colours),
        favourite=_favourite(labels, last_time_of_label),
        uncertain=uncertain,
        usual_by_label=_by_count(usual_labels),
        usual_favourite=_favourite(usual_labels, usual_last_time_of_label),
    )
