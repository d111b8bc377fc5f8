"""Fixtures that run the real bot against the local Bot API emulator, with a fresh database."""

from __future__ import annotations

import pytest

from bot.app import build_application, running
from bot.config import Settings
from emulator import BotApiEmulator

TOKEN = "123456:TEST-token-for-the-emulator"


@pytest.fixture
def emulator():
    with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
def settings(emulator, tmp_path, shipped_model) -> Settings:
    return Settings(
        token=TOKEN,
        api_base_url=emulator.api_base_url,
        file_base_url=emulator.file_base_url,
        database_path=tmp_path / "fashion.db",
        model_path=shipped_model,
        # Threads start faster than a worker process; the tests that run the bot as its own
        # process use the default worker process.
        analysis_processes=0,
    )


@pytest.fixture
async def bot(settings):
    """The bot, polling the emulator until the test ends."""
    async with running(build_application(settings)) as application:
        yield application
