"""`fashion-assistant digest --preview`: prints the staff digest and writes its chart, sends nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.cli import main
from bot.i18n import date_range
from storage import ClassificationRecord, Database
from tests.conftest import other_program_database

ROME = ZoneInfo("Europe/Rome")
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def digest_environment(monkeypatch):
    """Digest variables for the preview, and no token: the preview must not need one."""
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("FASHION_STAFF_CHAT_IDS", raising=False)
    monkeypatch.setenv("FASHION_STAFF_LANGUAGE", "en")
    monkeypatch.setenv("FASHION_TIMEZONE", "Europe/Rome")


@pytest.fixture
def database_path(tmp_path):
    """A database with two dresses in 2025-W49 and one coat in 2025-W48, weeks that are over."""

    async def store() -> None:
        database = await Database.open(tmp_path / "fashion.db")
        try:
            photos = [
                ("Dress", datetime(2025, 12, 1, 10, 0, tzinfo=ROME)),
                ("Dress", datetime(2025, 12, 7, 23, 30, tzinfo=ROME)),
                ("Coat", datetime(2025, 11, 25, 10, 0, tzinfo=ROME)),
            ]
            for number, (label, created_at) in enumerate(photos):
                await database.record_classification(
                    ClassificationRecord(
                        user_id=7,
                        chat_id=7,
                        message_id=number + 1,
                        file_unique_id=f"photo-{number}",
                        label=label,
                        label_id=0,
                        confidence=0.9,
                        top3=((label, 0.9),),
                        model_version="test-model",
                        created_at=created_at,
                    )
                )
        finally:
            await database.close()

    asyncio.run(store())
    return tmp_path / "fashion.db"


def test_preview_prints_plain_text_and_writes_chart(digest_environment, database_path, tmp_path, capsys):
    output_dir = tmp_path / "out"

    status = main(
        [
            "digest",
            "--preview",
            "--week",
            "2025-W49",
            "--database",
            str(database_path),
            "--output-dir",
            str(output_dir),
        ]
    )

    output = capsys.readouterr().out
    assert status == 0
    assert output.startswith("Weekly digest 2025-W49\n1 to 7 December 2025\n")
    assert "Dress: 2 (+2)\nCoat: 0 (-1, -100%)" in output
    assert "<b>" not in output
    chart_path = output_dir / "digest-2025-W49.png"
    assert f"Chart written to {chart_path}" in output
    with Image.open(chart_path) as chart:
        assert chart.format == "PNG"


def test_preview_of_current_week_is_so_far(digest_environment, database_path, tmp_path, capsys):
    now = datetime.now(ROME)
    year, week, _ = now.isocalendar()
    monday = (now - timedelta(days=now.weekday())).date()

    status = main(
        ["digest", "--preview", "--week", f"{year}-W{week:02d}", "--database", str(database_path)]
        + ["--output-dir", str(tmp_path)]
    )

    output = capsys.readouterr().out
    assert status == 0
    assert output.startswith(f"Digest of {year}-W{week:02d} so far\n{date_range(monday, now.date(), 'en')}\n")


def test_preview_rejects_future_week(digest_environment, database_path, tmp_path, capsys):
    year, week, _ = (datetime.now(ROME) + timedelta(days=14)).isocalendar()

    status = main(
        ["digest", "--preview", "--week", f"{year}-W{week:02d}", "--database", str(database_path)]
        + ["--output-dir", str(tmp_path)]
    )

    assert status == 2
    assert f"--week: week {year}-W{week:02d} has not started yet" in capsys.readouterr().err
    assert not list(tmp_path.glob("digest-*.png"))


def test_preview_needs_existing_database(digest_environment, tmp_path, capsys):
    missing = tmp_path / "missing.db"

    status = main(["digest", "--preview", "--database", str(missing), "--output-dir", str(tmp_path)])

    assert status == 2
    assert f"database not found: {missing}" in capsys.readouterr().err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["digest", "--preview", "--week", "2026-49"], "expected an ISO week such as 2026-W49"),
        (["digest", "--preview", "--week", "2025-W53"], "2025 has no ISO week 53"),
        (["digest", "--week", "2026-W49"], "the following arguments are required: --preview"),
    ],
    ids=["bad-week", "missing-week", "no-preview"],
)
def test_preview_rejects_bad_arguments(digest_environment, arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_preview_rejects_bad_timezone(digest_environment, database_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FASHION_TIMEZONE", "Mars/Olympus")

    status = main(["digest", "--preview", "--database", str(database_path), "--output-dir", str(tmp_path)])

    assert status == 2
    assert "FASHION_TIMEZONE: unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_preview_says_whether_staff_are_left_out(
    digest_environment, database_path, tmp_path, monkeypatch, capsys
):
    arguments = ["digest", "--preview", "--week", "2025-W49", "--database", str(database_path)]
    arguments += ["--output-dir", str(tmp_path)]

    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert "Dress: 2 (+2)" in output
    assert "FASHION_STAFF_CHAT_IDS names no staff member here, so every user counts as a customer" in output

    # User 7, who sent every photo, is a staff member: the bot's digest leaves their photos out.
    monkeypatch.setenv("FASHION_STAFF_CHAT_IDS", "7,-1001234")
    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert "Photos classified: 0\n" in output
    assert "Dress" not in output
    assert "Left out as staff: 1 user(s) of FASHION_STAFF_CHAT_IDS" in output


def test_preview_rejects_non_database_file(digest_environment, tmp_path, capsys):
    photo = tmp_path / "bag.jpg"
    Image.new("RGB", (8, 8)).save(photo)
    before = photo.read_bytes()

    status = main(["digest", "--preview", "--database", str(photo), "--output-dir", str(tmp_path)])

    assert status == 1
    error = capsys.readouterr().err
    assert f"cannot read {photo}: file is not a database" in error
    assert "Traceback" not in error
    assert photo.read_bytes() == before


@pytest.mark.parametrize("command", ["digest --preview", "export-feedback --output out"])
def test_database_that_is_a_folder(digest_environment, tmp_path, capsys, command):
    status = main([*command.split(), "--database", str(tmp_path)])

    assert status == 2
    assert f"{tmp_path} is a folder, not a database file" in capsys.readouterr().err


def test_preview_changes_nothing_in_the_file(digest_environment, database_path, tmp_path, capsys):
    # A backup is one file in rollback-journal mode; the bot's own connection would switch it to WAL.
    copy = tmp_path / "copy.db"
    assert main(["backup", str(copy), "--database", str(database_path)]) == 0
    before = copy.read_bytes()

    status = main(
        ["digest", "--preview", "--week", "2025-W49", "--database", str(copy), "--output-dir", str(tmp_path)]
    )

    assert status == 0, capsys.readouterr().err
    assert "Dress: 2 (+2)" in capsys.readouterr().out
    assert copy.read_bytes() == before
    assert sorted(path.name for path in tmp_path.glob("copy.db*")) == ["copy.db"]


def test_export_into_a_file_says_why(digest_environment, database_path, tmp_path, capsys):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("keep me")

    status = main(["export-feedback", "--database", str(database_path), "--output", str(not_a_folder)])

    assert status == 1
    assert f"--output {not_a_folder}: cannot write: File exists" in capsys.readouterr().err
    assert not_a_folder.read_text() == "keep me"


def test_preview_leaves_other_databases_alone(digest_environment, tmp_path, capsys):
    other = tmp_path / "shop.db"
    before = other_program_database(other)

    status = main(["digest", "--preview", "--database", str(other), "--output-dir", str(tmp_path)])

    assert status == 1
    assert "is not a Fashion Assistant database: it has no classifications table" in capsys.readouterr().err
    assert other.read_bytes() == before


def test_preview_output_dir_that_is_a_file(digest_environment, database_path, tmp_path, capsys):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("keep me")

    status = main(
        ["digest", "--preview", "--database", str(database_path), "--output-dir", str(not_a_folder)]
    )

    assert status == 1
    assert f"--output-dir: {not_a_folder} is a file, not a folder" in capsys.readouterr().err
    assert not_a_folder.read_text() == "keep me"


def test_preview_into_a_closed_pipe_ends_quietly(digest_environment, database_path, tmp_path):
    """`digest --preview | head -1` must not end in a stack trace when head stops reading."""
    command = [sys.executable, "-m", "bot", "digest", "--preview", "--database", str(database_path)]
    command += ["--output-dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPOSITORY)
    # The reader goes away before the preview is printed: starting Python alone takes longer.
    process.stdout.close()
    _, error = process.communicate(timeout=120)

    assert process.returncode == 1
    assert b"Traceback" not in error
    assert b"BrokenPipeError" not in error
