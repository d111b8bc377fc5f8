"""Configuration: read once from environment variables into one typed, validated object.

A bad value fails at start with a message that names the variable. `load_settings` checks every
variable before it fails, so one start reports all the bad values. The token is kept out of
`repr` so it cannot reach a log by accident.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import LANGUAGES
from classifier.inference import DEFAULT_MODEL_PATH
from insights.digest import DEFAULT_SCHEDULE, WeeklySchedule, parse_schedule

__all__ = [
    "ConfigError",
    "DigestSettings",
    "LoggingSettings",
    "Settings",
    "WebhookSettings",
    "load_digest_settings",
    "load_logging_settings",
    "load_settings",
]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE = Path("data/fashion.db")
DEFAULT_RETENTION_DAYS = 365
DEFAULT_TIMEZONE = "Europe/Rome"
DEFAULT_STAFF_LANGUAGE = "it"
# The bot's webhook server speaks plain HTTP and expects a TLS reverse proxy on the same host, so by
# default it listens on loopback only. The Docker image sets 0.0.0.0, because there the proxy
# reaches the container through the container network.
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"
DEFAULT_WEBHOOK_PORT = 8443
DEFAULT_LOG_LEVEL = "INFO"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Docker sends SIGKILL 10 seconds after SIGTERM by default; the bot stops waiting for running
# handlers before that.
DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 8.0
# One worker process analyses photos beside the bot's event loop; more only pay on more cores.
DEFAULT_ANALYSIS_PROCESSES = 1
MAX_ANALYSIS_PROCESSES = 16

MISSING_TOKEN_MESSAGE = (
    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export it, "
    "or run `fashion-assistant demo` to try the bot on the built-in emulator"
)

# The ports that Telegram's setWebhook accepts in a webhook URL.
TELEGRAM_WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})

# Telegram's Bot API documents chat ids as having at most 52 significant bits, so every id is below
# this in absolute value and fits SQLite's 64-bit INTEGER.
MAX_CHAT_ID = 2**52

# Telegram tokens are "<bot id>:<secret>", the secret being 30 or more URL-safe characters; the
# emulator accepts any token of the same shape.
_TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{8,}$")
# Telegram's rule for setWebhook's secret_token.
_WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


T = TypeVar("T")


class ConfigError(ValueError):
    """One or more configuration values are missing or invalid. Each message names its variable."""

    def __init__(self, *messages: str) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


class _Problems:
    """The messages of the bad values found so far, raised together by `raise_if_any`."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def read(self, reader: Callable[..., T], *arguments: object) -> T:
        """Return `reader(*arguments)`, or store the messages of its ConfigError and return None.

        The caller must call `raise_if_any` before it uses a returned value, because a value
        that failed is returned as None.
        """
        try:
            return reader(*arguments)
        except ConfigError as error:
            self.messages.extend(error.messages)
            return None  # type: ignore[return-value]

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise ConfigError(*self.messages)


@dataclass(frozen=True)
class DigestSettings:
    """Settings of the weekly digests: schedule, time zone, staff chats and staff language."""

    schedule: WeeklySchedule = DEFAULT_SCHEDULE
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    # Chats that receive the staff digest and may use /digest and /stats: private chats of staff
    # members (the chat id equals the user id) or staff groups.
    staff_chat_ids: tuple[int, ...] = ()
    staff_language: str = DEFAULT_STAFF_LANGUAGE

    @property
    def staff_user_ids(self) -> tuple[int, ...]:
        """The staff members' user ids: the ids of the staff chats that are private chats.

        A private chat's id is its user's id, and groups have negative ids.
        """
        return tuple(chat_id for chat_id in self.staff_chat_ids if chat_id > 0)


@dataclass(frozen=True)
class WebhookSettings:
    """Webhook mode: the public URL Telegram posts to, and where the bot's own server listens.

    The bot serves `path` on `listen:port` over plain HTTP, and only accepts requests that carry
    `secret` in the X-Telegram-Bot-Api-Secret-Token header.
    """

    url: str
    secret: str = field(repr=False)
    listen: str = DEFAULT_WEBHOOK_LISTEN
    port: int = DEFAULT_WEBHOOK_PORT

    @property
    def path(self) -> str:
        """The URL's path, such as "/telegram", or "" for the root."""
        return urlsplit(self.url).path.rstrip("/")


@dataclass(frozen=True)
class LoggingSettings:
    """Log level of the project's own loggers, and whether lines are JSON objects."""

    level: str = DEFAULT_LOG_LEVEL
    json_lines: bool = False


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
    # None: long polling.
    webhook: WebhookSettings | None = None
    # How long a stopping bot waits for running handlers before it cancels them.
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT_SECONDS
    # Worker processes that analyse photos; 0: two threads in the bot's process (see bot.analysis).
    analysis_processes: int = DEFAULT_ANALYSIS_PROCESSES

    def require_token(self) -> str:
        """Return the token, or raise `ConfigError` when it is not set."""
        if not self.token:
            raise ConfigError(MISSING_TOKEN_MESSAGE)
        return self.token


