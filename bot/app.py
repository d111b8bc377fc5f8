"""Builds the python-telegram-bot `Application`: handlers, error handler, start-up and shut-down.

The Telegram API base URLs come from the settings, so the same bot runs against Telegram or the
local emulator. The database is opened and the model loaded once, in `post_init`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, MessageHandler, filters

from bot import handlers
from bot.config import Settings
from bot.services import BotServices
from classifier.inference import GarmentClassifier
from storage import Database

__all__ = ["build_application", "run_polling", "running"]

logger = logging.getLogger(__name__)

# Decoding and inference run on this many threads; the machine this was sized on has 2 cores.
WORKER_THREADS = 2
# Updates handled at the same time; most of each one is waiting on the network.
CONCURRENT_UPDATES = 64

_COMMANDS = [
    BotCommand("start", "What this bot does"),
    BotCommand("help", "How it works and what it stores"),
]


def build_application(settings: Settings) -> Application:
    """Return an application for `settings`; it needs a token (the emulator accepts any)."""
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_open_services(settings))
        .post_shutdown(_close_services)
        .build()
    )
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:
    # TODO: photos in group chats are ignored until the bot can tell which ones address it.
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", handlers.handle_start))
    application.add_handler(CommandHandler("help", handlers.handle_help))
    application.add_handler(MessageHandler(filters.PHOTO & private, handlers.handle_photo))
    application.add_handler(MessageHandler(filters.Document.IMAGE & private, handlers.handle_image_document))
    application.add_handler(MessageHandler(filters.Document.ALL & private, handlers.handle_other_document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, handlers.handle_text))
    application.add_handler(
        MessageHandler(
            (filters.Sticker.ALL | filters.VOICE | filters.VIDEO | filters.AUDIO | filters.VIDEO_NOTE)
            & private,
            handlers.handle_unsupported,
        )
    )
    application.add_error_handler(handlers.handle_error)


def _open_services(settings: Settings):
    async def post_init(application: Application) -> None:
        database = await Database.open(settings.database_path)
        classifier = GarmentClassifier(settings.model_path)
        executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="classify")
        application.bot_data["services"] = BotServices(database, classifier, executor)
        await application.bot.set_my_commands(_COMMANDS)
        logger.info("Bot ready, model %s, database %s", classifier.model_version, settings.database_path)

    return post_init


async def _close_services(application: Application) -> None:
    services: BotServices | None = application.bot_data.pop("services", None)
    if services is not None:
        await services.close()
    logger.info("Bot stopped")


def run_polling(settings: Settings) -> None:
    """Run the bot with long polling until SIGINT or SIGTERM."""
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)


@asynccontextmanager
async def running(application: Application, poll_timeout: float = 1.0) -> AsyncIterator[Application]:
    """Run an application with long polling inside an existing event loop (demo and tests).

    Follows the order of `Application.run_polling`: initialise, post_init, start polling and
    processing; on exit stop both, shut down, post_shutdown.
    """
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.updater.start_polling(
        poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
