"""`fashion-assistant backup`: a consistent online copy taken by another process during writes."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.cli import main
from storage import Database
from storage.backup import backup_database_file
from tests.bot.bot_process import fashion_assistant_command

# Rows the writer commits before the backup starts, so the copy has something to prove.
ROWS_BEFORE_BACKUP = 200


def _read(path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


async def test_backup_during_writes_is_consistent(tmp_path, make_record):
    source = tmp_path / "fashion.db"
    copy = tmp_path / "backups" / "copy.db"
    database = await Database.open(source)
    committed: list[int] = []
    stop = asyncio.Event()

    async def write_rows() -> None:
        while not stop.is_set():
            committed.append(await database.record_classification(make_record()))

    writer = asyncio.create_task(write_rows())
    try:
        for _ in range(3000):
            if len(committed) >= ROWS_BEFORE_BACKUP:
                break
            await asyncio.sleep(0.01)
        committed_before = len(committed)
        backup = await asyncio.create_subprocess_exec(
            *fashion_assistant_command(),
            "backup",
            str(copy),
            "--database",
            str(source),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        output, errors = await asyncio.wait_for(backup.communicate(), timeout=120)
        committed_after = len(committed)
    finally:
        stop.set()
        await writer
        await database.close()

    assert backup.returncode == 0, errors.decode()
    assert b"integrity check ok" in output
    assert committed_before >= ROWS_BEFORE_BACKUP
    assert committed_after > committed_before, "the writer should keep committing during the backup"
    assert _read(copy, "PRAGMA integrity_check") == [("ok",)]
    copied_ids = [row_id for (row_id,) in _read(copy, "SELECT id FROM classifications ORDER BY id")]
    # Every row committed before the backup started is in the copy, and the copy is one snapshot:
    # the first N rows in commit order, with no gaps and nothing committed after it finished.
    assert copied_ids == committed[: len(copied_ids)]
    assert committed_before <= len(copied_ids) <= committed_after
    # One self-contained file: rollback journal, no -wal beside it, no partial file left.
    assert _read(copy, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(path.name for path in copy.parent.iterdir()) == ["copy.db"]


async def test_backup_replaces_older_copy(tmp_path, make_record):
    source = tmp_path / "fashion.db"
    copy = tmp_path / "copy.db"
    database = await Database.open(source)
    try:
        await database.record_classification(make_record())
        first = backup_database_file(source, copy)
        await database.record_classification(make_record())
        second = backup_database_file(source, copy)
    finally:
        await database.close()

    assert first.path == second.path == copy
    assert second.size_bytes == copy.stat().st_size
    assert _read(copy, "SELECT COUNT(*) FROM classifications") == [(2,)]


def test_missing_database_is_an_error(tmp_path, capsys):
    missing = tmp_path / "missing.db"

    status = main(["backup", str(tmp_path / "copy.db"), "--database", str(missing)])

    assert status == 2
    assert f"database not found: {missing}" in capsys.readouterr().err
    assert not missing.exists()
    assert not (tmp_path / "copy.db").exists()


async def test_backup_onto_itself_is_rejected(tmp_path, capsys):
    source = tmp_path / "fashion.db"
    database = await Database.open(source)
    await database.close()

    status = main(["backup", str(source), "--database", str(source)])

    assert status == 1
    assert "cannot back up the database onto itself" in capsys.readouterr().err


def test_database_from_environment(tmp_path, monkeypatch, capsys):
    source = tmp_path / "fashion.db"
    connection = sqlite3.connect(source)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.execute("INSERT INTO notes VALUES ('kept')")
    connection.commit()
    connection.close()
    monkeypatch.setenv("FASHION_DATABASE", str(source))

    status = main(["backup", str(tmp_path / "copy.db")])

    assert status == 0, capsys.readouterr().err
    assert _read(tmp_path / "copy.db", "SELECT text FROM notes") == [("kept",)]


async def test_backup_into_a_folder_keeps_the_file_name(tmp_path, capsys):
    source = tmp_path / "fashion.db"
    database = await Database.open(source)
    await database.close()
    folder = tmp_path / "backups"
    folder.mkdir()

    status = main(["backup", str(folder), "--database", str(source)])

    assert status == 0, capsys.readouterr().err
    assert _read(folder / "fashion.db", "PRAGMA integrity_check") == [("ok",)]
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".partial")] == []


async def test_backup_that_cannot_be_written_says_why(tmp_path, capsys):
    source = tmp_path / "fashion.db"
    database = await Database.open(source)
    await database.close()
    # The copy's folder would have to be created inside a regular file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me")

    status = main(["backup", str(blocker / "copy.db"), "--database", str(source)])

    error = capsys.readouterr().err
    assert status == 1
    assert f"backup of {source} failed" in error
    assert "Traceback" not in error
    assert blocker.read_text() == "keep me"