def _base_url(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip() or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as {default}, got {_shown_url(value)!r}")
    return value


def _shown_url(url: str) -> str:
    """Return `url` fit for an error message: a user name and password in it become "***"."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


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


def _analysis_processes(environ: Mapping[str, str]) -> int:
    value = environ.get("FASHION_ANALYSIS_PROCESSES", "").strip()
    if not value:
        return DEFAULT_ANALYSIS_PROCESSES
    if not value.isdigit() or int(value) > MAX_ANALYSIS_PROCESSES:
        raise ConfigError(
            f"FASHION_ANALYSIS_PROCESSES must be a whole number from 0 to {MAX_ANALYSIS_PROCESSES} "
            f"(0: threads in the bot's process), got {value!r}"
        )
    return int(value)


def _webhook_settings(environ: Mapping[str, str]) -> WebhookSettings | None:
    """Read the FASHION_WEBHOOK_* variables; return None when FASHION_WEBHOOK_URL is not set.

    Without a URL the other three variables are not used, so the Docker image can set
    FASHION_WEBHOOK_LISTEN for everyone and still poll. A value that is set is checked all the
    same, so a mistake shows at the first start rather than when the webhook is turned on.
    """
    problems = _Problems()
    listen = problems.read(_webhook_listen, environ)
    port = problems.read(_webhook_port, environ)
    secret = problems.read(_webhook_secret, environ)
    url = problems.read(_webhook_url, environ)
    secret_given = bool(environ.get("FASHION_WEBHOOK_SECRET", "").strip())
    if url is not None and not secret_given:
        problems.add(
            "FASHION_WEBHOOK_SECRET is not set: webhook mode needs a secret of 1 to 256 characters "
            "from A-Z, a-z, 0-9, _ and -, such as the output of `openssl rand -hex 32`"
        )
    problems.raise_if_any()

    if url is None:
        return None
    return WebhookSettings(url=url, secret=secret, listen=listen, port=port)


def _webhook_url(environ: Mapping[str, str]) -> str | None:
    url = environ.get("FASHION_WEBHOOK_URL", "").strip()
    if not url:
        return None
    printable_url = _shown_url(url)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or any(c.isspace() for c in url):
        raise ConfigError(
            f"FASHION_WEBHOOK_URL must be an https URL such as https://bot.example.com/telegram, got {printable_url!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"FASHION_WEBHOOK_URL must not have a query or a fragment, got {printable_url!r}")
    # Telegram only posts to https URLs. Plain http is accepted for loopback hosts, where the local
    # Bot API emulator delivers the updates in tests.
    if _is_loopback(parts.hostname):
        return url
    if parts.scheme == "http":
        raise ConfigError(
            f"FASHION_WEBHOOK_URL must use https (Telegram does not post to http URLs), got {printable_url!r}"
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and port not in TELEGRAM_WEBHOOK_PORTS:
        raise ConfigError(
            f"FASHION_WEBHOOK_URL must use port 443, 80, 88 or 8443, the ports Telegram posts to, "
            f"got {printable_url!r}"
        )
    return url


def _webhook_secret(environ: Mapping[str, str]) -> str | None:
    secret = environ.get("FASHION_WEBHOOK_SECRET", "").strip()
    if not secret:
        return None
    # The value is a secret, so the messages below do not repeat it.
    if len(secret) > 256:
        raise ConfigError(
            f"FASHION_WEBHOOK_SECRET is {len(secret)} characters long; Telegram allows at most 256"
        )
    if not _WEBHOOK_SECRET_PATTERN.match(secret):
        raise ConfigError("FASHION_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and -")
    return secret


def _webhook_listen(environ: Mapping[str, str]) -> str:
    listen = environ.get("FASHION_WEBHOOK_LISTEN", "").strip() or DEFAULT_WEBHOOK_LISTEN
    try:
        ipaddress.ip_address(listen)
    except ValueError:
        raise ConfigError(
            f"FASHION_WEBHOOK_LISTEN must be an IP address such as 127.0.0.1 or 0.0.0.0, got {listen!r}"
        ) from None
    return listen


def _webhook_port(environ: Mapping[str, str]) -> int:
    port_text = environ.get("FASHION_WEBHOOK_PORT", "").strip()
    if not port_text:
        return DEFAULT_WEBHOOK_PORT
    try:
        port = int(port_text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ConfigError(f"FASHION_WEBHOOK_PORT must be a TCP port from 1 to 65535, got {port_text!r}")
    return port


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shutdown_timeout(environ: Mapping[str, str]) -> float:
    value = environ.get("FASHION_SHUTDOWN_TIMEOUT", "").strip()
    if not value:
        return DEFAULT_SHUTDOWN_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise ConfigError(
            f"FASHION_SHUTDOWN_TIMEOUT must be a number of seconds above 0 and at most 3600, got {value!r}"
        )
    return seconds


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
        if chat_id == 0 or abs(chat_id) >= MAX_CHAT_ID:
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
    problems = _Problems()
    schedule = problems.read(_digest_schedule, environ)
    timezone = problems.read(_timezone, environ)
    staff_chat_ids = problems.read(_staff_chat_ids, environ)
    staff_language = problems.read(_staff_language, environ)
    problems.raise_if_any()
    return DigestSettings(
        schedule=schedule,
        timezone=timezone,
        staff_chat_ids=staff_chat_ids,
        staff_language=staff_language,
    )


def load_logging_settings(environ: Mapping[str, str] | None = None) -> LoggingSettings:
    """Read FASHION_LOG_LEVEL and FASHION_LOG_JSON from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    problems = _Problems()
    level = environ.get("FASHION_LOG_LEVEL", "").strip().upper() or DEFAULT_LOG_LEVEL
    if level not in LOG_LEVELS:
        problems.add(f"FASHION_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    json_text = environ.get("FASHION_LOG_JSON", "").strip().lower()
    if json_text not in {"", "0", "1", "false", "true", "no", "yes"}:
        problems.add(
            f"FASHION_LOG_JSON must be 1, true or yes (JSON lines) or 0, false or no (plain text), got {json_text!r}"
        )
    problems.raise_if_any()
    return LoggingSettings(level=level, json_lines=json_text in {"1", "true", "yes"})


def load_settings(environ: Mapping[str, str] | None = None, *, require_token: bool = False) -> Settings:
    """Read and validate the configuration from `environ` (default: the process environment).

    Raise one ConfigError with a message for each bad variable, including a missing token when
    `require_token` is set, as `run` and `health` need one.
    """
    environ = os.environ if environ is None else environ
    problems = _Problems()
    token = problems.read(_token, environ, require_token)
    api_base_url = problems.read(_base_url, environ, "TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL)
    file_base_url = problems.read(_base_url, environ, "TELEGRAM_FILE_BASE_URL", DEFAULT_FILE_BASE_URL)
    database_path = problems.read(_database_path, environ)
    model_path = problems.read(_model_path, environ)
    retention_days = problems.read(_positive_int, environ, "FASHION_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    digest = problems.read(load_digest_settings, environ)
    webhook = problems.read(_webhook_settings, environ)
    shutdown_timeout = problems.read(_shutdown_timeout, environ)
    analysis_processes = problems.read(_analysis_processes, environ)
    # Applied by the command line before the settings are read, and checked here as well so that
    # one start reports every bad value.
    problems.read(load_logging_settings, environ)
    problems.raise_if_any()

    return Settings(
        token=token,
        api_base_url=api_base_url,
        file_base_url=file_base_url,
        database_path=database_path,
        model_path=model_path,
        retention_days=retention_days,
        digest=digest,
        webhook=webhook,
        shutdown_timeout=shutdown_timeout,
        analysis_processes=analysis_processes,
    )


def _token(environ: Mapping[str, str], required: bool) -> str | None:
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    if token is None and required:
        raise ConfigError(MISSING_TOKEN_MESSAGE)
    if token is not None and not _TOKEN_PATTERN.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not a valid bot token: expected '<digits>:<secret>' "
            "as @BotFather prints it"
        )
    return token


def _database_path(environ: Mapping[str, str]) -> Path:
    database_path = Path(environ.get("FASHION_DATABASE", "").strip() or DEFAULT_DATABASE)
    if database_path.exists() and database_path.is_dir():
        raise ConfigError(f"FASHION_DATABASE must be a file path, but {database_path} is a folder")
    return database_path


def _model_path(environ: Mapping[str, str]) -> Path:
    model_value = environ.get("FASHION_MODEL", "").strip()
    model_path = Path(model_value or DEFAULT_MODEL_PATH)
    if not model_path.is_file() and not model_value:
        # The default sits in the source tree, which a non-editable install (such as the Docker
        # image) does not have.
        raise ConfigError(
            f"FASHION_MODEL is not set and the default model {model_path} was not found: "
            "set FASHION_MODEL to the .tflite file to serve"
        )
    if model_path.is_dir():
        raise ConfigError(f"FASHION_MODEL must be a .tflite file, but {model_path} is a folder")
    if not model_path.is_file():
        raise ConfigError(f"FASHION_MODEL: model file not found: {model_path}")
    if model_path.suffix != ".tflite":
        raise ConfigError(f"FASHION_MODEL must be a .tflite file, got {model_path}")
    return model_path
