"""Logging for the `fashion-assistant` command: levels, plain or JSON lines, and secret redaction.

Only the entry point calls `configure_logging`. FASHION_LOG_LEVEL sets the level of the project's
own loggers. Library loggers stay at INFO or above even when it is DEBUG, because their debug
lines contain personal data or the token: python-telegram-bot 22.8's print whole updates (names,
captions, texts), the parameters of every Bot API call and the Bot API URL with the token, and
aiosqlite's print SQL parameters. httpx logs request URLs, which contain the bot token, so it is
kept at WARNING.

Every line goes through `SecretRedactingFilter`, which replaces the bot token, the webhook secret
and anything shaped like a bot token with "[REDACTED]". The filter is the second line of defence:
no code in the project logs a secret on purpose.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.config import LoggingSettings

__all__ = ["REDACTED", "JsonLineFormatter", "SecretRedactingFilter", "configure_logging"]

REDACTED = "[REDACTED]"
PROJECT_LOGGERS = ("bot", "classifier", "emulator", "insights", "storage")
# Lowest level for library loggers whose DEBUG or INFO lines would carry a secret or personal data.
# APScheduler names jobs in its INFO lines, and album jobs are named after the chat id.
LIBRARY_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# A Telegram bot token: the bot's numeric id, a colon and a secret of 35 URL-safe characters.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{3,20}:[A-Za-z0-9_-]{30,}")
# The attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class SecretRedactingFilter(logging.Filter):
    """Replace known secrets and token-shaped strings in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced by REDACTED."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Arguments that do not match the format; the handler reports that when it formats.
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text, so the redacted traceback is the one printed.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonLineFormatter(logging.Formatter):
    """Format a record as one JSON object: time (UTC), level, logger, message, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class _ProjectHandler(logging.StreamHandler):
    """The handler `configure_logging` installs; a second call replaces it instead of adding one.

    Like logging's own last-resort handler, it writes to whatever `sys.stderr` is when a line is
    emitted, so a caller that swaps standard error (as pytest does) still gets the lines.
    """

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(settings: LoggingSettings, secrets: Iterable[str | None] = ()) -> None:
    """Send log lines to standard error with the levels, format and redaction described above.

    `secrets` are the strings to redact, such as the raw TELEGRAM_BOT_TOKEN value.
    """
    level = logging.getLevelNamesMapping()[settings.level]
    handler = _ProjectHandler()
    handler.setFormatter(JsonLineFormatter() if settings.json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(SecretRedactingFilter(secrets))

    root = logging.getLogger()
    for old in [existing for existing in root.handlers if isinstance(existing, _ProjectHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(max(level, logging.INFO))
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(level)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(level, floor))
