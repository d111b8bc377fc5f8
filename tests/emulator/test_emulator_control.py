"""Tests of the HTTP control API under /_emulator/ and of ``python -m emulator``.

The control API tests use the in-process emulator over HTTP on 127.0.0.1. The
command line tests start the emulator as a subprocess on an ephemeral loopback
port and stop it with SIGTERM.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from emulator import BotApiEmulator

REPOSITORY = Path(__file__).resolve().parents[2]


def test_health(http_client: httpx.Client) -> None:
    response = http_client.get("/_emulator/health")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_root_lists_routes(http_client: httpx.Client) -> None:
    response = http_client.get("/_emulator/")

    assert response.status_code == 200
    routes = response.json()["routes"]
    assert "POST /_emulator/updates" in routes
    assert "GET /_emulator/sent" in routes
    assert "GET /_emulator/media" in routes


def test_text_update_and_sent_listing(http_client: httpx.Client, api, emulator: BotApiEmulator) -> None:
    user = http_client.post(
        "/_emulator/users",
        json={"id": 1001, "first_name": "Alice", "language_code": "it", "username": "alice"},
    ).json()
    created = http_client.post(
        "/_emulator/updates", json={"kind": "text", "user_id": 1001, "text": "/start"}
    ).json()
    api.result(
        "sendMessage",
        chat_id=1001,
        text="<b>Hi</b>",
        parse_mode="HTML",
        reply_to_message_id=created["message_id"],
    )
    api.result("sendMessage", chat_id=1001, text="second")

    everything = http_client.get("/_emulator/sent", params={"chat_id": 1001}).json()
    newer = http_client.get("/_emulator/sent", params={"chat_id": 1001, "after_message_id": 2}).json()

    assert user == {
        "id": 1001,
        "is_bot": False,
        "first_name": "Alice",
        "username": "alice",
        "language_code": "it",
    }
    assert created == {"update_id": 1, "message_id": 1}
    assert [m["text"] for m in everything] == ["<b>Hi</b>", "second"]
    assert everything[0]["reply_to_update_id"] == 1
    assert everything[0]["parse_mode"] == "HTML"
    assert [m["message_id"] for m in newer] == [3]
    assert emulator.get_update(1)["message"]["from"]["language_code"] == "it"


def test_photo_update_and_media_download(http_client: httpx.Client, api, png_bytes: bytes) -> None:
    http_client.post("/_emulator/users", json={"id": 1001, "first_name": "Alice"})
    created = http_client.post(
        "/_emulator/updates",
        json={
            "kind": "photo",
            "user_id": 1001,
            "data_base64": base64.b64encode(png_bytes).decode(),
            "caption": "new",
        },
    ).json()
    api.http.post(
        "sendPhoto", data={"chat_id": "1001"}, files={"photo": ("chart.png", png_bytes, "image/png")}
    )

    [sent] = http_client.get("/_emulator/sent", params={"chat_id": 1001}).json()
    media = http_client.get("/_emulator/media", params={"chat_id": 1001, "message_id": sent["message_id"]})

    update = api.result("getUpdates")[0]
    assert update["update_id"] == created["update_id"]
    assert update["message"]["caption"] == "new"
    assert len(update["message"]["photo"]) == 4
    assert sent["photo_size"] == len(png_bytes)
    assert "photo_bytes" not in sent
    assert media.content == png_bytes
    assert media.headers["Content-Type"] == "image/png"


def test_document_callback_and_edit_updates(http_client: httpx.Client, api, emulator: BotApiEmulator) -> None:
    http_client.post("/_emulator/users", json={"id": 1001, "first_name": "Alice"})
    document = http_client.post(
        "/_emulator/updates",
        json={
            "kind": "document",
            "user_id": 1001,
            "data_base64": base64.b64encode(b"abc").decode(),
            "file_name": "big.jpg",
            "mime_type": "image/jpeg",
            "file_size": 30 * 1024 * 1024,
        },
    ).json()
    bot_message = api.result(
        "sendMessage",
        chat_id=1001,
        text="Right?",
        reply_markup={"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]},
    )
    callback = http_client.post(
        "/_emulator/updates",
        json={
            "kind": "callback",
            "user_id": 1001,
            "message_id": bot_message["message_id"],
            "callback_data": "yes",
        },
    ).json()
    edit = http_client.post(
        "/_emulator/updates",
        json={"kind": "edit", "user_id": 1001, "message_id": document["message_id"], "text": "x"},
    )

    assert emulator.get_update(document["update_id"])["message"]["document"]["file_size"] == 30 * 1024 * 1024
    assert callback["message_id"] == bot_message["message_id"]
    assert emulator.get_update(callback["update_id"])["callback_query"]["data"] == "yes"
    assert edit.status_code == 400  # a document has no text to edit
    assert "no text message" in edit.json()["error"]


@pytest.mark.parametrize("kind", ["sticker", "voice", "video"])
def test_media_kinds_without_data(http_client: httpx.Client, emulator: BotApiEmulator, kind: str) -> None:
    http_client.post("/_emulator/users", json={"id": 1001, "first_name": "Alice"})

    created = http_client.post("/_emulator/updates", json={"kind": kind, "user_id": 1001}).json()

    assert kind in emulator.get_update(created["update_id"])["message"]


@pytest.mark.parametrize(
    ("payload", "status", "error_part"),
    [
        ({"kind": "text", "user_id": 5, "text": "hi"}, 404, "user 5 not found"),
        ({"kind": "dance", "user_id": 1001}, 400, "unknown kind 'dance'"),
        ({"kind": "photo", "user_id": 1001}, 400, "'data_base64' is missing"),
        ({"kind": "document", "user_id": 1001, "data_base64": ""}, 400, "'data_base64' must be a non-empty"),
        ({"kind": "photo", "user_id": 1001, "data_base64": "***"}, 400, "not valid base64"),
        ({"kind": "text", "user_id": 1001, "text": ""}, 400, "must not be empty"),
        ({"kind": "text"}, 400, "'user_id' is missing"),
        ({"kind": "text", "user_id": 1001, "text": "hi", "group_chat_id": 800}, 400, "must be negative"),
        ({"kind": "text", "user_id": 1001, "text": "", "group_chat_id": -800}, 400, "must not be empty"),
        ({"kind": "sticker", "user_id": 1001, "group_chat_id": -800}, 400, "kind must be text or photo"),
    ],
)
def test_update_errors(http_client: httpx.Client, payload: dict, status: int, error_part: str) -> None:
    http_client.post("/_emulator/users", json={"id": 1001, "first_name": "Alice"})

    response = http_client.post("/_emulator/updates", json=payload)

    assert response.status_code == status
    assert response.json()["ok"] is False
    assert error_part in response.json()["error"]


def test_group_messages(http_client: httpx.Client, emulator: BotApiEmulator, png_bytes: bytes) -> None:
    http_client.post("/_emulator/users", json={"id": 1001, "first_name": "Alice"})

    text = http_client.post(
        "/_emulator/updates",
        json={"kind": "text", "user_id": 1001, "text": "/digest", "group_chat_id": -1001234567890},
    ).json()
    photo = http_client.post(
        "/_emulator/updates",
        json={
            "kind": "photo",
            "user_id": 1001,
            "group_chat_id": -800,
            "data_base64": base64.b64encode(png_bytes).decode(),
        },
    ).json()

    text_message = emulator.get_update(text["update_id"])["message"]
    photo_message = emulator.get_update(photo["update_id"])["message"]
    assert text_message["chat"]["id"] == -1001234567890
    assert text_message["chat"]["type"] == "group"
    assert text_message["from"]["id"] == 1001
    assert text_message["text"] == "/digest"
    assert photo_message["chat"]["id"] == -800
    assert "photo" in photo_message


def test_unknown_route_and_wrong_method(http_client: httpx.Client) -> None:
    assert http_client.get("/_emulator/nothing").status_code == 404
    assert http_client.get("/_emulator/users").status_code == 405
    assert http_client.post("/_emulator/users", content=b"[1]").status_code == 400


def test_faults_blocked_and_calls(http_client: httpx.Client, api) -> None:
    http_client.post("/_emulator/users", json={"id": 1001, "first_name": "Alice"})
    http_client.post("/_emulator/updates", json={"kind": "text", "user_id": 1001, "text": "hi"})

    http_client.post("/_emulator/faults", json={"method": "sendMessage", "retry_after": 2})
    limited = api.error("sendMessage", chat_id=1001, text="a")
    http_client.post("/_emulator/blocked", json={"user_id": 1001})
    blocked = api.error("sendMessage", chat_id=1001, text="b")
    http_client.post("/_emulator/blocked", json={"user_id": 1001, "blocked": False})
    api.result("sendMessage", chat_id=1001, text="c")
    calls = http_client.get("/_emulator/calls", params={"method": "sendmessage"}).json()

    assert limited["parameters"] == {"retry_after": 2}
    assert blocked["error_code"] == 403
    assert [call["error_code"] for call in calls] == [429, 403, None]


def _start_cli(*arguments: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *arguments],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_serves_and_stops_on_sigterm() -> None:
    process = _start_cli(
        "--host", "127.0.0.1", "--port", "0", "--token", "42:cli-token", "--log-level", "WARNING"
    )
    try:
        assert process.stdout is not None
        api_line = process.stdout.readline()
        assert api_line.startswith("Bot API base URL:"), api_line
        api_base_url = api_line.split()[-1]
        base_url = api_base_url.removesuffix("/bot")

        with httpx.Client(timeout=5, trust_env=False) as client:
            health = client.get(f"{base_url}/_emulator/health").json()
            me = client.get(f"{api_base_url}42:cli-token/getMe").json()
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)  # also closes the pipes
        return_code = process.returncode

    assert api_base_url.startswith("http://127.0.0.1:")
    assert health == {"ok": True}
    assert me["result"]["id"] == 42
    assert return_code == 0


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_cli_rejects_non_loopback_host(host: str) -> None:
    process = _start_cli("--host", host, "--port", "0")

    _, stderr = process.communicate(timeout=10)

    assert process.returncode == 2
    assert "--host must be a loopback address" in stderr


def test_cli_rejects_malformed_token() -> None:
    process = _start_cli("--port", "0", "--token", "nonsense")

    _, stderr = process.communicate(timeout=10)

    assert process.returncode == 2
    assert "token must look like" in stderr
