"""Webhook mode end to end: `fashion-assistant run` with FASHION_WEBHOOK_URL on a loopback port.

The bot calls setWebhook on the emulator, which then POSTs updates with the secret header. A
direct POST from the test without the header, or with a wrong one, is rejected with 403 and
leaves no reply and no row. The same request with the right secret is answered, which shows the
rejected requests would have been handled had they passed. The child logs JSON lines here
(FASHION_LOG_JSON=1), so the test also reads the per-update fields.
"""

from __future__ import annotations

import copy
import http.client
import json
import signal
import socket

import pytest

from tests.bot.bot_process import BotProcess, classification_keys, wait_until
from tests.conftest import DEMO_PHOTOS_DIR

SECRET = "webhook-secret_for-tests-0123456789"
HOOK_PATH = "/telegram-hook"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post_update(port: int, update: dict, secret: str | None) -> int:
    """POST an update to the bot's webhook server and return the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", HOOK_PATH, body=json.dumps(update).encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _copy_as_new_message(update: dict, update_id: int, message_id: int) -> dict:
    """Return a copy of a photo update with new update and message ids (same chat, same file)."""
    changed = copy.deepcopy(update)
    changed["update_id"] = update_id
    changed["message"]["message_id"] = message_id
    return changed


@pytest.fixture
def webhook_bot(emulator, tmp_path, shipped_model):
    port = _free_port()
    url = f"http://127.0.0.1:{port}{HOOK_PATH}"
    bot = BotProcess(
        emulator,
        database_path=tmp_path / "fashion.db",
        model_path=shipped_model,
        log_path=tmp_path / "bot.log",
        extra_environment={
            "FASHION_WEBHOOK_URL": url,
            "FASHION_WEBHOOK_SECRET": SECRET,
            "FASHION_WEBHOOK_LISTEN": "127.0.0.1",
            "FASHION_WEBHOOK_PORT": str(port),
            "FASHION_LOG_JSON": "1",
        },
    )
    bot.start()
    try:
        wait_until(lambda: emulator.webhook_url() == url, 30, "the bot to set its webhook")
        wait_until(lambda: _accepts_connections(port), 30, "the webhook server to listen")
        yield bot, port
    finally:
        bot.stop()


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# LiteRT's native code prints this line to standard error when it loads the model, outside
# Python's logging, so it is the one line that is not JSON.
LITERT_NATIVE_LINE = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."


def _log_entries(bot: BotProcess) -> list[dict]:
    """Parse the child's log; every line but LiteRT's native one must be a JSON object."""
    lines = [line for line in bot.log().splitlines() if line.strip() and line != LITERT_NATIVE_LINE]
    return [json.loads(line) for line in lines]


def test_webhook_delivers_and_rejects_bad_secret(webhook_bot, emulator, tmp_path):
    bot, port = webhook_bot
    alice = emulator.user(id=8001, first_name="Alice", language_code="en")
    photo_update_id = emulator.send_photo(alice, (DEMO_PHOTOS_DIR / "dress.jpg").read_bytes())
    (reply,) = emulator.wait_for_messages(alice.id, 1, timeout=30)
    assert "I see:" in reply.text
    assert [chat_id for chat_id, _ in classification_keys(tmp_path / "fashion.db")] == [alice.id]

    delivered = emulator.get_update(photo_update_id)
    message_id = delivered["message"]["message_id"]
    without_secret = _copy_as_new_message(delivered, photo_update_id + 1000, message_id + 1000)
    wrong_secret = _copy_as_new_message(delivered, photo_update_id + 1001, message_id + 1001)
    right_secret = _copy_as_new_message(delivered, photo_update_id + 1002, message_id + 1002)

    assert _post_update(port, without_secret, secret=None) == 403
    assert _post_update(port, wrong_secret, secret="not-the-secret") == 403
    assert _post_update(port, right_secret, secret=SECRET) == 200
    emulator.wait_for_messages(alice.id, 2, timeout=30)

    recorded_message_ids = [message_id for _, message_id in classification_keys(tmp_path / "fashion.db")]
    assert recorded_message_ids == [message_id, message_id + 1002]
    assert len(emulator.sent_messages(alice.id)) == 2

    bot.send_signal(signal.SIGTERM)
    assert bot.wait() == 0
    handled = [entry for entry in _log_entries(bot) if entry["message"].startswith("Handled update")]
    assert [entry["update_id"] for entry in handled] == [photo_update_id, photo_update_id + 1002]
    assert {entry["kind"] for entry in handled} == {"photo"}
    assert {entry["handler"] for entry in handled} == {"handle_photo"}
    assert {entry["outcome"] for entry in handled} == {"ok"}
    assert all(isinstance(entry["duration_ms"], int) for entry in handled)
    # The webhook stays set, so Telegram keeps updates while the bot is down.
    assert emulator.webhook_url() is not None
