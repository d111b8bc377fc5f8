"""End-to-end throughput: the real bot as its own process, answering queued photos from many customers.

The emulator and the simulated customers run in this process; the bot runs as
`fashion-assistant run` in a child process, as in production, against the emulator on 127.0.0.1.
All photos are queued before the bot starts, so the figure is the bot's saturation throughput:
answered photos per second from its first answer to its last. Each photo is a 1280x960 JPEG,
the largest size Telegram sends for a photo. Also printed: the time from the bot's start to its
first answer, and the bot's resident memory at the end.

Run: .venv/bin/python benchmarks/end_to_end.py [--photos 400] [--customers 50]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emulator import BotApiEmulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import make_photo  # noqa: E402

TOKEN = "123456:BENCH-token-for-the-emulator"
REPOSITORY = Path(__file__).resolve().parent.parent


def resident_megabytes(pid: int) -> float:
    """Return a process's resident set size in MB, read from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=400, help="photos to answer")
    parser.add_argument("--customers", type=int, default=50, help="customers sending them")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up")
    arguments = parser.parse_args()

    photos = [make_photo(1280, 960, seed) for seed in range(8)]
    with BotApiEmulator(token=TOKEN) as emulator, tempfile.TemporaryDirectory() as folder:
        customers = [
            emulator.user(id=10_000 + n, first_name=f"Customer {n}", language_code="en")
            for n in range(arguments.customers)
        ]
        for index in range(arguments.photos):
            emulator.send_photo(customers[index % len(customers)], photos[index % len(photos)])

        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.api_base_url,
            "TELEGRAM_FILE_BASE_URL": emulator.file_base_url,
            "FASHION_DATABASE": str(Path(folder) / "bench.db"),
            "FASHION_LOG_LEVEL": "WARNING",
        }
        command = [str(Path(sys.executable).parent / "fashion-assistant"), "run"]
        started = time.monotonic()
        bot = subprocess.Popen(command, env=environment, cwd=REPOSITORY, stderr=subprocess.DEVNULL)
        try:
            deadline = started + arguments.timeout
            while len(emulator.sent_messages()) < arguments.photos and time.monotonic() < deadline:
                time.sleep(0.05)
            replies = sorted(message.sent_at for message in emulator.sent_messages())
            memory = resident_megabytes(bot.pid)
        finally:
            bot.terminate()
            bot.wait(timeout=30)

    answered = len(replies)
    span = replies[-1] - replies[0] if answered > 1 else float("nan")
    results = {
        "photos": arguments.photos,
        "customers": arguments.customers,
        "answered": answered,
        "photos_per_second": round((answered - 1) / span, 1) if answered > 1 else None,
        "start_to_first_answer_s": round(replies[0] - started, 2) if replies else None,
        "bot_resident_mb_at_end": round(memory, 1),
        "cpu_count": os.cpu_count(),
    }
    print(f"answered {answered}/{arguments.photos} photos from {arguments.customers} customers")
    print(f"throughput at saturation: {results['photos_per_second']} photos/s")
    print(
        f"start to first answer: {results['start_to_first_answer_s']} s (includes Python and model start-up)"
    )
    print(f"bot resident memory at the end: {results['bot_resident_mb_at_end']} MB")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
