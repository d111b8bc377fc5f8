"""The SQLite schema as a list of migrations, applied in order by `PRAGMA user_version`.

`MIGRATIONS[i]` moves a database from version i to i + 1. A shipped migration must not be edited,
because databases already at its version would not run it again. Change the schema by appending.
"""

from __future__ import annotations

import logging

import aiosqlite

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

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
    # 1 -> 2: a language override and the digest subscription per user, and a status, colours
    # and album id per classification. New tables for feedback and for digest deliveries.
    """
    ALTER TABLE users ADD COLUMN language_override TEXT;
    ALTER TABLE users ADD COLUMN subscribed INTEGER NOT NULL DEFAULT 0 CHECK (subscribed IN (0, 1));
    ALTER TABLE users ADD COLUMN subscribed_at TEXT;

    ALTER TABLE classifications ADD COLUMN status TEXT NOT NULL DEFAULT 'confident'
        CHECK (status IN ('confident', 'unsure', 'unknown_garment'));
    ALTER TABLE classifications ADD COLUMN colours TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE classifications ADD COLUMN media_group_id TEXT;

    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        classification_id INTEGER NOT NULL UNIQUE
            REFERENCES classifications (id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'corrected')),
        corrected_label_id INTEGER,
        model_input BLOB CHECK (model_input IS NULL OR length(model_input) = 784),
        created_at TEXT NOT NULL,
        CHECK ((verdict = 'confirmed') = (corrected_label_id IS NULL))
    );
    CREATE INDEX feedback_by_user ON feedback (user_id);

    CREATE TABLE digest_deliveries (
        period TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('staff', 'customer')),
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'blocked', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (period, kind, chat_id)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(connection: aiosqlite.Connection) -> None:
    """Apply the migrations that the database at `connection` lacks, one transaction each.

    Raises RuntimeError when the file's version is newer than `SCHEMA_VERSION`.
    """
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
