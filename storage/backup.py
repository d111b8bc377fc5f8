"""Online backup of a database file through a connection of its own, while the bot keeps writing.

`Database.backup_to` copies from the bot's own connection. This module serves
`fashion-assistant backup`, which runs in another process: it opens the file separately and
copies it with SQLite's backup API in one step. One step reads a single snapshot, so the copy
contains every transaction committed before the step began and none committed after. In WAL mode
the snapshot does not block the bot's writes. (A copy made in several steps would restart each
time the bot commits, and might never finish under steady load.)

The copy is written beside the target, checked with `PRAGMA integrity_check`, switched to a
rollback journal so that it is one self-contained file, and then renamed over the target, so an
interrupted backup never leaves a partial file at the target path.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BackupResult", "backup_database_file"]

logger = logging.getLogger(__name__)

# How long the backup waits for a lock that the bot holds.
BUSY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where it is, its size and its page count."""

    path: Path
    size_bytes: int
    pages: int


def backup_database_file(source: Path | str, target: Path | str) -> BackupResult:
    """Copy the SQLite database at `source` to `target`, replacing `target`.

    A `target` that is a folder gets the copy under the source's file name. Raises
    FileNotFoundError when `source` does not exist, ValueError when `target` is the source
    itself, sqlite3.DatabaseError when the copy fails its integrity check, and OSError when the
    copy cannot be written.
    """
    source_path = Path(source)
    target_path = Path(target)
    if target_path.is_dir():
        target_path = target_path / source_path.name
    if not source_path.is_file():
        raise FileNotFoundError(f"database not found: {source_path}. Pass --database or set FASHION_DATABASE")
    if target_path.resolve() == source_path.resolve():
        raise ValueError(f"cannot back up the database onto itself: {target_path}")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = target_path.with_name(f".{target_path.name}.partial")
    _remove_database_files(partial_path)

    # mode=rw opens the existing file only; a plain connect would create an empty one.
    source_connection = sqlite3.connect(
        f"{source_path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_SECONDS
    )
    try:
        copy = sqlite3.connect(partial_path)
        try:
            source_connection.backup(copy)
            _check_integrity(copy, source_path)
            copy.execute("PRAGMA journal_mode=DELETE")
            (pages,) = copy.execute("PRAGMA page_count").fetchone()
        finally:
            copy.close()
    except BaseException:
        _remove_database_files(partial_path)
        raise
    finally:
        source_connection.close()

    try:
        os.replace(partial_path, target_path)
    except OSError:
        _remove_database_files(partial_path)
        raise
    result = BackupResult(target_path, target_path.stat().st_size, pages)
    logger.debug("Backed up %s to %s: %d pages, %d bytes", source_path, target_path, pages, result.size_bytes)
    return result


def _check_integrity(connection: sqlite3.Connection, source_path: Path) -> None:
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        problems = "; ".join(row[0] for row in rows[:5])
        raise sqlite3.DatabaseError(f"the copy of {source_path} failed PRAGMA integrity_check: {problems}")


def _remove_database_files(path: Path) -> None:
    """Delete a database file and its -wal, -shm and -journal files, if present."""
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        candidate.unlink(missing_ok=True)
