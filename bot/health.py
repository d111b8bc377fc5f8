"""Health check for an orchestrator: the configuration loads, the model loads, the database responds.

`fashion-assistant health` runs `check_health` in a process of its own (the Docker HEALTHCHECK
does so every 30 seconds). It does not talk to Telegram and does not look inside the running
bot, so a bot whose event loop hangs still passes; the orchestrator restarts a bot that exits.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import ConfigError, load_settings
from classifier.inference import GarmentClassifier

__all__ = ["HealthReport", "check_health"]

# How long the check waits for a database lock held by the bot.
DATABASE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class HealthReport:
    """The outcome of a health check, with a one-line reason."""

    healthy: bool
    message: str


def check_health(environ: Mapping[str, str] | None = None) -> HealthReport:
    """Load the configuration and the model, and run `SELECT 1` on the existing database file."""
    environ = os.environ if environ is None else environ
    try:
        settings = load_settings(environ, require_token=True)
    except ConfigError as error:
        return HealthReport(False, f"configuration: {'; '.join(error.messages)}")

    try:
        classifier = GarmentClassifier(settings.model_path)
    except (OSError, ValueError, RuntimeError) as error:
        return HealthReport(False, f"model {settings.model_path} failed to load: {error}")

    path = settings.database_path
    if not path.is_file():
        return HealthReport(False, f"database not found: {path} (the bot creates it when it starts)")
    try:
        # mode=rw opens the existing file only; a plain connect would create an empty one.
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=DATABASE_TIMEOUT_SECONDS
        )
        try:
            (answer,) = connection.execute("SELECT 1").fetchone()
            (schema_version,) = connection.execute("PRAGMA user_version").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        return HealthReport(False, f"database {path} failed: {error}")
    if answer != 1:
        return HealthReport(False, f"database {path} returned {answer!r} for SELECT 1")

    return HealthReport(
        True,
        f"ok: model {classifier.model_version}, database {path} (schema version {schema_version})",
    )
