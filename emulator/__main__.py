"""Command line entry point: run the Bot API emulator in the foreground.

    python -m emulator --host 127.0.0.1 --port 8081 --token 123456:TEST-token

It prints the base URLs to give python-telegram-bot and the control API root,
then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from emulator.emulator import DEFAULT_TOKEN, BotApiEmulator
from emulator.loopback import is_loopback_host


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Run a local Telegram Bot API emulator on a loopback address.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to bind: 127.0.0.1, localhost or ::1 (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8081,
        help="TCP port to listen on; 0 picks a free port (default: %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=DEFAULT_TOKEN,
        help="bot token the emulator accepts, shaped like <bot id>:<secret> (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (default: %(default)s)",
    )
    arguments = parser.parse_args(argv)
    if not is_loopback_host(arguments.host):
        parser.error(
            f"--host must be a loopback address (127.0.0.1, localhost or ::1), got {arguments.host!r}"
        )
    if not 0 <= arguments.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {arguments.port}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=arguments.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    try:
        emulator = BotApiEmulator(token=arguments.token, host=arguments.host, port=arguments.port)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    stop_requested = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    try:
        emulator.start()
    except OSError as error:
        print(f"error: cannot listen on {arguments.host}:{arguments.port}: {error}", file=sys.stderr)
        return 1

    print(f"Bot API base URL:  {emulator.api_base_url}", flush=True)
    print(f"File base URL:     {emulator.file_base_url}", flush=True)
    print(f"Control API:       {emulator.base_url}/_emulator/", flush=True)
    try:
        while not stop_requested.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
