"""Messages: every key exists in English and Italian, and user text cannot break the HTML."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import CLASS_LABELS, LANGUAGES, MESSAGES, class_label, date_range, pick_language, translate


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_message_has_every_language(key):
    for language in LANGUAGES:
        assert MESSAGES[key].get(language, "").strip(), f"{key} has no {language} text"


@pytest.mark.parametrize("label", sorted(CLASS_LABELS))
def test_class_label_has_every_language(label):
    for language in LANGUAGES:
        assert class_label(label, language)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("it", "it"), ("it-IT", "it"), ("IT", "it"), ("en", "en"), ("de", "en"), (None, "en"), ("", "en")],
)
def test_language_from_telegram_code(code, expected):
    assert pick_language(code) == expected


def test_user_values_are_escaped():
    text = translate("start", "en", name="<b>Mallory</b> & co")
    assert "&lt;b&gt;Mallory&lt;/b&gt; &amp; co" in text
    assert "<b>Mallory" not in text


def test_italian_and_english_differ():
    assert translate("text_hint", "it") != translate("text_hint", "en")


# --- Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "english", "italian"),
    [
        (date(2026, 11, 23), date(2026, 11, 29), "23 to 29 November 2026", "dal 23 al 29 novembre 2026"),
        (
            date(2025, 12, 29),
            date(2026, 1, 4),
            "29 December 2025 to 4 January 2026",
            "dal 29 dicembre 2025 al 4 gennaio 2026",
        ),
        (date(2026, 6, 1), date(2026, 6, 7), "1 to 7 June 2026", "dal 1° al 7 giugno 2026"),
        (date(2026, 6, 8), date(2026, 6, 14), "8 to 14 June 2026", "dall'8 al 14 giugno 2026"),
        (date(2026, 5, 5), date(2026, 5, 11), "5 to 11 May 2026", "dal 5 all'11 maggio 2026"),
        (date(2026, 12, 7), date(2026, 12, 7), "7 December 2026", "7 dicembre 2026"),
    ],
    ids=["same-month", "new-year", "first-of-month", "eighth", "eleventh", "one-day"],
)
def test_date_range_reads_naturally(first, last, english, italian):
    assert date_range(first, last, "en") == english
    assert date_range(first, last, "it") == italian
