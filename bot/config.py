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

from classifier.inference import DEFAULT_MODEL_PATH

__all__ = ["ConfigError", "Settings", "load_settings"]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE = Path("data/fashion.db")
DEFAULT_RETENTION_DAYS = 365

# Telegram tokens are "<bot id>:<secret>", the secret being 30 or more URL-safe characters; the
# emulator accepts any token of the same shape.
_TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{8,}$")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """The bot's configuration."""

    token: str | None = field(repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    file_base_url: str = DEFAULT_FILE_BASE_URL
    database_path: Path = DEFAULT_DATABASE
    model_path: Path = DEFAULT_MODEL_PATH
    retention_days: int = DEFAULT_RETENTION_DAYS

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
    )
