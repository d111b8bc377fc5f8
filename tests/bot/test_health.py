"""`fashion-assistant health`: exit 0 when configuration, model and database are usable, else 1."""

from __future__ import annotations

import sqlite3

import pytest

from bot.cli import main
from bot.health import check_health
from tests.bot.bot_process import TOKEN


@pytest.fixture
def healthy_environment(tmp_path, shipped_model) -> dict[str, str]:
    database_path = tmp_path / "fashion.db"
    connection = sqlite3.connect(database_path)
    connection.execute("PRAGMA user_version = 2")
    connection.close()
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "FASHION_DATABASE": str(database_path),
        "FASHION_MODEL": str(shipped_model),
    }


def test_healthy_setup_passes(healthy_environment):
    report = check_health(healthy_environment)

    assert report.healthy, report.message
    assert report.message.startswith("ok: model ")
    assert "schema version 2" in report.message


def test_missing_token_fails(healthy_environment):
    del healthy_environment["TELEGRAM_BOT_TOKEN"]

    report = check_health(healthy_environment)

    assert not report.healthy
    assert "TELEGRAM_BOT_TOKEN" in report.message


def test_broken_model_fails(healthy_environment, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"this is not a flatbuffer")
    healthy_environment["FASHION_MODEL"] = str(broken)

    report = check_health(healthy_environment)

    assert not report.healthy
    assert report.message.startswith(f"model {broken} failed to load")


def test_missing_database_fails_without_creating_it(healthy_environment, tmp_path):
    missing = tmp_path / "missing" / "fashion.db"
    healthy_environment["FASHION_DATABASE"] = str(missing)

    report = check_health(healthy_environment)

    assert not report.healthy
    assert "database not found" in report.message
    assert not missing.exists()


def test_file_that_is_not_a_database_fails(healthy_environment, tmp_path):
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_bytes(b"plain text, not SQLite" * 100)
    healthy_environment["FASHION_DATABASE"] = str(not_a_database)

    report = check_health(healthy_environment)

    assert not report.healthy
    assert report.message.startswith(f"database {not_a_database} failed")


def test_command_exit_status_and_one_line(healthy_environment, monkeypatch, capsys):
    for name, value in healthy_environment.items():
        monkeypatch.setenv(name, value)
    assert main(["health"]) == 0
    healthy_output = capsys.readouterr().out

    monkeypatch.setenv("FASHION_DATABASE", healthy_environment["FASHION_DATABASE"] + ".missing")
    assert main(["health"]) == 1
    unhealthy_output = capsys.readouterr().out

    assert healthy_output.count("\n") == 1
    assert healthy_output.startswith("ok: ")
    assert unhealthy_output.count("\n") == 1
    assert unhealthy_output.startswith("unhealthy: database not found")


def test_bad_values_share_one_line(healthy_environment):
    healthy_environment["FASHION_TIMEZONE"] = "Mars/Olympus"
    healthy_environment["FASHION_ANALYSIS_PROCESSES"] = "many"

    report = check_health(healthy_environment)

    assert not report.healthy
    assert "\n" not in report.message
    assert "FASHION_TIMEZONE" in report.message
    assert "FASHION_ANALYSIS_PROCESSES" in report.message


def test_bad_log_setting_is_unhealthy(healthy_environment, monkeypatch, capsys):
    for name, value in healthy_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FASHION_LOG_JSON", "maybe")

    status = main(["health"])

    output = capsys.readouterr().out
    assert status == 1
    assert output.startswith("unhealthy: configuration: FASHION_LOG_JSON ")
    assert output.count("\n") == 1
