"""Run `fashion-assistant run` as a child process against an emulator in the test process.

The child gets a clean environment with only the variables a test passes, plus PATH and the
like, and writes its log to a file. It is always stopped when the test ends: SIGTERM first, then
SIGKILL if it does not exit in time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from emulator import BotApiEmulator

TOKEN = "123456:TEST-token-for-the-emulator"
# Seconds a child may take to start: Python, python-telegram-bot, NumPy and LiteRT imports.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def fashion_assistant_command() -> list[str]:
    """Return the command line of the installed `fashion-assistant` script, or `python -m bot`."""
    script = Path(sys.executable).parent / "fashion-assistant"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def wait_until(
    condition: Callable[[], object], timeout: float, description: str, interval: float = 0.02
) -> object:
    """Poll `condition` until it returns something truthy and return it; raise TimeoutError naming `description`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {description}")
        time.sleep(interval)


async def wait_until_async(
    condition: Callable[[], object], timeout: float, description: str, interval: float = 0.02
) -> object:
    """Like `wait_until`, but sleeping with asyncio so that a bot in the same event loop keeps running."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {description}")
        await asyncio.sleep(interval)


class BotProcess:
    """One `fashion-assistant run` child process and its log file."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        database_path: Path,
        model_path: Path,
        log_path: Path,
        extra_environment: Mapping[str, str] | None = None,
    ) -> None:
        self.log_path = log_path
        self._environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("TELEGRAM_", "FASHION_", "PTB_"))
        }
        self._environment.update(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": emulator.api_base_url,
                "TELEGRAM_FILE_BASE_URL": emulator.file_base_url,
                "FASHION_DATABASE": str(database_path),
                "FASHION_MODEL": str(model_path),
                "PYTHONUNBUFFERED": "1",
            }
        )
        self._environment.update(extra_environment or {})
        self._process: subprocess.Popen | None = None

    def start(self) -> BotProcess:
        """Start the child and wait until its post_init logged "Bot ready"."""
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*fashion_assistant_command(), "run"],
                env=self._environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: "Bot ready" in self.log() or self.exited(), START_TIMEOUT, "the bot to start")
        if self.exited():
            raise RuntimeError(f"the bot exited with status {self._process.returncode}:\n{self.log()}")
        return self

    @property
    def pid(self) -> int:
        return self._process.pid

    def exited(self) -> bool:
        return self._process is not None and self._process.poll() is not None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def send_signal(self, signal_number: int) -> None:
        self._process.send_signal(signal_number)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait for the child to exit and return its exit status; raise TimeoutExpired after `timeout`."""
        return self._process.wait(timeout)

    def stop(self) -> None:
        """End the child if it still runs: SIGTERM, then SIGKILL after STOP_TIMEOUT seconds."""
        if self._process is None or self.exited():
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT)


def classification_keys(database_path: Path) -> list[tuple[int, int]]:
    """Return (chat id, message id) of every classification row, in insertion order."""
    connection = sqlite3.connect(database_path)
    try:
        return connection.execute("SELECT chat_id, message_id FROM classifications ORDER BY id").fetchall()
    finally:
        connection.close()


def integrity_check(database_path: Path) -> list[tuple]:
    """Return the rows of PRAGMA integrity_check; [("ok",)] for a sound file."""
    connection = sqlite3.connect(database_path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()


def replies_per_chat(emulator: BotApiEmulator, chat_ids: list[int]) -> dict[int, int]:
    """Return how many messages the bot sent to each chat that got at least one.

    The bot does not quote the customer's message in private chats, so the tests send one photo
    per chat and match answers to photos by chat.
    """
    counts = {chat_id: len(emulator.sent_messages(chat_id)) for chat_id in chat_ids}
    return {chat_id: count for chat_id, count in counts.items() if count}


class SlowFileProxy:
    """A loopback HTTP server that forwards file downloads to the emulator after a delay.

    Point TELEGRAM_FILE_BASE_URL at `file_base_url`, and every photo stays in flight for at
    least `delay` seconds, so a test can signal the bot while photos are being handled.
    """

    def __init__(self, emulator: BotApiEmulator, delay: float) -> None:
        target = emulator.base_url

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(delay)
                with urllib.request.urlopen(f"{target}{self.path}", timeout=30) as upstream:
                    body = upstream.read()
                    status = upstream.status
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/file/bot"

    def __enter__(self) -> SlowFileProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
