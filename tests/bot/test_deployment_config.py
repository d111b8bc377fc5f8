"""Configuration for production: webhook mode, logging and shutdown variables, and the model path."""

from __future__ import annotations

import pytest

from bot.config import (
    DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
    ConfigError,
    WebhookSettings,
    load_logging_settings,
    load_settings,
)

URL = "https://bot.example.com/telegram"
SECRET = "s3cret_Value-123"


def test_webhook_off_without_url():
    # The Docker image sets FASHION_WEBHOOK_LISTEN for everyone; alone it does not switch modes.
    settings = load_settings({"FASHION_WEBHOOK_LISTEN": "0.0.0.0"})

    assert settings.webhook is None
    assert settings.shutdown_timeout == DEFAULT_SHUTDOWN_TIMEOUT_SECONDS


def test_webhook_defaults():
    webhook = load_settings({"FASHION_WEBHOOK_URL": URL, "FASHION_WEBHOOK_SECRET": SECRET}).webhook

    assert webhook == WebhookSettings(url=URL, secret=SECRET, listen="127.0.0.1", port=8443)
    assert webhook.path == "/telegram"
    assert SECRET not in repr(webhook)


def test_webhook_listen_and_port():
    webhook = load_settings(
        {
            "FASHION_WEBHOOK_URL": "https://bot.example.com/",
            "FASHION_WEBHOOK_SECRET": SECRET,
            "FASHION_WEBHOOK_LISTEN": "0.0.0.0",
            "FASHION_WEBHOOK_PORT": "8080",
        }
    ).webhook

    assert (webhook.listen, webhook.port, webhook.path) == ("0.0.0.0", 8080, "")


def test_http_webhook_allowed_on_loopback_only():
    loopback = load_settings(
        {"FASHION_WEBHOOK_URL": "http://127.0.0.1:9000/hook", "FASHION_WEBHOOK_SECRET": SECRET}
    )

    assert loopback.webhook.url == "http://127.0.0.1:9000/hook"
    with pytest.raises(ConfigError, match="FASHION_WEBHOOK_URL must use https"):
        load_settings(
            {"FASHION_WEBHOOK_URL": "http://bot.example.com/hook", "FASHION_WEBHOOK_SECRET": SECRET}
        )


@pytest.mark.parametrize(
    ("environment", "name"),
    [
        ({"FASHION_WEBHOOK_URL": URL}, "FASHION_WEBHOOK_SECRET is not set"),
        (
            {"FASHION_WEBHOOK_URL": URL, "FASHION_WEBHOOK_SECRET": "has spaces in it"},
            "FASHION_WEBHOOK_SECRET may only",
        ),
        (
            {"FASHION_WEBHOOK_URL": URL, "FASHION_WEBHOOK_SECRET": "x" * 257},
            "FASHION_WEBHOOK_SECRET is 257 characters",
        ),
        ({"FASHION_WEBHOOK_URL": "bot.example.com", "FASHION_WEBHOOK_SECRET": SECRET}, "FASHION_WEBHOOK_URL"),
        ({"FASHION_WEBHOOK_URL": URL + "?a=1", "FASHION_WEBHOOK_SECRET": SECRET}, "FASHION_WEBHOOK_URL"),
        (
            {"FASHION_WEBHOOK_URL": URL, "FASHION_WEBHOOK_SECRET": SECRET, "FASHION_WEBHOOK_PORT": "70000"},
            "FASHION_WEBHOOK_PORT",
        ),
        (
            {"FASHION_WEBHOOK_URL": URL, "FASHION_WEBHOOK_SECRET": SECRET, "FASHION_WEBHOOK_PORT": "http"},
            "FASHION_WEBHOOK_PORT",
        ),
        (
            {
                "FASHION_WEBHOOK_URL": URL,
                "FASHION_WEBHOOK_SECRET": SECRET,
                "FASHION_WEBHOOK_LISTEN": "example.com",
            },
            "FASHION_WEBHOOK_LISTEN",
        ),
        ({"FASHION_WEBHOOK_PORT": "x"}, "FASHION_WEBHOOK_PORT"),
        ({"FASHION_WEBHOOK_LISTEN": "example.com"}, "FASHION_WEBHOOK_LISTEN"),
        ({"FASHION_WEBHOOK_SECRET": "has spaces in it"}, "FASHION_WEBHOOK_SECRET may only"),
        ({"FASHION_SHUTDOWN_TIMEOUT": "0"}, "FASHION_SHUTDOWN_TIMEOUT"),
        ({"FASHION_SHUTDOWN_TIMEOUT": "soon"}, "FASHION_SHUTDOWN_TIMEOUT"),
        (
            {
                "FASHION_WEBHOOK_URL": "https://bot.example.com:1234/telegram",
                "FASHION_WEBHOOK_SECRET": SECRET,
            },
            "FASHION_WEBHOOK_URL must use port 443, 80, 88 or 8443",
        ),
        (
            {"FASHION_WEBHOOK_URL": "https://bot.example.com/tele gram", "FASHION_WEBHOOK_SECRET": SECRET},
            "FASHION_WEBHOOK_URL must be an https URL",
        ),
    ],
    ids=[
        "secret-missing",
        "secret-bad-characters",
        "secret-too-long",
        "url-without-scheme",
        "url-with-query",
        "port-out-of-range",
        "port-not-a-number",
        "listen-not-an-address",
        "polling-port-not-a-number",
        "polling-listen-not-an-address",
        "polling-secret-bad-characters",
        "shutdown-zero",
        "shutdown-not-a-number",
        "url-port-telegram-does-not-post-to",
        "url-with-space",
    ],
)
def test_bad_value_names_the_variable(environment, name):
    with pytest.raises(ConfigError, match=name):
        load_settings(environment)


