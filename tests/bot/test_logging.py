"""Logging: the token never reaches a log line, per-update lines carry no personal data, JSON lines.

The end-to-end test runs `fashion-assistant run` at DEBUG level against the emulator, plays a
customer through commands, photos, a document, text and a button press, and searches the whole
captured output for the token and for the customer's personal data.
"""

from __future__ import annotations

import json
import logging
import re
import signal

import pytest

from bot.config import LoggingSettings, load_logging_settings
from bot.logging_setup import REDACTED, JsonLineFormatter, SecretRedactingFilter, configure_logging
from bot.update_log import update_kind
from tests.bot.bot_process import TOKEN, BotProcess, wait_until
from tests.conftest import DEMO_PHOTOS_DIR

# A token of Telegram's real shape: bot id, colon, 35 characters.
REAL_SHAPED_TOKEN = "7012345678:AAHk3x9Qm2Lw8Zp4Rt6Yv1Bn5Cx7Df0Gh2J"


def _record(message: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, message, args, exc_info)


def test_filter_redacts_token_in_message_and_arguments():
    redactor = SecretRedactingFilter([TOKEN])
    record = _record("POST https://api.telegram.org/bot%s/getMe failed", TOKEN)

    assert redactor.filter(record) is True
    assert TOKEN not in record.getMessage()
    assert f"/bot{REDACTED}/getMe" in record.getMessage()


def test_filter_redacts_token_in_traceback():
    redactor = SecretRedactingFilter([TOKEN])
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
    except RuntimeError as error:
        record = _record("Sending failed", exc_info=(type(error), error, error.__traceback__))

    redactor.filter(record)
    formatted = logging.Formatter().format(record)

    assert TOKEN not in formatted
    assert REDACTED in formatted


def test_filter_redacts_unknown_token_by_shape():
    redactor = SecretRedactingFilter([])
    record = _record("url https://api.telegram.org/bot%s/getUpdates", REAL_SHAPED_TOKEN)

    redactor.filter(record)

    assert REAL_SHAPED_TOKEN not in record.getMessage()


def test_filter_leaves_ordinary_lines_alone():
    redactor = SecretRedactingFilter([TOKEN])
    record = _record("Handled update %d at 10:30:45 in %d ms", 42, 17)

    redactor.filter(record)

    assert record.getMessage() == "Handled update 42 at 10:30:45 in 17 ms"


def test_json_formatter_writes_extra_fields():
    record = _record("Handled update %d", 7)
    record.update_id = 7
    record.outcome = "ok"

    entry = json.loads(JsonLineFormatter().format(record))

    assert entry["message"] == "Handled update 7"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "test"
    assert entry["update_id"] == 7
    assert entry["outcome"] == "ok"
    assert entry["time"].endswith("+00:00")


def test_debug_applies_to_project_loggers_only():
    root = logging.getLogger()
    saved_level = root.level
    try:
        configure_logging(LoggingSettings(level="DEBUG"), [TOKEN])
        configure_logging(LoggingSettings(level="DEBUG"), [TOKEN])

        assert logging.getLogger("bot.app").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("storage.database").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("telegram.ext.Application").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("apscheduler.scheduler").getEffectiveLevel() == logging.WARNING
        installed = [handler for handler in root.handlers if type(handler).__name__ == "_ProjectHandler"]
        assert len(installed) == 1
    finally:
        configure_logging(LoggingSettings(level="INFO"))
        for handler in [handler for handler in root.handlers if type(handler).__name__ == "_ProjectHandler"]:
            root.removeHandler(handler)
        root.setLevel(saved_level)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, LoggingSettings("INFO", False)),
        ({"FASHION_LOG_LEVEL": "debug"}, LoggingSettings("DEBUG", False)),
        ({"FASHION_LOG_LEVEL": "WARNING", "FASHION_LOG_JSON": "1"}, LoggingSettings("WARNING", True)),
        ({"FASHION_LOG_JSON": "0"}, LoggingSettings("INFO", False)),
    ],
    ids=["defaults", "lower-case-level", "warning-json", "json-off"],
)
def test_logging_settings_from_environment(environment, expected):
    assert load_logging_settings(environment) == expected


