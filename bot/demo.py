"""The demo: the real bot on the built-in Bot API emulator, with a simulated customer.

It starts the emulator on loopback, runs the unmodified bot against it through the configurable
base URLs, plays two customers (one English, one Italian) sending commands, photos and files,
and prints the conversation. The database is a temporary file, deleted at the end.
"""

from __future__ import annotations

import html
import re
import sqlite3
import tempfile
from pathlib import Path

from bot.app import build_application, running
from bot.config import Settings
from classifier.inference import model_version
from emulator import BotApiEmulator, SimulatedUser

__all__ = ["run_demo"]

DEMO_TOKEN = "123456:DEMO-token-for-the-local-emulator"
DEMO_PHOTOS = Path(__file__).resolve().parent / "demo_photos"
REPLY_TIMEOUT = 15.0


def _plain(text: str | None) -> str:
    """Turn a reply's HTML into console text."""
    return html.unescape(re.sub(r"<[^>]+>", "", text or ""))


def _print_turn(customer: SimulatedUser, action: str, reply: str) -> None:
    print(f"{customer.first_name} ({customer.language_code}): {action}")
    for line in reply.splitlines():
        print(f"    bot: {line}")
    print()


async def _exchange(emulator: BotApiEmulator, customer: SimulatedUser, action: str, send) -> None:
    """Send one customer message and print the bot's reply to it."""
    already = len(emulator.sent_messages(chat_id=customer.id))
    send()
    messages = await emulator.wait_for_messages_async(customer.id, already + 1, timeout=REPLY_TIMEOUT)
    reply = messages[already]
    _print_turn(customer, action, _plain(reply.text or reply.caption))


async def _play_customer(
    emulator: BotApiEmulator, customer: SimulatedUser, photos: tuple[str, ...], file_photo: str, text: str
) -> None:
    """Play one customer: /start, photos, an image file, a PDF, some text, then /mystyle."""
    await _exchange(emulator, customer, "/start", lambda: emulator.send_text(customer, "/start"))
    for name in photos:
        data = (DEMO_PHOTOS / f"{name}.jpg").read_bytes()
        await _exchange(
            emulator, customer, f"[photo {name}.jpg]", lambda data=data: emulator.send_photo(customer, data)
        )
    image_file = (DEMO_PHOTOS / f"{file_photo}.jpg").read_bytes()
    await _exchange(
        emulator,
        customer,
        f"[file {file_photo}.jpg, image/jpeg]",
        lambda: emulator.send_document(
            customer, image_file, file_name=f"{file_photo}.jpg", mime_type="image/jpeg"
        ),
    )
    await _exchange(
        emulator,
        customer,
        "[file notes.pdf, application/pdf]",
        lambda: emulator.send_document(
            customer, b"%PDF-1.4 not a photo", file_name="notes.pdf", mime_type="application/pdf"
        ),
    )
    await _exchange(emulator, customer, text, lambda: emulator.send_text(customer, text))
    await _exchange(emulator, customer, "/mystyle", lambda: emulator.send_text(customer, "/mystyle"))


async def run_demo(model_path: Path) -> None:
    """Run the scripted conversation and print it."""
    with BotApiEmulator(token=DEMO_TOKEN) as emulator, tempfile.TemporaryDirectory() as folder:
        database_path = Path(folder) / "demo.db"
        settings = Settings(
            token=DEMO_TOKEN,
            api_base_url=emulator.api_base_url,
            file_base_url=emulator.file_base_url,
            database_path=database_path,
            model_path=model_path,
        )
        alice = emulator.user(id=1001, first_name="Alice", language_code="en", username="alice")
        giulia = emulator.user(id=1002, first_name="Giulia", language_code="it", username="giulia")
        print(f"Bot API emulator listening on {emulator.api_base_url.removesuffix('/bot')}")
        print(f"Model {model_version(model_path)} ({model_path})\n")

        async with running(build_application(settings)):
            await _play_customer(
                emulator, alice, photos=("dress", "sneaker"), file_photo="trouser", text="hello?"
            )
            await _play_customer(emulator, giulia, photos=("coat",), file_photo="bag", text="ciao, che fai?")

        connection = sqlite3.connect(database_path)
        try:
            rows = connection.execute("SELECT label, confidence FROM classifications ORDER BY id").fetchall()
        finally:
            connection.close()
        print(f"{len(rows)} answers logged in SQLite (table classifications, Fashion-MNIST class names):")
        for label, confidence in rows:
            print(f"    {label} {confidence:.0%}")