def test_secret_is_not_repeated_in_errors():
    bad_secret = "secret with spaces"
    with pytest.raises(ConfigError) as raised:
        load_settings({"FASHION_WEBHOOK_URL": URL, "FASHION_WEBHOOK_SECRET": bad_secret})

    assert bad_secret not in str(raised.value)


def test_webhook_url_on_a_telegram_port_is_accepted():
    url = "https://bot.example.com:8443/telegram"
    assert load_settings({"FASHION_WEBHOOK_URL": url, "FASHION_WEBHOOK_SECRET": SECRET}).webhook.url == url


@pytest.mark.parametrize(
    "environment",
    [
        {"TELEGRAM_API_BASE_URL": "ftp://shop:pa55word@proxy.example.com/bot"},
        {
            "FASHION_WEBHOOK_URL": "ftp://shop:pa55word@bot.example.com/telegram",
            "FASHION_WEBHOOK_SECRET": SECRET,
        },
    ],
    ids=["base-url", "webhook-url"],
)
def test_url_password_hidden_in_errors(environment):
    with pytest.raises(ConfigError) as raised:
        load_settings(environment)

    assert "pa55word" not in str(raised.value)
    assert "***@" in str(raised.value)


def test_shutdown_timeout_accepts_fractions():
    assert load_settings({"FASHION_SHUTDOWN_TIMEOUT": "2.5"}).shutdown_timeout == 2.5


@pytest.mark.parametrize(
    ("environment", "name"),
    [
        ({"FASHION_LOG_LEVEL": "LOUD"}, "FASHION_LOG_LEVEL"),
        ({"FASHION_LOG_JSON": "maybe"}, "FASHION_LOG_JSON"),
    ],
    ids=["level", "json"],
)
def test_bad_logging_value_names_the_variable(environment, name):
    with pytest.raises(ConfigError, match=name):
        load_logging_settings(environment)


@pytest.mark.parametrize(
    ("value", "json_lines"), [("yes", True), ("true", True), ("no", False), ("0", False)]
)
def test_log_json_words_in_message_are_accepted(value, json_lines):
    assert load_logging_settings({"FASHION_LOG_JSON": value}).json_lines is json_lines
    with pytest.raises(ConfigError) as raised:
        load_logging_settings({"FASHION_LOG_JSON": "maybe"})
    assert value in str(raised.value)


def test_missing_default_model_asks_for_fashion_model(monkeypatch, tmp_path):
    # As in a non-editable install, where the source tree's models/ folder is absent.
    monkeypatch.setattr("bot.config.DEFAULT_MODEL_PATH", tmp_path / "models" / "fashion.tflite")

    with pytest.raises(ConfigError, match="FASHION_MODEL is not set and the default model .* was not found"):
        load_settings({})


def test_model_folder_named_in_error(tmp_path):
    with pytest.raises(ConfigError, match="FASHION_MODEL must be a .tflite file, but .* is a folder"):
        load_settings({"FASHION_MODEL": str(tmp_path)})
