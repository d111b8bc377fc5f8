"""Configuration: read once from environment variables into one typed, validated object.

A bad value fails at start with a message that names the variable. The token is kept out of
`repr` so it cannot reach a log by accident.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import LANGUAGES
from classifier.inference import DEFAULT_MODEL_PATH
from insights.digest import DEFAULT_SCHEDULE, WeeklySchedule, parse_schedule

__all__ = ["ConfigError", "DigestSettings", "Settings", "load_digest_settings", "load_settings"]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE = Path("data/fashion.db")
DEFAULT_RETENTION_DAYS = 365
DEFAULT_TIMEZONE = "Europe/Rome"
DEFAULT_STAFF_LANGUAGE = "it"

# Telegram tokens are "<bot id>:<secret>", the secret being 30 or more URL-safe characters; the
# emulator accepts any token of the same shape.
_TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{8,}$")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class DigestSettings:
    """Settings of the weekly digests: schedule, time zone, staff chats and staff language."""

    schedule: WeeklySchedule = DEFAULT_SCHEDULE
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    # Chats that receive the staff digest and may use /digest and /stats: private chats of staff
    # members (the chat id equals the user id) or staff groups.
    staff_chat_ids: tuple[int, ...] = ()
    staff_language: str = DEFAULT_STAFF_LANGUAGE


@dataclass(frozen=True)
class Settings:
    """The bot's configuration."""

    token: str | None = field(repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    file_base_url: str = DEFAULT_FILE_BASE_URL
    database_path: Path = DEFAULT_DATABASE
    model_path: Path = DEFAULT_MODEL_PATH
    retention_days: int = DEFAULT_RETENTION_DAYS
    digest: DigestSettings = field(default_factory=DigestSettings)

    def require_token(self) -> str:
        """Return the token, or raise `ConfigError` when it is not set."""
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it, "
                "or run `fashion-assistant demo` to try the bot on the built-in emulator"
            )
        return self.token


def _base_url(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip() or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as {default}, got {value!r}")
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ConfigError(f"{name} must be a whole number of days above 0, got {value!r}")
    return number


def _digest_schedule(environ: Mapping[str, str]) -> WeeklySchedule:
    value = environ.get("FASHION_DIGEST_SCHEDULE", "").strip()
    if not value:
        return DEFAULT_SCHEDULE
    try:
        return parse_schedule(value)
    except ValueError as error:
        raise ConfigError(f"FASHION_DIGEST_SCHEDULE is invalid: {error}") from None


def _timezone(environ: Mapping[str, str]) -> ZoneInfo:
    value = environ.get("FASHION_TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        # ZoneInfo raises ValueError for keys that are not relative paths, such as "/etc/x".
        raise ConfigError(
            f"FASHION_TIMEZONE: unknown time zone {value!r}. Use an IANA name such as {DEFAULT_TIMEZONE}"
        ) from None


def _staff_chat_ids(environ: Mapping[str, str]) -> tuple[int, ...]:
    value = environ.get("FASHION_STAFF_CHAT_IDS", "").strip()
    chat_ids: list[int] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            chat_id = int(item)
        except ValueError:
            chat_id = 0
        if chat_id == 0:
            raise ConfigError(
                f"FASHION_STAFF_CHAT_IDS must be comma-separated Telegram chat ids such as "
                f"'12345678,-1001234567890', got {item!r}"
            )
        if chat_id not in chat_ids:
            chat_ids.append(chat_id)
    return tuple(chat_ids)


def _staff_language(environ: Mapping[str, str]) -> str:
    value = environ.get("FASHION_STAFF_LANGUAGE", "").strip().lower() or DEFAULT_STAFF_LANGUAGE
    if value not in LANGUAGES:
        raise ConfigError(f"FASHION_STAFF_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {value!r}")
    return value


def load_digest_settings(environ: Mapping[str, str] | None = None) -> DigestSettings:
    """Read and validate the digest variables from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    return DigestSettings(
        schedule=_digest_schedule(environ),
        timezone=_timezone(environ),
        staff_chat_ids=_staff_chat_ids(environ),
        staff_language=_staff_language(environ),
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the configuration from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ

    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is not None and not _TOKEN_PATTERN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not a valid bot token: expected '<digits>:<secret>' "
            "as @BotFather prints it"
        )

    database_path = Path(environ.get("FASHION_DATABASE", "").strip() or DEFAULT_DATABASE)
    if database_path.exists() and database_path.is_dir():
        raise ConfigError(f"FASHION_DATABASE must be a file path, but {database_path} is a folder")

    model_path = Path(environ.get("FASHION_MODEL", "").strip() or DEFAULT_MODEL_PATH)
    if not model_path.is_file():
        raise ConfigError(f"FASHION_MODEL: model file not found: {model_path}")
    if model_path.suffix != ".tflite":
        raise ConfigError(f"FASHION_MODEL must be a .tflite file, got {model_path}")

    retention_days = _positive_int(environ, "FASHION_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)

    return Settings(
        token=token,
        api_base_url=_base_url(environ, "TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL),
        file_base_url=_base_url(environ, "TELEGRAM_FILE_BASE_URL", DEFAULT_FILE_BASE_URL),
        database_path=database_path,
        model_path=model_path,
        retention_days=retention_days,
        digest=load_digest_settings(environ),
    )
