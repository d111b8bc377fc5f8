"""Configuration: defaults, and a bad value fails with a message that names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456:TEST-token-for-the-emulator"


def test_defaults_point_at_telegram(shipped_model):
    settings = load_settings({})
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.file_base_url == "https://api.telegram.org/file/bot"
    assert settings.database_path == Path("data/fashion.db")
    assert settings.model_path == shipped_model
    assert settings.token is None
    assert settings.analysis_processes == 1


def test_token_is_not_in_repr():
    settings = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.require_token() == TOKEN
    assert TOKEN not in repr(settings)


def test_missing_token_names_the_variable():
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({}).require_token()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_BASE_URL", "ftp://127.0.0.1/bot"),
        ("TELEGRAM_FILE_BASE_URL", "just-words"),
        ("FASHION_MODEL", "/nonexistent/model.tflite"),
        ("FASHION_ANALYSIS_PROCESSES", "-1"),
        ("FASHION_ANALYSIS_PROCESSES", "two"),
        ("FASHION_ANALYSIS_PROCESSES", "64"),
    ],
)
def test_bad_value_names_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_database_path_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="FASHION_DATABASE"):
        load_settings({"FASHION_DATABASE": str(tmp_path)})


def test_model_must_be_tflite(tmp_path):
    keras_file = tmp_path / "model.keras"
    keras_file.write_bytes(b"x")
    with pytest.raises(ConfigError, match="FASHION_MODEL"):
        load_settings({"FASHION_MODEL": str(keras_file)})


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("2", 2), (" 1 ", 1), ("", 1)])
def test_analysis_processes_read_from_environment(value, expected):
    assert load_settings({"FASHION_ANALYSIS_PROCESSES": value}).analysis_processes == expected


def _variable_names(error: ConfigError) -> list[str]:
    """Return the variable that each message of `error` names first, in order."""
    return [message.split(maxsplit=1)[0].rstrip(":") for message in error.messages]


def test_every_bad_value_is_reported_at_once(tmp_path):
    environment = {
        "TELEGRAM_API_BASE_URL": "ftp://127.0.0.1/bot",
        "FASHION_DATABASE": str(tmp_path),
        "FASHION_TIMEZONE": "Mars/Olympus",
        "FASHION_STAFF_LANGUAGE": "de",
        "FASHION_WEBHOOK_PORT": "0",
        "FASHION_WEBHOOK_URL": "https://bot.example.com/telegram?x=1",
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(environment)

    names = _variable_names(raised.value)
    assert names == [
        "TELEGRAM_API_BASE_URL",
        "FASHION_DATABASE",
        "FASHION_TIMEZONE",
        "FASHION_STAFF_LANGUAGE",
        "FASHION_WEBHOOK_PORT",
        "FASHION_WEBHOOK_URL",
    ]
    assert str(raised.value).count("\n") == 5


@pytest.mark.parametrize(
    "variables",
    [
        {"FASHION_RETENTION_DAYS": "soon", "FASHION_SHUTDOWN_TIMEOUT": "-1"},
        # The command line applies the log settings first, and still reports them with the rest.
        {"FASHION_RETENTION_DAYS": "soon", "FASHION_LOG_LEVEL": "loud"},
    ],
    ids=["settings", "with-log-level"],
)
def test_run_prints_a_line_per_bad_value(monkeypatch, capsys, variables):
    from bot.cli import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCdefGHIjklMNOpqr")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    status = main(["run"])

    lines = capsys.readouterr().err.splitlines()
    assert status == 2
    assert [line.split()[2] for line in lines] == list(variables)
    assert all(line.startswith("fashion-assistant: error: ") for line in lines)


def test_missing_token_and_secret_listed():
    environment = {
        "FASHION_RETENTION_DAYS": "0",
        "FASHION_WEBHOOK_URL": "https://bot.example.com/telegram",
        "FASHION_WEBHOOK_PORT": "70000",
        "FASHION_LOG_LEVEL": "bogus",
        "FASHION_LOG_JSON": "maybe",
    }
    with pytest.raises(ConfigError) as raised:
        load_settings(environment, require_token=True)

    names = _variable_names(raised.value)
    assert names == [
        "TELEGRAM_BOT_TOKEN",
        "FASHION_RETENTION_DAYS",
        "FASHION_WEBHOOK_PORT",
        "FASHION_WEBHOOK_SECRET",
        "FASHION_LOG_LEVEL",
        "FASHION_LOG_JSON",
    ]
