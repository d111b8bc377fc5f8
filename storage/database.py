"""SQLite storage through aiosqlite: users, the classification log, feedback and digest deliveries.

The database runs in WAL mode so readers (a backup, a digest query) never block the bot's writes.
`Database.open` applies the schema's missing migrations (see `storage.schema`). Photos are never
stored: a row holds Telegram's ids and the model's answer, and a feedback row may keep the 28x28
image that the model saw.

One connection serves the whole bot. An asyncio lock serialises the methods, so a transaction
that spans several statements never interleaves with another coroutine's statements. Photos
answered at the same moment are logged together, in one transaction (`log_classification`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Collection
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.records import (
    CLASSIFICATION_COLUMNS,
    CLASSIFICATION_STATUSES,
    DELIVERY_KINDS,
    DELIVERY_STATUSES,
    ClassificationRecord,
    DeliveryRecord,
    FeedbackRow,
    Subscriber,
    classification_from_row,
    feedback_from_row,
    require_choice,
    validate_feedback,
)
from storage.schema import SCHEMA_VERSION, migrate
from storage.style_summary import PeriodStyle, StyleSummary, load_period_style, load_style_summary
from storage.timestamps import format_timestamp, require_aware, utc_now
from storage.trend_summary import TrendSummary, load_trend_summary

__all__ = ["SCHEMA_VERSION", "ClassificationRecord", "Database", "utc_now"]

logger = logging.getLogger(__name__)

# Maximum number of classifications written in one shared transaction. Their 13 values each stay
# far under SQLite's default limit of 32,766 bound values per statement.
MAX_GROUPED_WRITES = 500

_USER_UPSERT = """
    INSERT INTO users (id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET
        language = COALESCE(excluded.language, users.language),
        last_seen = excluded.last_seen
"""
_CLASSIFICATION_INSERT = """
    INSERT OR IGNORE INTO classifications (
        user_id, chat_id, message_id, file_unique_id, label, label_id, confidence,
        top3, model_version, created_at, status, colours, media_group_id
    ) VALUES {rows}
"""
_CLASSIFICATION_PLACEHOLDERS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _classification_values(record: ClassificationRecord) -> tuple:
    return (
        record.user_id,
        record.chat_id,
        record.message_id,
        record.file_unique_id,
        record.label,
        record.label_id,
        record.confidence,
        json.dumps([[label, round(p, 6)] for label, p in record.top3]),
        record.model_version,
        format_timestamp(record.created_at),
        record.status,
        json.dumps(list(record.colours)),
        record.media_group_id,
    )


def _settle(future: asyncio.Future, result: Any = None, exception: BaseException | None = None) -> None:
    """Give a waiting caller its result or exception, unless it stopped waiting."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


class ForeignDatabaseError(sqlite3.DatabaseError):
    """A file that is not a Fashion Assistant database: another program's SQLite file, or an empty one."""


def check_database_file(path: Path, existing_only: bool = True) -> None:
    """Raise ForeignDatabaseError when `path` contains tables but not the bot's.

    A missing, empty or table-less file passes unless `existing_only` is set, because `open`
    creates the schema there. The check only reads, so a program that wrote the file keeps it as
    it was. A file that is not SQLite at all raises sqlite3.DatabaseError.
    """
    if not path.is_file() or path.stat().st_size == 0:
        if existing_only:
            raise ForeignDatabaseError(f"{path} is empty or missing, not a Fashion Assistant database")
        return
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        connection.close()
    tables = {name for (name,) in rows}
    if "classifications" in tables or (not tables and not existing_only):
        return
    raise ForeignDatabaseError(f"{path} is not a Fashion Assistant database: it has no classifications table")


class Database:
    """The bot's SQLite database; open it with `await Database.open(path)`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self.path = path
        # Classifications waiting for the next shared transaction, each with the future its
        # caller awaits, and the task that writes them.
        self._queued: list[tuple[str | None, ClassificationRecord, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: Path | str, *, existing_only: bool = False) -> Database:
        """Open (creating the folder and file if needed) and migrate the database at `path`.

        With `existing_only`, a missing or empty file is rejected rather than set up. Raises
        ForeignDatabaseError, before writing anything, for another program's SQLite file.
        """
        path = Path(path)
        check_database_file(path, existing_only)
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten with zeros, so /forget and retention leave no copy in
            # the file's free pages. SQLite's default depends on how it was built.
            await connection.execute("PRAGMA secure_delete=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await migrate(connection)
        except BaseException:
            await connection.close()
            raise
        return cls(connection, path)

    async def close(self) -> None:
        """Close the connection after the methods already running or waiting finish.

        Each method commits its own writes, so nothing is pending once the grouped writes end.
        """
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        async with self._lock:
            await self._connection.close()

    @contextlib.asynccontextmanager
    async def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one transaction, committing when it ends and rolling back when it raises.

        Writers take the write lock up front (BEGIN IMMEDIATE) rather than upgrading a read
        lock later, which could fail with SQLITE_BUSY. A plain BEGIN gives readers one snapshot.
        """
        async with self._lock:
            await self._connection.execute(begin)
            try:
                yield self._connection
            except BaseException:
                await self._connection.rollback()
                raise
            await self._connection.commit()

    async def _fetch_all(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        async with self._lock, self._connection.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def _fetch_value(self, sql: str, parameters: tuple = ()) -> Any:
        """Return the first column of the first row, or None when there is no row."""
        rows = await self._fetch_all(sql, parameters)
        return rows[0][0] if rows else None

    async def schema_version(self) -> int:
        """Return the schema version stored in the file."""
        return int(await self._fetch_value("PRAGMA user_version"))

    # Users.

    async def record_user(self, user_id: int, language: str | None, seen_at: datetime) -> None:
        """Insert a user or update their language and last-seen time."""
        stamp = format_timestamp(seen_at)
        async with self._transaction() as connection:
            await connection.execute(_USER_UPSERT, (user_id, language, stamp, stamp))

    async def set_language_override(self, user_id: int, language: str | None, at: datetime) -> None:
        """Store the language a user chose, or None to follow Telegram's language again.

        A missing user is inserted, first and last seen at `at`. A known user's last-seen time
        is left to `record_user`.
        """
        async with self._transaction() as connection:
            await _insert_user_if_missing(connection, user_id, at)
            await connection.execute(
                "UPDATE users SET language_override = ? WHERE id = ?", (language, user_id)
            )

    async def language_override(self, user_id: int) -> str | None:
        """Return the language a user chose, None when they chose none or are unknown."""
        return await self._fetch_value("SELECT language_override FROM users WHERE id = ?", (user_id,))

    async def set_subscription(self, user_id: int, subscribed: bool, at: datetime) -> bool:
        """Subscribe or unsubscribe a user from the weekly digest and return whether the state changed.

        Subscribing again keeps the first `subscribed_at`. Unsubscribing clears it, so a later
        subscription records its own time. A missing user is inserted first, seen at `at`.
        """
        async with self._transaction() as connection:
            await _insert_user_if_missing(connection, user_id, at)
            if subscribed:
                cursor = await connection.execute(
                    "UPDATE users SET subscribed = 1, subscribed_at = ? WHERE id = ? AND subscribed = 0",
                    (format_timestamp(at), user_id),
                )
            else:
                cursor = await connection.execute(
                    "UPDATE users SET subscribed = 0, subscribed_at = NULL WHERE id = ? AND subscribed = 1",
                    (user_id,),
                )
            return cursor.rowcount == 1

    async def is_subscribed(self, user_id: int) -> bool:
        """Return whether a user is subscribed, which is False for an unknown user."""
        return bool(await self._fetch_value("SELECT subscribed FROM users WHERE id = ?", (user_id,)))

    async def subscribers(self) -> list[int]:
        """Return the ids of subscribed users, in ascending order."""
        rows = await self._fetch_all("SELECT id FROM users WHERE subscribed = 1 ORDER BY id")
        return [row[0] for row in rows]

    async def active_subscribers(self, start: datetime, end: datetime) -> list[Subscriber]:
        """Return the subscribed users with a classification from `start` (included) to `end`, by id.

        Raises ValueError when a bound is naive.
        """
        require_aware(start, "start")
        require_aware(end, "end")
        rows = await self._fetch_all(
            """
            SELECT id, language, language_override FROM users
            WHERE subscribed = 1 AND EXISTS (
                SELECT 1 FROM classifications
                WHERE user_id = users.id AND created_at >= ? AND created_at < ?
            )
            ORDER BY id
            """,
            (format_timestamp(start), format_timestamp(end)),
        )
        return [Subscriber(user_id, language, override) for user_id, language, override in rows]

    # Classifications.

    async def record_classification(self, record: ClassificationRecord) -> int | None:
        """Store one classification and return its row id, or None when that message was already logged.

        A repeat comes from Telegram delivering the same update twice, and the first row is kept.
        `record.id` is ignored. Raises ValueError for a status outside CLASSIFICATION_STATUSES.
        """
        require_choice(record.status, CLASSIFICATION_STATUSES, "status")
        async with self._transaction() as connection:
            cursor = await connection.execute(
                _CLASSIFICATION_INSERT.format(rows=_CLASSIFICATION_PLACEHOLDERS),
                _classification_values(record),
            )
            return cursor.lastrowid if cursor.rowcount == 1 else None

    async def log_classification(self, language: str | None, record: ClassificationRecord) -> int | None:
        """Record the user as `record_user` does and store the classification as `record_classification`.

        Returns what `record_classification` returns, once the row is committed. Calls made while
        a write is running share the next transaction, so under load many photos cost one commit.
        Raises ValueError for a status outside CLASSIFICATION_STATUSES.
        """
        require_choice(record.status, CLASSIFICATION_STATUSES, "status")
        future = asyncio.get_running_loop().create_future()
        self._queued.append((language, record, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await future

    async def _write_queued(self) -> None:
        while self._queued:
            group, self._queued = self._queued[:MAX_GROUPED_WRITES], self._queued[MAX_GROUPED_WRITES:]
            try:
                results = await self._insert_group(group)
            except Exception as error:
                if len(group) == 1:
                    _settle(group[0][2], exception=error)
                    continue
                # One bad row fails the shared transaction, so each is written alone and only it fails.
                logger.warning(
                    "Grouped write of %d classifications failed (%s); writing them one by one",
                    len(group),
                    error,
                )
                for item in group:
                    try:
                        _settle(item[2], (await self._insert_group([item]))[0])
                    except Exception as error:
                        _settle(item[2], exception=error)
                continue
            except BaseException as error:
                for _, _, future in [*group, *self._queued]:
                    _settle(future, exception=error)
                self._queued = []
                raise
            for (_, _, future), result in zip(group, results, strict=True):
                _settle(future, result)

    async def _insert_group(
        self, group: list[tuple[str | None, ClassificationRecord, asyncio.Future]]
    ) -> list:
        """Write a group of classifications and their users in one transaction; return each row id or None."""
        users = [
            (
                record.user_id,
                language,
                format_timestamp(record.created_at),
                format_timestamp(record.created_at),
            )
            for language, record, _ in group
        ]
        values = [value for _, record, _ in group for value in _classification_values(record)]
        statement = _CLASSIFICATION_INSERT.format(rows=", ".join([_CLASSIFICATION_PLACEHOLDERS] * len(group)))
        async with self._transaction() as connection:
            await connection.executemany(_USER_UPSERT, users)
            rows = await connection.execute_fetchall(
                statement + " RETURNING id, chat_id, message_id, file_unique_id", values
            )
        # The rows come back in no promised order, and a message already logged (or twice in
        # this group) returns no row: the first call for a message gets its id, any other None.
        ids = {
            (chat_id, message_id, file_unique_id): row_id
            for row_id, chat_id, message_id, file_unique_id in rows
        }
        return [
            ids.pop((record.chat_id, record.message_id, record.file_unique_id), None)
            for _, record, _ in group
        ]

    async def classifications_of_user(self, user_id: int) -> list[ClassificationRecord]:
        """Return a user's logged answers, oldest first."""
        rows = await self._fetch_all(
            f"SELECT {CLASSIFICATION_COLUMNS} FROM classifications WHERE user_id = ? ORDER BY created_at, id",
            (user_id,),
        )
        return [classification_from_row(row) for row in rows]

    async def classification_by_id(self, classification_id: int) -> ClassificationRecord | None:
        """Return one logged classification, or None when no row has that id."""
        rows = await self._fetch_all(
            f"SELECT {CLASSIFICATION_COLUMNS} FROM classifications WHERE id = ?", (classification_id,)
        )
        return classification_from_row(rows[0]) if rows else None

    async def delete_classifications_before(self, cutoff: datetime) -> int:
        """Delete classifications created before `cutoff` with their feedback, and return how many.

        Raises ValueError when `cutoff` is naive.
        """
        require_aware(cutoff, "cutoff")
        async with self._transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM classifications WHERE created_at < ?", (format_timestamp(cutoff),)
            )
            deleted = cursor.rowcount
        logger.info("Deleted %d classifications created before %s", deleted, cutoff.isoformat())
        return deleted

    # Summaries.

    async def style_summary(self, user_id: int, now: datetime, days: int = 30) -> StyleSummary:
        """Summarise a user's garments of all time and of the `days` days before `now`.

        Raises ValueError when `now` is naive or `days` is not positive.
        """
        async with self._lock:
            return await load_style_summary(self._connection, user_id, now, days)

    async def trend_summary(
        self,
        week_start: datetime,
        *,
        week_end: datetime | None = None,
        previous_start: datetime | None = None,
        previous_end: datetime | None = None,
        staff_user_ids: Collection[int] = (),
    ) -> TrendSummary:
        """Compare one week with the week before, in aggregates only.

        By default the week is the 7 days from `week_start` and the week before is the 7 days
        before it. Pass the other bounds for a calendar week in a local time zone, or for a week
        so far. The users in `staff_user_ids` are left out of every figure. Raises ValueError when a
        bound is naive or the bounds are out of order.
        """
        async with self._transaction("BEGIN") as connection:
            return await load_trend_summary(
                connection,
                week_start,
                week_end=week_end,
                previous_start=previous_start,
                previous_end=previous_end,
                staff_user_ids=staff_user_ids,
            )

    async def period_style(self, user_id: int, start: datetime, end: datetime) -> PeriodStyle:
        """Summarise a user's garments from `start` (included) to `end`, and their usual style before.

        Raises ValueError when a bound is naive or `end` is before `start`.
        """
        async with self._lock:
            return await load_period_style(self._connection, user_id, start, end)

    # Feedback.

    async def record_feedback(
        self,
        classification_id: int,
        user_id: int,
        verdict: str,
        corrected_label_id: int | None,
        model_input: bytes | None,
        at: datetime,
    ) -> None:
        """Store a verdict on one classification, replacing any earlier verdict on it.

        `corrected_label_id` is None exactly when the verdict is 'confirmed'. `model_input` is
        the 28x28 uint8 image the model saw, row by row, or None. Raises ValueError for a value
        that breaks these rules. Raises LookupError when no classification has
        `classification_id`, which happens when it was deleted after the reply was sent.
        """
        validate_feedback(verdict, corrected_label_id, model_input)
        async with self._transaction() as connection:
            async with connection.execute(
                "SELECT 1 FROM classifications WHERE id = ?", (classification_id,)
            ) as cursor:
                if await cursor.fetchone() is None:
                    raise LookupError(f"classification {classification_id} not found")
            await connection.execute(
                """
                INSERT INTO feedback (
                    classification_id, user_id, verdict, corrected_label_id, model_input, created_at
                ) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (classification_id) DO UPDATE SET
                    user_id = excluded.user_id,
                    verdict = excluded.verdict,
                    corrected_label_id = excluded.corrected_label_id,
                    model_input = excluded.model_input,
                    created_at = excluded.created_at
                """,
                (classification_id, user_id, verdict, corrected_label_id, model_input, format_timestamp(at)),
            )

    async def feedback_rows(self) -> list[FeedbackRow]:
        """Return every verdict with the classification it judges, oldest first, for exporting."""
        rows = await self._fetch_all(
            """
            SELECT f.classification_id, c.label, c.label_id, f.verdict, f.corrected_label_id,
                   f.model_input, c.model_version, f.created_at
            FROM feedback AS f JOIN classifications AS c ON c.id = f.classification_id
            ORDER BY f.created_at, f.id
            """
        )
        return [feedback_from_row(row) for row in rows]

    # Digest deliveries.

    async def record_delivery(self, period: str, kind: str, chat_id: int, status: str, at: datetime) -> None:
        """Store the outcome of one attempt to send a digest, counting the attempt.

        `period` names the digest's week, such as "2026-W49". Raises ValueError for a kind outside
        DELIVERY_KINDS or a status outside DELIVERY_STATUSES.
        """
        require_choice(kind, DELIVERY_KINDS, "kind")
        require_choice(status, DELIVERY_STATUSES, "status")
        async with self._transaction() as connection:
            await connection.execute(
                """
                INSERT INTO digest_deliveries (period, kind, chat_id, status, attempts, updated_at)
                VALUES (?, ?, ?, ?, 1, ?)
                ON CONFLICT (period, kind, chat_id) DO UPDATE SET
                    status = excluded.status,
                    attempts = digest_deliveries.attempts + 1,
                    updated_at = excluded.updated_at
                """,
                (period, kind, chat_id, status, format_timestamp(at)),
            )

    async def delivery_status(self, period: str, kind: str, chat_id: int) -> str | None:
        """Return the last recorded status of a digest delivery, None when none was attempted."""
        return await self._fetch_value(
            "SELECT status FROM digest_deliveries WHERE period = ? AND kind = ? AND chat_id = ?",
            (period, kind, chat_id),
        )

    async def deliveries(self, period: str, kind: str) -> list[DeliveryRecord]:
        """Return the recorded deliveries of one period's digest of one kind, by chat id."""
        rows = await self._fetch_all(
            """
            SELECT chat_id, status, attempts FROM digest_deliveries
            WHERE period = ? AND kind = ? ORDER BY chat_id
            """,
            (period, kind),
        )
        return [DeliveryRecord(chat_id, status, attempts) for chat_id, status, attempts in rows]

    async def latest_delivery_period(self) -> str | None:
        """Return the latest period of any recorded digest delivery, or None when there is none."""
        # Period labels such as "2026-W49" sort in time order as strings.
        return await self._fetch_value("SELECT MAX(period) FROM digest_deliveries")

    async def blocked_chat_ids(self, kind: str) -> set[int]:
        """Return the chats whose latest delivery of `kind` found the bot blocked.

        A chat whose user wrote to the bot after that delivery is left out, because writing
        shows they unblocked it. Writing updates `users.last_seen` through `record_user`.
        Raises ValueError for a kind outside DELIVERY_KINDS.
        """
        require_choice(kind, DELIVERY_KINDS, "kind")
        rows = await self._fetch_all(
            """
            SELECT latest.chat_id FROM (
                SELECT chat_id, status, updated_at,
                       ROW_NUMBER() OVER (PARTITION BY chat_id ORDER BY updated_at DESC) AS newest_first
                FROM digest_deliveries WHERE kind = ?
            ) AS latest
            LEFT JOIN users ON users.id = latest.chat_id
            WHERE latest.newest_first = 1 AND latest.status = 'blocked'
              AND (users.last_seen IS NULL OR users.last_seen <= latest.updated_at)
            """,
            (kind,),
        )
        return {row[0] for row in rows}

    # Whole database.

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete every row about a user in one transaction and return the deleted row count per table.

        That is the user's row, their classifications and those in their private chat (whose
        chat id is the user id), feedback they gave or that judges those classifications, and
        digest deliveries to their chat.
        """
        async with self._transaction() as connection:
            deleted = {
                "feedback": await _delete(
                    connection,
                    """
                    DELETE FROM feedback WHERE user_id = :user OR classification_id IN (
                        SELECT id FROM classifications WHERE user_id = :user OR chat_id = :user
                    )
                    """,
                    user_id,
                ),
                "classifications": await _delete(
                    connection,
                    "DELETE FROM classifications WHERE user_id = :user OR chat_id = :user",
                    user_id,
                ),
                "digest_deliveries": await _delete(
                    connection, "DELETE FROM digest_deliveries WHERE chat_id = :user", user_id
                ),
                "users": await _delete(connection, "DELETE FROM users WHERE id = :user", user_id),
            }
        await self._flush_write_ahead_log()
        logger.info("Deleted all rows about one user: %s", deleted)
        return deleted

    async def _flush_write_ahead_log(self) -> None:
        """Copy the write-ahead log into the file and empty it, so deleted rows leave no copy there.

        While a reader still uses an older snapshot, part of the log stays. SQLite's next automatic
        checkpoint, which runs as the log grows, empties it.
        """
        async with self._lock, self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            busy, _, _ = await cursor.fetchone()
        if busy:
            logger.info("The write-ahead log could not be emptied at once, because a reader was active")

    async def backup_to(self, path: Path | str) -> None:
        """Copy the whole database to `path` with SQLite's online backup, replacing that file.

        The copy is consistent. It contains every committed write made before the call and none
        made after. Raises ValueError when `path` is this database's own file.
        """
        target_path = Path(path)
        if target_path.resolve() == self.path.resolve():
            raise ValueError(f"cannot back up the database onto itself: {target_path}")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        # aiosqlite runs the backup in its worker thread, so the target connection must allow use
        # from a thread other than the one that opened it.
        target = sqlite3.connect(target_path, check_same_thread=False)
        try:
            async with self._lock:
                await self._connection.backup(target)
        finally:
            target.close()
        logger.info("Backed up the database to %s", target_path)

    async def count_rows(self, table: str) -> int:
        """Return the number of rows in one of the schema's tables."""
        if table not in await self.table_names():
            raise ValueError(f"unknown table {table!r}")
        return int(await self._fetch_value(f'SELECT COUNT(*) FROM "{table}"'))

    async def table_names(self) -> list[str]:
        """Return the names of the schema's tables."""
        rows = await self._fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [row[0] for row in rows]


async def _insert_user_if_missing(connection: aiosqlite.Connection, user_id: int, at: datetime) -> None:
    stamp = format_timestamp(at)
    await connection.execute(
        "INSERT OR IGNORE INTO users (id, first_seen, last_seen) VALUES (?, ?, ?)", (user_id, stamp, stamp)
    )


async def _delete(connection: aiosqlite.Connection, sql: str, user_id: int) -> int:
    cursor = await connection.execute(sql, {"user": user_id})
    return cursor.rowcount
