"""Photos analysed in a worker process: replies, rejections, and a worker that dies."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from bot.analysis import ModelLoadError
from bot.app import build_application, running
from tests.bot.bot_process import TOKEN, BotProcess, fashion_assistant_command, wait_until
from tests.conftest import DEMO_PHOTOS_DIR, other_program_database

DRESS = (DEMO_PHOTOS_DIR / "dress.jpg").read_bytes()


@pytest.fixture
async def worker_bot(settings):
    """The bot with one analysis worker process, as it runs in production."""
    async with running(build_application(dataclasses.replace(settings, analysis_processes=1))) as application:
        yield application


def _worker_pids(parent_pid: int | None = None, marker: bytes = b"spawn_main") -> list[int]:
    """Return the ids of a process's children (default: this test's) whose command line has `marker`."""
    parent_pid = parent_pid or os.getpid()
    pids = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(status.read_text().rsplit(")", 1)[1].split()[1])
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == parent_pid and marker in command:
            pids.append(int(status.parent.name))
    return pids


def _labels(database_path, user_id: int) -> list[str]:
    connection = sqlite3.connect(database_path)
    try:
        rows = connection.execute(
            "SELECT label FROM classifications WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [label for (label,) in rows]
    finally:
        connection.close()


async def test_worker_process_answers_photo(worker_bot, emulator, settings):
    alice = emulator.user(id=4001, first_name="Alice", language_code="en")
    emulator.send_photo(alice, DRESS)
    reply = (await emulator.wait_for_messages_async(alice.id, 1, timeout=20))[0]
    assert "I see: <b>Dress</b>" in reply.text
    assert _labels(settings.database_path, alice.id) == ["Dress"]
    assert len(_worker_pids()) == 1


async def test_worker_rejection_reaches_customer(worker_bot, emulator, settings):
    bruno = emulator.user(id=4002, first_name="Bruno", language_code="it")
    emulator.send_document(bruno, DRESS[: len(DRESS) // 3], file_name="cut.jpg", mime_type="image/jpeg")
    reply = (await emulator.wait_for_messages_async(bruno.id, 1, timeout=20))[0]
    assert "danneggiata o incompleta" in reply.text
    assert _labels(settings.database_path, bruno.id) == []


async def test_dead_worker_is_replaced(worker_bot, emulator, settings, caplog):
    carla = emulator.user(id=4003, first_name="Carla", language_code="en")
    emulator.send_photo(carla, DRESS)
    await emulator.wait_for_messages_async(carla.id, 1, timeout=20)
    [worker] = _worker_pids()

    os.kill(worker, signal.SIGKILL)
    emulator.send_photo(carla, DRESS)
    emulator.send_photo(carla, DRESS)
    replies = await emulator.wait_for_messages_async(carla.id, 3, timeout=30)

    assert all("Dress" in reply.text for reply in replies)
    assert _labels(settings.database_path, carla.id) == ["Dress"] * 3
    assert "worker stopped" in caplog.text
    assert worker not in _worker_pids()


def _run_with_database(emulator, database: Path) -> subprocess.CompletedProcess:
    """Run `fashion-assistant run` on the emulator with FASHION_DATABASE set, for a start that must fail."""
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.api_base_url,
        "TELEGRAM_FILE_BASE_URL": emulator.file_base_url,
        "FASHION_DATABASE": str(database),
    }
    return subprocess.run(
        [*fashion_assistant_command(), "run"], env=environment, capture_output=True, text=True, timeout=60
    )


def test_unopenable_database_stops_start_naming_setting(emulator, tmp_path):
    # The database's folder would have to be created inside a regular file.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    database = blocker / "fashion.db"
    result = _run_with_database(emulator, database)
    assert result.returncode == 2
    assert f"fashion-assistant: error: FASHION_DATABASE {database} cannot be opened" in result.stderr
    assert "Traceback" not in result.stderr
    assert blocker.read_text() == "a file where a folder should be"


def test_other_programs_database_stops_start(emulator, tmp_path):
    database = tmp_path / "shop.db"
    before = other_program_database(database)
    result = _run_with_database(emulator, database)
    assert result.returncode == 2
    assert f"FASHION_DATABASE: {database} is not a Fashion Assistant database" in result.stderr
    assert "Traceback" not in result.stderr
    assert database.read_bytes() == before


def test_unreadable_model_stops_start_with_message(emulator, tmp_path):
    model = tmp_path / "broken.tflite"
    model.write_bytes(b"not a model" * 100)
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.api_base_url,
        "TELEGRAM_FILE_BASE_URL": emulator.file_base_url,
        "FASHION_DATABASE": str(tmp_path / "fashion.db"),
        "FASHION_MODEL": str(model),
    }
    result = subprocess.run(
        [*fashion_assistant_command(), "run"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert (
        f"fashion-assistant: error: the photo analysis worker could not load the model {model}"
        in result.stderr
    )
    # The worker's own error is logged above the message, but the bot's process prints no traceback.
    assert "ModelLoadError" not in result.stderr


def test_worker_ends_when_bot_is_killed(emulator, tmp_path, shipped_model):
    bot = BotProcess(emulator, tmp_path / "fashion.db", shipped_model, tmp_path / "bot.log").start()
    try:
        helpers = _worker_pids(bot.pid) + _worker_pids(bot.pid, b"resource_tracker")
        assert len(helpers) == 2
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in helpers), 10, "the worker to end")
    finally:
        bot.stop()


@pytest.mark.parametrize("processes", [0, 1])
async def test_failed_start_leaves_no_thread_running(settings, tmp_path, processes):
    model = tmp_path / "broken.tflite"
    model.write_bytes(b"not a model" * 100)
    broken = dataclasses.replace(settings, model_path=model, analysis_processes=processes)

    with pytest.raises((ModelLoadError, ValueError)):
        async with running(build_application(broken)):
            pass
    # A thread left running, such as aiosqlite's, would keep the demo's process from exiting.
    wait_until(
        lambda: not [t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()],
        5,
        "the start's threads to end",
    )
