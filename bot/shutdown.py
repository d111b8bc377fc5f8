"""Graceful shutdown: updates being handled finish before the database closes, within a time limit.

On SIGTERM or SIGINT, python-telegram-bot 22.8's `run_polling` and `run_webhook` stop the updater
first. For polling that confirms every fetched update to Telegram with one last getUpdates, and
for a webhook it closes the server, which has already returned 200 for every update it queued.
Then `Application.stop` handles every queued update and waits for all of them, then the job
queue, and only after that do `shutdown` and `post_shutdown` (which closes the database) run.

That wait has no limit in python-telegram-bot. `GracefulApplication.stop` adds one: updates
still being handled after `Settings.shutdown_timeout` seconds are cancelled, and updates that
would start after that are dropped, so the process exits before an orchestrator's SIGKILL.
Telegram has already recorded those updates as received, so a cancelled or dropped update is
lost. A cancelled photo may also have its row without a reply, because the row is written first.
So that no customer is left without an answer, each private chat with a cancelled or dropped
message is then asked to send it again, within UNFINISHED_NOTICE_SECONDS.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import signal
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import Application, SimpleUpdateProcessor

from bot.config import DEFAULT_SHUTDOWN_TIMEOUT_SECONDS
from bot.i18n import pick_language, translate

__all__ = ["GracefulApplication", "InFlightUpdateProcessor"]

logger = logging.getLogger(__name__)

# How long a stopping bot spends asking the customers whose messages it dropped to send them again.
UNFINISHED_NOTICE_SECONDS = 3.0

# The signals that python-telegram-bot's run_polling and run_webhook stop on by default.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


class InFlightUpdateProcessor(SimpleUpdateProcessor):
    """Handle up to `max_concurrent_updates` updates at once and keep the tasks handling them."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        # Each task handling an update, with its update.
        self._in_flight: dict[asyncio.Task, object] = {}
        self._dropping = False
        # Updates cancelled or dropped after the time limit, in the order it happened.
        self.unfinished: list[object] = []

    async def initialize(self) -> None:
        # An application that is started again after a stop handles updates again.
        self._dropping = False
        self.unfinished = []

    @property
    def in_flight_count(self) -> int:
        """The number of updates being handled now."""
        return len(self._in_flight)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._dropping:
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            logger.warning("Dropped update %s: the shutdown time limit has passed", _update_id(update))
            self.unfinished.append(update)
            return
        task = asyncio.current_task()
        self._in_flight[task] = update
        try:
            await coroutine
        finally:
            self._in_flight.pop(task, None)

    async def cancel_after(self, seconds: float) -> None:
        """Wait `seconds`, then cancel the updates still being handled and drop any that follow."""
        await asyncio.sleep(seconds)
        self._dropping = True
        remaining = list(self._in_flight)
        for task in remaining:
            self.unfinished.append(self._in_flight[task])
            task.cancel()
        if remaining:
            logger.warning(
                "Cancelled %d updates still being handled %.1f s after the stop began",
                len(remaining),
                seconds,
            )


class GracefulApplication(Application):
    """An `Application` whose `stop` waits a limited time for the updates being handled.

    After `guard_stop_signals`, only the first SIGINT or SIGTERM stops it. python-telegram-bot
    raises SystemExit at every stop signal, and a second one during the shutdown would break out
    of it before the database and the analysis worker close, leaving their threads to keep the
    process alive. A repeated signal is logged instead, and the time limit bounds the shutdown.
    """

    _guards_stop_signals = False

    def guard_stop_signals(self) -> None:
        """Make `start` replace the stop-signal handlers, for `run_polling` and `run_webhook`."""
        self._guards_stop_signals = True

    async def start(self) -> None:
        await super().start()
        if self._guards_stop_signals:
            loop = asyncio.get_running_loop()
            for stop_signal in STOP_SIGNALS:
                loop.add_signal_handler(stop_signal, self._first_stop_signal, loop)

    async def shutdown(self) -> None:
        await super().shutdown()
        if self._guards_stop_signals:
            # The event loop closes its wakeup pipe before it removes its signal handlers, so a
            # signal in between would print "Exception ignored ... Bad file descriptor". The
            # process is about to exit, so from here on stop signals are ignored.
            loop = asyncio.get_running_loop()
            for stop_signal in STOP_SIGNALS:
                loop.remove_signal_handler(stop_signal)
                signal.signal(stop_signal, signal.SIG_IGN)

    def _first_stop_signal(self, loop: asyncio.AbstractEventLoop) -> None:
        for stop_signal in STOP_SIGNALS:
            loop.add_signal_handler(stop_signal, _repeated_stop_signal)
        # As python-telegram-bot's own handler does: run_polling and run_webhook catch it and stop.
        raise SystemExit

    async def stop(self) -> None:
        processor = self.update_processor
        if not isinstance(processor, InFlightUpdateProcessor):
            await super().stop()
            return
        settings = self.bot_data.get("settings")
        timeout = settings.shutdown_timeout if settings is not None else DEFAULT_SHUTDOWN_TIMEOUT_SECONDS
        logger.info(
            "Stopping: waiting up to %.1f s for %d updates being handled", timeout, processor.in_flight_count
        )
        deadline = asyncio.create_task(processor.cancel_after(timeout), name="shutdown-deadline")
        try:
            await super().stop()
        finally:
            deadline.cancel()
        if processor.unfinished:
            await self._ask_to_send_again(processor.unfinished)

    async def _ask_to_send_again(self, updates: list[object]) -> None:
        """Ask each private chat whose message was cancelled or dropped to send it again."""
        services = self.bot_data.get("services")

        async def ask(update: Update) -> None:
            user = update.effective_user
            override = await services.language_override(user.id) if services and user else None
            language = override or pick_language(user.language_code if user else None)
            await update.effective_message.reply_text(translate("send_again_after_restart", language))

        private = [
            update
            for update in updates
            if isinstance(update, Update)
            and update.effective_message is not None
            and update.effective_chat is not None
            and update.effective_chat.type == "private"
        ]
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(ask(update) for update in private), return_exceptions=True),
                UNFINISHED_NOTICE_SECONDS,
            )
        except TimeoutError:
            logger.warning(
                "Asking %d chats to send their message again took over %.0f s",
                len(private),
                UNFINISHED_NOTICE_SECONDS,
            )
            return
        failed = sum(isinstance(result, Exception) for result in results)
        logger.info("Asked %d chats to send their message again (%d failed)", len(private) - failed, failed)


def _repeated_stop_signal() -> None:
    logger.warning("Stop signal received again: the bot is already stopping within its time limit")


def _update_id(update: object) -> object:
    return getattr(update, "update_id", None)
