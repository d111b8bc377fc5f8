"""Fixtures for storage tests: a fresh database file per test and a factory for log rows."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from storage import ClassificationRecord, Database

DEFAULT_CREATED_AT = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "fashion.db")
    yield database
    await database.close()


@pytest.fixture
def make_record() -> Callable[..., ClassificationRecord]:
    """Return a factory of classification records; each call gets a new message id."""
    message_ids = itertools.count(1)

    def make(**fields) -> ClassificationRecord:
        message_id = fields.pop("message_id", next(message_ids))
        user_id = fields.pop("user_id", 7)
        values = {
            "user_id": user_id,
            "chat_id": user_id,
            "message_id": message_id,
            "file_unique_id": f"unique-{message_id}",
            "label": "Dress",
            "label_id": 3,
            "confidence": 0.91,
            "top3": (("Dress", 0.91), ("Coat", 0.05), ("Shirt", 0.02)),
            "model_version": "test-model",
            "created_at": DEFAULT_CREATED_AT,
        }
        values.update(fields)
        return ClassificationRecord(**values)

    return make


@pytest.fixture
def read_rows(database: Database) -> Callable[..., list[tuple]]:
    """Return a function that runs one query on the database file through a separate connection."""

    def read(sql: str, parameters: tuple = ()) -> list[tuple]:
        connection = sqlite3.connect(database.path)
        try:
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.close()

    return read
