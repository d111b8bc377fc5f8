"""Weekly digests without Telegram: schedule parsing, local ISO weeks across DST, and the texts."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from insights.digest import (
    DEFAULT_SCHEDULE,
    WeekLabelError,
    WeeklySchedule,
    build_customer_digest,
    build_staff_digest,
    due_week,
    latest_run,
    parse_schedule,
    parse_week_label,
    plain_text,
    render_customer_digest,
    render_staff_digest,
    requested_week,
    week_before,
    week_from_label,
    week_of,
    week_so_far,
)
from storage import ClassificationRecord, Database, PeriodStyle, TrendRow, TrendSummary

ROME = ZoneInfo("Europe/Rome")
# 2026-W49 runs from Monday 30 November to Sunday 6 December, in winter time (UTC+1).
WEEK_49 = date(2026, 11, 30)


def _rome(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=ROME)


# --- Schedule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weekday", "moment"),
    [
        ("mon 09:00", 0, time(9, 0)),
        ("Friday 18:30", 4, time(18, 30)),
        ("  SUN 7:05 ", 6, time(7, 5)),
        ("wed 00:00", 2, time(0, 0)),
        ("sat 23:59", 5, time(23, 59)),
    ],
)
def test_schedule_parses(text, weekday, moment):
    assert parse_schedule(text) == WeeklySchedule(weekday, moment)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a weekday and a 24-hour time"),
        ("09:00", "expected a weekday and a 24-hour time"),
        ("mon", "expected a weekday and a 24-hour time"),
        ("mon 9", "expected a weekday and a 24-hour time"),
        ("mon 09:00 utc", "expected a weekday and a 24-hour time"),
        ("funday 09:00", "unknown weekday 'funday'"),
        ("mon 24:00", "invalid time 24:00"),
        ("mon 09:60", "invalid time 09:60"),
    ],
)
def test_schedule_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_default_schedule_is_monday_nine():
    assert str(DEFAULT_SCHEDULE) == "mon 09:00"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_rome(2026, 12, 7, 8, 59), _rome(2026, 11, 30, 9, 0)),
        (_rome(2026, 12, 7, 9, 0), _rome(2026, 12, 7, 9, 0)),
        (_rome(2026, 12, 6, 23, 0), _rome(2026, 11, 30, 9, 0)),
        (_rome(2026, 12, 10, 12, 0), _rome(2026, 12, 7, 9, 0)),
    ],
    ids=["minute-before", "on-time", "sunday-night", "thursday"],
)
def test_latest_run(now, expected):
    assert latest_run(DEFAULT_SCHEDULE, now.astimezone(UTC), ROME) == expected


def test_latest_run_in_summer_time():
    # 09:00 in Rome is 07:00 UTC in summer, so 07:30 UTC on a Monday is after the run.
    run = latest_run(DEFAULT_SCHEDULE, datetime(2026, 7, 13, 7, 30, tzinfo=UTC), ROME)
    assert run.astimezone(UTC) == datetime(2026, 7, 13, 7, 0, tzinfo=UTC)


# --- Periods ------------------------------------------------------------------------------------


def test_winter_week_bounds():
    period = week_of(WEEK_49, ROME)
    previous_start, previous_end, start, end = period.utc_bounds()

    assert period.label == "2026-W49"
    assert period.previous_label == "2026-W48"
    assert period.first_day == date(2026, 11, 30)
    assert period.last_day == date(2026, 12, 6)
    assert start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert previous_start == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert previous_end == start
    assert period.complete


def test_spring_forward_week_is_167_hours():
    # Rome moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    period = week_of(date(2026, 3, 23), ROME)
    _, _, start, end = period.utc_bounds()
    assert start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=167)


def test_fall_back_week_is_169_hours():
    # Rome moves from UTC+2 to UTC+1 on Sunday 25 October 2026.
    period = week_of(date(2026, 10, 19), ROME)
    _, _, start, end = period.utc_bounds()
    assert start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=169)


def test_week_must_start_on_monday():
    with pytest.raises(ValueError, match="starts on a Monday"):
        week_of(date(2026, 12, 1), ROME)


def test_week_before_uses_local_date():
    # Sunday 23:30 UTC is already Monday 00:30 in Rome, so the week before is 2026-W49.
    period = week_before(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), ROME)
    assert period.label == "2026-W49"


def test_week_label_across_new_year():
    # 2026 has 53 ISO weeks: 2026-W53 runs from 28 December 2026 to 3 January 2027.
    period = week_before(_rome(2027, 1, 4, 10, 0), ROME)
    assert period.label == "2026-W53"
    assert period.first_day == date(2026, 12, 28)
    assert period.last_day == date(2027, 1, 3)


@pytest.mark.parametrize(
    ("label", "monday"),
    [("2026-W49", date(2026, 11, 30)), ("2026-W01", date(2025, 12, 29)), ("2026-W53", date(2026, 12, 28))],
)
def test_week_label_parses(label, monday):
    assert parse_week_label(label) == monday
    assert week_from_label(label, ROME).label == label


@pytest.mark.parametrize("typed", ["2026-w49", " 2026-W49 "])
def test_week_label_forgives_case_and_spaces(typed):
    assert week_from_label(typed, ROME).label == "2026-W49"


def test_week_label_one_digit():
    assert week_from_label("2026-W5", ROME).label == "2026-W05"


@pytest.mark.parametrize(
    ("label", "kind", "message"),
    [
        ("2026-49", "format", "expected an ISO week such as 2026-W49"),
        ("2026-W123", "format", "expected an ISO week such as 2026-W49"),
        ("2025-W53", "missing", "2025 has no ISO week 53"),
        ("2026-W00", "missing", "2026 has no ISO week 0"),
        ("0001-W01", "year", "the year must be from 2000 to 9998, got 0001"),
        ("9999-W52", "year", "the year must be from 2000 to 9998, got 9999"),
    ],
)
def test_week_label_rejects(label, kind, message):
    with pytest.raises(WeekLabelError, match=message) as caught:
        parse_week_label(label)
    assert caught.value.kind == kind


def test_requested_week_rejects_future():
    with pytest.raises(WeekLabelError, match="2026-W51 has not started") as caught:
        requested_week("2026-W51", _rome(2026, 12, 9, 11, 15), ROME)
    assert caught.value.kind == "future"


def test_week_so_far_compares_same_span():
    now = _rome(2026, 12, 9, 11, 15)
    period = week_so_far(now.astimezone(UTC), ROME)

    assert period.label == "2026-W50"
    assert not period.complete
    assert period.start == _rome(2026, 12, 7, 0, 0)
    assert period.end == now
    assert period.previous_start == _rome(2026, 11, 30, 0, 0)
    assert period.previous_end == _rome(2026, 12, 2, 11, 15)
    assert period.last_day == date(2026, 12, 9)


@pytest.mark.parametrize(
    ("now", "label"),
    [
        (_rome(2026, 12, 7, 8, 59), "2026-W48"),
        (_rome(2026, 12, 7, 9, 0), "2026-W49"),
        (_rome(2026, 12, 13, 23, 59), "2026-W49"),
    ],
    ids=["before-run", "at-run", "end-of-week"],
)
def test_due_week(now, label):
    assert due_week(DEFAULT_SCHEDULE, now.astimezone(UTC), ROME).label == label


def test_due_week_of_friday_schedule():
    schedule = parse_schedule("fri 18:00")
    # On Friday 11 December at 18:00 the latest full week is 2026-W49.
    assert due_week(schedule, _rome(2026, 12, 11, 18, 0), ROME).label == "2026-W49"
    assert due_week(schedule, _rome(2026, 12, 11, 17, 59), ROME).label == "2026-W48"


# --- Staff digest text --------------------------------------------------------------------------


def _trends(rows: tuple[TrendRow, ...] = (), **figures) -> TrendSummary:
    values = {
        "week_start": datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
        "this_week": tuple((row.label, row.this_week) for row in rows if row.this_week),
        "last_week": tuple((row.label, row.last_week) for row in rows if row.last_week),
        "rows": rows,
        "rising": None,
        "falling": None,
        "photos_this_week": 0,
        "active_customers": 0,
        "new_customers": 0,
        "average_confidence": None,
        "feedback_confirmed": 0,
        "feedback_corrected": 0,
    }
    values.update(figures)
    return TrendSummary(**values)


BUSY_WEEK = _trends(
    (
        TrendRow("Dress", 12, 9, 3, 3 / 9),
        TrendRow("Coat", 5, 8, -3, -3 / 8),
        TrendRow("Sneaker", 2, 0, 2, None),
    ),
    rising="Dress",
    falling="Coat",
    photos_this_week=20,
    active_customers=7,
    new_customers=2,
    average_confidence=0.8349,
    feedback_confirmed=4,
    feedback_corrected=1,
)


def test_staff_digest_in_english():
    text = render_staff_digest(week_of(WEEK_49, ROME), BUSY_WEEK, "en")

    assert text.startswith("<b>Weekly digest 2026-W49</b>\n30 November to 6 December 2026\n")
    # 12 + 5 + 2 of the 20 photos have a category.
    assert "Photos classified: 20 (without a sure answer, so left out of the categories: 1)\n" in text
    assert "Customers: 7 active, 2 new" in text
    assert "Average confidence: 83%" in text
    assert "Answers confirmed by customers: 4 (20% of the week's photos), corrected: 1 (5%)" in text
    assert "<b>Categories</b> (change against 2026-W48)" in text
    assert "Dress: 12 (+3, +33%)\nCoat: 5 (-3, -38%)\nSneaker: 2 (+2)" in text
    assert "Rising: <b>Dress</b>\nFalling: <b>Coat</b>" in text


def test_staff_digest_in_italian():
    text = render_staff_digest(week_of(WEEK_49, ROME), BUSY_WEEK, "it")

    assert text.startswith("<b>Riepilogo settimanale 2026-W49</b>\ndal 30 novembre al 6 dicembre 2026\n")
    assert "Foto classificate: 20 (senza una risposta sicura, quindi escluse dalle categorie: 1)\n" in text
    assert "Clienti attivi: 7, nuovi: 2" in text
    assert "Probabilità media delle risposte: 83%" in text
    assert "Risposte confermate dai clienti: 4 (20% delle foto della settimana), corrette: 1 (5%)" in text
    assert "Vestito: 12 (+3, +33%)" in text
    assert "In crescita: <b>Vestito</b>" in text
    assert "In calo: <b>Cappotto</b>" in text


def test_staff_digest_of_empty_week():
    text = render_staff_digest(week_of(WEEK_49, ROME), _trends(), "en")

    assert "Photos classified: 0\n" in text
    assert "Average confidence: -" in text
    assert "No photos, so no confirmations or corrections from customers." in text
    assert "Answers confirmed" not in text
    assert "No garments with a sure answer in 2026-W49." in text
    assert "No category rose or fell." in text


def test_staff_digest_so_far_says_so():
    period = week_so_far(_rome(2026, 12, 9, 11, 15), ROME)
    text = render_staff_digest(period, BUSY_WEEK, "en")

    assert text.startswith("<b>Digest of 2026-W50 so far</b>\n7 to 9 December 2026\n")
    assert "(change against the same days of 2026-W49)" in text


# --- Customer summary text ----------------------------------------------------------------------


def _style(**fields) -> PeriodStyle:
    values = {
        "by_label": (),
        "colours": (),
        "favourite": None,
        "uncertain": 0,
        "usual_by_label": (),
        "usual_favourite": None,
    }
    values.update(fields)
    return PeriodStyle(**values)


def test_customer_summary_changed_favourite():
    style = _style(
        by_label=(("Dress", 2), ("Sneaker", 1)),
        colours=(("red", 2), ("white", 2), ("black", 1), ("navy", 1)),
        favourite="Dress",
        usual_by_label=(("Coat", 4),),
        usual_favourite="Coat",
    )
    text = render_customer_digest(week_of(WEEK_49, ROME), style, "en")

    assert text.startswith("<b>Your week in style</b>\n30 November to 6 December 2026\n")
    assert "Garments of the week: 3 (Dress 2, Sneaker 1)" in text
    assert "Colours: red, white, black\n" in text
    assert "you chose <b>Dress</b> most, while your usual favourite is <b>Coat</b>" in text
    assert "/unsubscribe" in text


def test_customer_summary_as_usual_in_italian():
    style = _style(
        by_label=(("Coat", 1),),
        colours=(("light blue", 1),),
        favourite="Coat",
        usual_by_label=(("Coat", 4),),
        usual_favourite="Coat",
    )
    text = render_customer_digest(week_of(WEEK_49, ROME), style, "it")

    assert "Capi della settimana: 1 (Cappotto 1)" in text
    assert "Colori: azzurro" in text
    assert "Il tuo preferito di questa settimana è <b>Cappotto</b>, come sempre." in text


def test_customer_summary_first_week():
    style = _style(by_label=(("Bag", 1),), favourite="Bag")
    text = render_customer_digest(week_of(WEEK_49, ROME), style, "en")

    assert "Garments of the week: 1 (Bag 1)" in text
    assert "Colours: not enough photos yet" in text
    assert "Your usual style will show here" in text


def test_customer_summary_without_sure_garments():
    style = _style(uncertain=2, usual_by_label=(("Coat", 4),), usual_favourite="Coat")
    text = render_customer_digest(week_of(WEEK_49, ROME), style, "en")

    assert "I was not sure about any of the garments you sent" in text
    assert "Your usual favourite: <b>Coat</b>." in text


def test_plain_text_drops_tags_and_entities():
    assert plain_text("<b>Rising</b>: T-shirt &amp; top &lt;3") == "Rising: T-shirt & top <3"


# --- Built from the database --------------------------------------------------------------------


@pytest.fixture
async def database(tmp_path):
    database = await Database.open(tmp_path / "fashion.db")
    yield database
    await database.close()


async def _store(database: Database, user_id: int, label: str, created_at: datetime, colours=()) -> None:
    await database.record_classification(
        ClassificationRecord(
            user_id=user_id,
            chat_id=user_id,
            message_id=int(created_at.timestamp()),
            file_unique_id=f"{user_id}-{created_at.isoformat()}",
            label=label,
            label_id=0,
            confidence=0.9,
            top3=((label, 0.9),),
            model_version="test-model",
            created_at=created_at,
            colours=colours,
        )
    )


async def test_staff_digest_counts_local_week(database):
    # The spring-forward week ends on Sunday 29 March at 24:00 in Rome, which is 22:00 UTC.
    period = week_of(date(2026, 3, 23), ROME)
    await _store(database, 1, "Dress", _rome(2026, 3, 29, 23, 30))
    await _store(database, 1, "Coat", _rome(2026, 3, 30, 0, 30))
    await _store(database, 2, "Coat", _rome(2026, 3, 22, 23, 30))

    digest = await build_staff_digest(database, period, "en")

    assert digest.trends.this_week == (("Dress", 1),)
    assert digest.trends.last_week == (("Coat", 1),)
    assert "Dress: 1 (+1)\nCoat: 0 (-1, -100%)" in digest.text
    chart = Image.open(io.BytesIO(digest.chart))
    assert chart.format == "PNG"


async def test_customer_digest_reads_week_and_before(database):
    period = week_of(WEEK_49, ROME)
    await _store(database, 1, "Coat", _rome(2026, 11, 2, 10, 0), ("black",))
    await _store(database, 1, "Coat", _rome(2026, 11, 9, 10, 0), ("black",))
    await _store(database, 1, "Dress", _rome(2026, 12, 1, 10, 0), ("red",))
    # After the week: neither this week's garment nor the usual style.
    await _store(database, 1, "Bag", _rome(2026, 12, 7, 0, 0))

    digest = await build_customer_digest(database, 1, period, "en")

    assert digest.style.by_label == (("Dress", 1),)
    assert digest.style.usual_favourite == "Coat"
    assert "Colours: red" in digest.text
    assert "you chose <b>Dress</b> most, while your usual favourite is <b>Coat</b>" in digest.text
