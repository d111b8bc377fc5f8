"""Messages: every key exists in English and Italian, and user text cannot break the HTML."""

from __future__ import annotations

import pytest

from bot.i18n import CLASS_LABELS, LANGUAGES, MESSAGES, class_label, pick_language, translate


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
