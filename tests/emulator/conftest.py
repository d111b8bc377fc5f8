"""Fixtures for the emulator tests: a started BotApiEmulator and an httpx client for it.

Every request goes to the emulator on 127.0.0.1. The clients ignore proxy
environment variables so that no test traffic can leave the machine.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from emulator import BotApiEmulator, SimulatedUser

TOKEN = "123456:TEST-token"


class BotApiClient:
    """Calls Bot API methods on the emulator the way a bot would, over HTTP."""

    def __init__(self, client: httpx.Client) -> None:
        self.http = client

    def call(self, method: str, **params: Any) -> httpx.Response:
        """POST the parameters as a JSON body and return the raw response."""
        return self.http.post(method, json=params)

    def result(self, method: str, **params: Any) -> Any:
        """Call a method that must succeed and return its ``result``."""
        response = self.call(method, **params)
        body = response.json()
        assert response.status_code == 200, body
        assert body["ok"] is True, body
        return body["result"]

    def error(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a method that must fail and return the error body."""
        response = self.call(method, **params)
        body = response.json()
        assert body["ok"] is False, body
        assert response.status_code == body["error_code"], body
        return body


@pytest.fixture
def emulator() -> Iterator[BotApiEmulator]:
    with BotApiEmulator(token=TOKEN, webhook_retry_delays=(0.05, 0.1)) as emu:
        yield emu


@pytest.fixture
def http_client(emulator: BotApiEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, timeout=10.0, trust_env=False) as client:
        yield client


@pytest.fixture
def api(emulator: BotApiEmulator) -> Iterator[BotApiClient]:
    base_url = f"{emulator.api_base_url}{TOKEN}/"
    with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
        yield BotApiClient(client)


@pytest.fixture
def alice(emulator: BotApiEmulator) -> SimulatedUser:
    """A user who already wrote to the bot, so the bot can send to her chat."""
    user = emulator.user(id=1001, first_name="Alice", language_code="it", username="alice")
    emulator.send_text(user, "/start")
    return user


def make_png(width: int, height: int, color: str = "navy") -> bytes:
    """Draw a plain PNG image of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def png_bytes() -> bytes:
    """A 1000x500 PNG, larger than three of the four photo sizes."""
    return make_png(1000, 500)


@pytest.fixture
def png_factory() -> Callable[..., bytes]:
    """The make_png function, for tests that need images of several sizes."""
    return make_png