def test_update_kind_names(emulator):
    from telegram import Update

    alice = emulator.user(id=9001, first_name="Alice")
    command = Update.de_json(emulator.get_update(emulator.send_text(alice, "/start")), None)
    text = Update.de_json(emulator.get_update(emulator.send_text(alice, "hello")), None)
    photo_bytes = (DEMO_PHOTOS_DIR / "dress.jpg").read_bytes()
    photo = Update.de_json(emulator.get_update(emulator.send_photo(alice, photo_bytes)), None)

    assert update_kind(command) == "command"
    assert update_kind(text) == "text"
    assert update_kind(photo) == "photo"


def test_token_and_personal_data_never_logged(emulator, tmp_path, shipped_model):
    customer = emulator.user(id=918273645, first_name="Zebulon", last_name="Quixote", language_code="en")
    caption = "caption-with-private-words"
    text = "my private sentence about a wedding"
    bot = BotProcess(
        emulator,
        database_path=tmp_path / "fashion.db",
        model_path=shipped_model,
        log_path=tmp_path / "bot.log",
        extra_environment={"FASHION_LOG_LEVEL": "DEBUG"},
    ).start()
    try:
        steps = [
            lambda: emulator.send_text(customer, "/start"),
            lambda: emulator.send_photo(
                customer, (DEMO_PHOTOS_DIR / "coat.jpg").read_bytes(), caption=caption
            ),
            lambda: emulator.send_text(customer, text),
            lambda: emulator.send_document(
                customer, b"%PDF-1.4 tiny", file_name="notes.pdf", mime_type="application/pdf"
            ),
            lambda: emulator.send_text(customer, "/mystyle"),
            # The reply to /help fails once, so the error handler logs a traceback and apologises.
            lambda: (
                emulator.fail_next("sendMessage", chat_id=customer.id, error_code=500, retry_after=None),
                emulator.send_text(customer, "/help"),
            ),
        ]
        for number, step in enumerate(steps, start=1):
            step()
            emulator.wait_for_messages(customer.id, number, timeout=30)
        answer = emulator.sent_messages(customer.id)[1]
        (right_button, _) = answer.button_callback_data
        emulator.press_button(customer, answer, right_button)
        wait_until(
            lambda: emulator.callback_answers(user_id=customer.id), 30, "the button press to be answered"
        )

        bot.send_signal(signal.SIGTERM)
        assert bot.wait() == 0
    finally:
        bot.stop()
    log = bot.log()
    secret_part = TOKEN.split(":", 1)[1]

    assert TOKEN not in log
    assert secret_part not in log
    # No line needed redacting: nothing tried to log the token.
    assert REDACTED not in log
    for personal in ["Zebulon", "Quixote", caption, text, "notes.pdf"]:
        assert personal not in log, f"{personal!r} appears in the log"
    lines_with_user_id = [line for line in log.splitlines() if str(customer.id) in line]
    assert lines_with_user_id, "the DEBUG lines should name the user id"
    assert all(" DEBUG " in line for line in lines_with_user_id), lines_with_user_id

    # A handler logs its line after its reply, so under load the next update's line can come first.
    # The update ids give the order in which the customer sent them.
    handled = sorted(
        (int(update_id), kind, handler, outcome)
        for update_id, kind, handler, outcome in re.findall(
            r"Handled update (\d+): kind=(\w+) handler=(\w+) duration_ms=\d+ outcome=(\w+)", log
        )
    )
    assert [(kind, handler) for _, kind, handler, _ in handled] == [
        ("command", "handle_start"),
        ("photo", "handle_photo"),
        ("text", "handle_text"),
        ("document", "handle_other_document"),
        ("command", "handle_mystyle"),
        ("command", "handle_help"),
        ("callback_query", "handle_feedback"),
    ]
    assert [outcome for _, _, _, outcome in handled] == ["ok", "ok", "ok", "ok", "ok", "error", "ok"]
    assert "Unhandled error while processing an update" in log
    assert "Traceback" in log
