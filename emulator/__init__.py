"""Local emulator of the Telegram Bot API for tests, demos and benchmarks.

BotApiEmulator serves the Bot API over HTTP on a loopback address, so an
unmodified python-telegram-bot Application can run against it. A test plays the
customer through it (send text, photos, documents, press buttons) and reads
what the bot sent. ``python -m emulator`` runs it as a standalone server with an
HTTP control API under ``/_emulator/``.
"""

from emulator.emulator import DEFAULT_TOKEN, BotApiEmulator
from emulator.errors import ApiError
from emulator.records import (
    CallbackAnswer,
    ChatActionRecord,
    RecordedCall,
    SentMessage,
    SimulatedUser,
    StoredFile,
)

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApiEmulator",
    "CallbackAnswer",
    "ChatActionRecord",
    "RecordedCall",
    "SentMessage",
    "SimulatedUser",
    "StoredFile",
]
