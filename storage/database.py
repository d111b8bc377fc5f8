"""SQLite storage through aiosqlite: users and the classification log.

The database runs in WAL mode so readers (a backup, a digest query) never block the bot's writes.
The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[i]` moves a database from
version i to i + 1, and `Database.open` applies the missing ones in one transaction each.
Photos are never stored: a row holds Telegram's ids and the model's answer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

__all__ = ["SCHEMA_VERSION", "ClassificationRecord", "Database"]

logger = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: users and the classification log.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        language TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE classifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        file_unique_id TEXT NOT NULL,
        label TEXT NOT NULL,
        label_id INTEGER NOT NULL,
        confidence REAL NOT NULL,
        top3 TEXT NOT NULL,
        model_version TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX classifications_by_message
        ON classifications (chat_id, message_id, file_unique_id);
    CREATE INDEX classifications_by_user ON classifications (user_id, created_at);
    CREATE INDEX classifications_by_time ON classifications (created_at);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def utc_now() -> datetime:
    """Return the current time in UTC (a function so tests can pass their own times)."""
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    """Format a time as ISO 8601 in UTC, which also sorts correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ClassificationRecord:
    """One answer the bot gave: who sent what, and what the model said."""

    user_id: int
    chat_id: int
    message_id: int
    file_unique_id: str
    label: str
    label_id: int
    confidence: float
    top3: tuple[tuple[str, float], ...]
    model_version: str
    created_at: datetime


class Database:
    """The bot's SQLite database; open it with `await Database.open(path)`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating the folder and file if needed) and migrate the database at `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await _migrate(connection)
        except BaseException:
            await connection.close()
            raise
        return cls(connection, path)

    async def close(self) -> None:
        """Close the connection; pending writes were committed by each method."""
        await self._connection.close()

    async def schema_version(self) -> int:
        """Return the schema version stored in the file."""
        async with self._connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def record_user(self, user_id: int, language: str | None, seen_at: datetime) -> None:
        """Insert a user or update their language and last-seen time."""
        stamp = _timestamp(seen_at)
        await self._connection.execute(
            """
            INSERT INTO users (id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                language = COALESCE(excluded.language, users.language),
                last_seen = excluded.last_seen
            """,
            (user_id, language, stamp, stamp),
        )
        await self._connection.commit()

    async def record_classification(self, record: ClassificationRecord) -> bool:
        """Store one answer; return False when that message was already logged (a repeat update)."""
        cursor = await self._connection.execute(
            """
            INSERT OR IGNORE INTO classifications (
                user_id, chat_id, message_id, file_unique_id, label, label_id,
                confidence, top3, model_version, created_at
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                record.user_id,
                record.chat_id,
                record.message_id,
                record.file_unique_id,
                record.label,
                record.label_id,
                record.confidence,
                json.dumps([[label, round(p, 6)] for label, p in record.top3]),
                record.model_version,
                _timestamp(record.created_at),
            ),
        )
        await self._connection.commit()
        return cursor.rowcount == 1

    async def classifications_of_user(self, user_id: int) -> list[ClassificationRecord]:
        """Return a user's logged answers, oldest first."""
        async with self._connection.execute(
            """
            SELECT user_id, chat_id, message_id, file_unique_id, label, label_id, confidence,
                   top3, model_version, created_at
            FROM classifications WHERE user_id = ? ORDER BY created_at, id
            """,
            (user_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_record_from_row(row) for row in rows]

    async def count_rows(self, table: str) -> int:
        """Return the number of rows in one of the schema's tables."""
        if table not in await self.table_names():
            raise ValueError(f"unknown table {table!r}")
        async with self._connection.execute(f'SELECT COUNT(*) FROM "{table}"') as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def table_names(self) -> list[str]:
        """Return the names of the schema's tables."""
        async with self._connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]


def _record_from_row(row: tuple) -> ClassificationRecord:
    top3 = tuple((label, float(p)) for label, p in json.loads(row[7]))
    return ClassificationRecord(
        user_id=row[0],
        chat_id=row[1],
        message_id=row[2],
        file_unique_id=row[3],
        label=row[4],
        label_id=row[5],
        confidence=row[6],
        top3=top3,
        model_version=row[8],
        created_at=datetime.fromisoformat(row[9]),
    )


async def _migrate(connection: aiosqlite.Connection) -> None:
    async with connection.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {version} is newer than this program's {SCHEMA_VERSION}; "
            "upgrade Fashion Assistant before opening it"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        # executescript commits any open transaction first, so each migration is wrapped in its
        # own explicit transaction together with the version bump.
        await connection.executescript(
            f"BEGIN;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;"
        )
        logger.info("Database migrated to schema version %d", target)
