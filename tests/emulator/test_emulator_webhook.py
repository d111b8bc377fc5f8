"""Tests of webhook mode: the emulator POSTs updates to a small local HTTP server.

The receiving server is an http.server bound to 127.0.0.1 on an ephemeral port,
started by the fixture below. Only loopback URLs are ever set as webhooks,
except in the test that checks that other hosts are rejected before any
connection is made.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from emulator import BotApiEmulator

SECRET = "s3cret_token-1"


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WebhookReceiver:
    """Records the requests it receives and returns HTTP 500 for the first ``failures`` of them."""

    url: str
    failures: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        with self.condition:
            arrived = self.condition.wait_for(lambda: len(self.requests) >= count, timeout)
        assert arrived, f"expected {count} webhook requests, got {len(self.requests)}"
        return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.condition:
                state.requests.append(
                    ReceivedRequest(self.path, dict(self.headers.items()), json.loads(body))
                )
                failing = state.failures > 0
                state.failures -= 1
                state.condition.notify_all()
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/telegram/hook"
    yield state
    server.shutdown()
    server.server_close()


def _wait_until_nothing_pending(emulator: BotApiEmulator, timeout: float = 5.0) -> None:
    # The receiver records a request before its response reaches the emulator,
    # so the update may still be pending for a moment after wait_for returns.
    deadline = time.monotonic() + timeout
    while emulator.pending_update_count() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_webhook_delivers_with_secret(api, emulator: BotApiEmulator, receiver: WebhookReceiver) -> None:
    response = api.call("setWebhook", url=receiver.url, secret_token=SECRET)
    alice = emulator.user(id=1001, first_name="Alice")

    update_id = emulator.send_text(alice, "/start")

    [request] = receiver.wait_for(1)
    assert response.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    assert request.path == "/telegram/hook"
    assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert request.headers["Content-Type"] == "application/json"
    assert request.body["update_id"] == update_id
    assert request.body["message"]["text"] == "/start"


def test_webhook_without_secret_sends_no_header(
    api, emulator: BotApiEmulator, receiver: WebhookReceiver
) -> None:
    api.result("setWebhook", url=receiver.url)
    emulator.send_text(emulator.user(id=1001, first_name="Alice"), "hi")

    [request] = receiver.wait_for(1)

    assert "X-Telegram-Bot-Api-Secret-Token" not in request.headers


def test_webhook_delivers_in_order(api, emulator: BotApiEmulator, receiver: WebhookReceiver) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    queued_before = [emulator.send_text(alice, f"early {i}") for i in range(3)]
    api.result("setWebhook", url=receiver.url)
    queued_after = [emulator.send_text(alice, f"late {i}") for i in range(3)]

    requests = receiver.wait_for(6)

    assert [r.body["update_id"] for r in requests] == queued_before + queued_after


def test_webhook_retries_after_failure(api, emulator: BotApiEmulator, receiver: WebhookReceiver) -> None:
    receiver.failures = 1
    api.result("setWebhook", url=receiver.url)

    update_id = emulator.send_text(emulator.user(id=1001, first_name="Alice"), "retry me")

    requests = receiver.wait_for(2)
    _wait_until_nothing_pending(emulator)
    assert [r.body["update_id"] for r in requests] == [update_id, update_id]
    info = api.result("getWebhookInfo")
    assert info["last_error_message"] == "Wrong response from the webhook: 500"
    assert info["pending_update_count"] == 0


def test_webhook_drops_update_after_retries(api, emulator: BotApiEmulator, receiver: WebhookReceiver) -> None:
    receiver.failures = 100
    api.result("setWebhook", url=receiver.url)

    emulator.send_text(emulator.user(id=1001, first_name="Alice"), "lost")

    # The fixture's emulator retries twice, so one update costs three attempts.
    requests = receiver.wait_for(3)
    _wait_until_nothing_pending(emulator)
    assert len(requests) == 3
    assert emulator.pending_update_count() == 0


def test_get_updates_conflicts_with_webhook(api, receiver: WebhookReceiver) -> None:
    api.result("setWebhook", url=receiver.url)

    body = api.error("getUpdates")

    assert body["error_code"] == 409
    assert body["description"].startswith("Conflict: can't use getUpdates method while webhook is active")


def test_webhook_info_and_delete(api, emulator: BotApiEmulator, receiver: WebhookReceiver) -> None:
    api.result("setWebhook", url=receiver.url, allowed_updates=["message"], max_connections=5)
    info = api.result("getWebhookInfo")

    deleted = api.call("deleteWebhook", drop_pending_updates=True).json()
    after = api.result("getWebhookInfo")

    assert info["url"] == receiver.url
    assert info["max_connections"] == 5
    assert info["allowed_updates"] == ["message"]
    assert deleted["description"] == "Webhook was deleted"
    assert after["url"] == ""
    assert emulator.webhook_url() is None
    assert api.result("getUpdates") == []


def test_webhook_allowed_updates_filter(api, emulator: BotApiEmulator, receiver: WebhookReceiver) -> None:
    alice = emulator.user(id=1001, first_name="Alice")
    start = emulator.send_text(alice, "/start")
    api.result("getUpdates", offset=start + 1)  # the bot consumed /start before the webhook
    sent = api.result(
        "sendMessage",
        chat_id=alice.id,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    api.result("setWebhook", url=receiver.url, allowed_updates=["callback_query"])

    emulator.send_text(alice, "ignored text")
    press = emulator.press_button(alice, sent["message_id"], "a")

    [request] = receiver.wait_for(1)
    assert request.body["update_id"] == press
    assert "callback_query" in request.body


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/hook",
        "http://webhook.invalid/hook",
        "http://metadata.invalid/latest",
        "http://[2001:db8::1]/hook",
    ],
)
def test_webhook_non_loopback_rejected(api, url: str) -> None:
    body = api.error("setWebhook", url=url)

    assert body["description"] == "Bad Request: bad webhook: only loopback hosts are allowed in the emulator"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "not a url"])
def test_webhook_bad_scheme_rejected(api, url: str) -> None:
    body = api.error("setWebhook", url=url)

    assert body["description"].startswith("Bad Request: bad webhook:")


def test_webhook_loopback_names_accepted(api) -> None:
    for url in ("http://localhost:9/hook", "http://[::1]:9/hook", "http://127.0.0.1:9/hook"):
        assert api.result("setWebhook", url=url) is True
        assert api.result("deleteWebhook") is True


def test_webhook_invalid_secret_rejected(api, receiver: WebhookReceiver) -> None:
    body = api.error("setWebhook", url=receiver.url, secret_token="has spaces!")

    assert body["error_code"] == 400
    assert "secret token" in body["description"]
