"""Builds the python-telegram-bot `Application`: handlers, error handler, start-up and shut-down.

The Telegram API base URLs come from the settings, so the same bot runs against Telegram or the
local emulator. The database is opened and the analysis pool loads the model in `post_init`. The job queue
runs the daily retention job, the weekly digest job and a digest catch-up at start (see
`bot.digest`). Updates arrive by long polling, or by webhook when FASHION_WEBHOOK_URL is set.
Every handler logs one line per update (`bot.update_log`), and a stop waits a limited time for
the updates being handled (`bot.shutdown`).
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from telegram import Bot, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import handlers
from bot.config import ConfigError, Settings
from bot.digest import SENDER_KEY, DigestSender, handle_digest, handle_stats, schedule_digests
from bot.filters import ADDRESSED_TO_BOT, IMAGE_DOCUMENT, IN_ALBUM
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, command_menu
from bot.services import BotServices
from bot.shutdown import GracefulApplication, InFlightUpdateProcessor
from bot.update_log import logged
from classifier import jpeg_scan
from storage import Database, ForeignDatabaseError, utc_now

__all__ = ["build_application", "run", "run_polling", "run_webhook", "running"]

logger = logging.getLogger(__name__)

# Updates handled at the same time; most of each one is waiting on the network.
CONCURRENT_UPDATES = 64

# The retention job runs daily at this time, UTC.
RETENTION_TIME = datetime.time(3, 30, tzinfo=datetime.UTC)


def build_application(
    settings: Settings, clock: Callable[[], datetime.datetime] = utc_now
) -> GracefulApplication:
    """Return an application for `settings`; it needs a token (the emulator accepts any).

    `clock` is the current time that the weekly digests go by; tests pass a fixed one.
    """
    application = (
        ApplicationBuilder()
        .application_class(GracefulApplication)
        .token(settings.require_token())
        .base_url(settings.api_base_url)
        .base_file_url(settings.file_base_url)
        .concurrent_updates(InFlightUpdateProcessor(CONCURRENT_UPDATES))
        .post_init(_open_services(settings, clock))
        .post_shutdown(_close_services)
        .build()
    )
    application.bot_data["settings"] = settings
    _add_handlers(application)
    application.job_queue.run_daily(_delete_expired, RETENTION_TIME, name="retention")
    schedule_digests(application.job_queue, settings.digest)
    return application


def _add_handlers(application: Application) -> None:
    message = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE & message
    # In groups the bot only looks at photos that mention it or reply to it.
    addressed = private | (filters.ChatType.GROUPS & message & ADDRESSED_TO_BOT)

    for command, callback in [
        ("start", handlers.handle_start),
        ("help", handlers.handle_help),
        # Staff commands also work in staff groups. Every other chat gets a refusal.
        ("digest", handle_digest),
        ("stats", handle_stats),
    ]:
        application.add_handler(CommandHandler(command, logged(callback), filters=message))
    for command, callback in [
        ("language", handlers.handle_language),
        ("mystyle", handlers.handle_mystyle),
        ("trends", handlers.handle_trends),
        ("subscribe", handlers.handle_subscribe),
        ("unsubscribe", handlers.handle_unsubscribe),
        ("privacy", handlers.handle_privacy),
        ("forget", handlers.handle_forget),
    ]:
        application.add_handler(CommandHandler(command, logged(callback), filters=private))
    for pattern, callback in [
        (r"^fb:(ok|no|set):\d+(:\d+)?$", handlers.handle_feedback),
        (r"^lang:", handlers.handle_language_choice),
        (r"^forget:", handlers.handle_forget_answer),
    ]:
        application.add_handler(CallbackQueryHandler(logged(callback), pattern=pattern))

    for message_filter, callback in [
        (filters.PHOTO & addressed, handlers.handle_photo),
        (filters.ANIMATION & addressed, handlers.handle_animation),
        (IMAGE_DOCUMENT & addressed, handlers.handle_image_document),
        (IN_ALBUM & private, handlers.handle_skipped_album_item),
        (filters.Document.ALL & private, handlers.handle_other_document),
        (filters.TEXT & ~filters.COMMAND & private, handlers.handle_text),
        (private & ~filters.COMMAND, handlers.handle_unsupported),
        (private & filters.COMMAND, handlers.handle_unknown_command),
    ]:
        application.add_handler(MessageHandler(message_filter, logged(callback)))
    application.add_error_handler(handlers.handle_error)


async def _delete_expired(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete classifications older than the retention period."""
    settings: Settings = context.application.bot_data["settings"]
    services: BotServices = context.application.bot_data["services"]
    cutoff = utc_now() - datetime.timedelta(days=settings.retention_days)
    deleted = await services.database.delete_classifications_before(cutoff)
    logger.info("Retention: deleted %d classifications older than %d days", deleted, settings.retention_days)


def _open_services(settings: Settings, clock: Callable[[], datetime.datetime]):
    async def post_init(application: Application) -> None:
        try:
            database = await Database.open(settings.database_path)
        except ForeignDatabaseError as error:
            raise ConfigError(
                f"FASHION_DATABASE: {error}. Set it to the bot's own database file, or to a new path."
            ) from error
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"FASHION_DATABASE {settings.database_path} cannot be opened ({error}). "
                "Set it to a file in a folder that the bot can create and write."
            ) from error
        services = BotServices(database, settings.model_path, settings.analysis_processes)
        try:
            await services.start()
        except BaseException:
            # Closing the database ends aiosqlite's thread, which would keep the process alive.
            await services.close()
            raise
        application.bot_data["services"] = services
        application.bot_data[SENDER_KEY] = DigestSender(
            application.bot, database, settings.digest, clock=clock
        )
        await _set_command_menus(application.bot, settings)
        logger.info("Bot ready, model %s, database %s", services.model_version, settings.database_path)
        if not jpeg_scan.available():
            logger.warning(
                "classifier._jpeg_scan is not built, so large JPEGs decode on one core. "
                "Install the package with pip, which builds it with gcc."
            )

    return post_init


async def _set_command_menus(bot: Bot, settings: Settings) -> None:
    """Set the command menu for customers in each language, and for each staff chat with its commands.

    A staff chat whose menu cannot be set is logged and skipped, so the bot still starts.
    """
    await bot.set_my_commands(command_menu(DEFAULT_LANGUAGE))
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            await bot.set_my_commands(command_menu(language), language_code=language)

    staff_menu = command_menu(settings.digest.staff_language, staff=True)
    for position, chat_id in enumerate(settings.digest.staff_chat_ids, start=1):
        try:
            await bot.set_my_commands(staff_menu, scope=BotCommandScopeChat(chat_id))
        except TelegramError as error:
            # Ids stay out of logs above DEBUG, so the chat's position in the setting names it.
            logger.warning(
                "Staff chat %d of FASHION_STAFF_CHAT_IDS cannot be reached (%s). It gets no digest "
                "until its staff member sends /start to the bot, or until the bot is added to the group",
                position,
                error,
            )


async def _close_services(application: Application) -> None:
    services: BotServices | None = application.bot_data.pop("services", None)
    if services is not None:
        await services.close()
    logger.info("Bot stopped")


def run(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM: by webhook when one is configured, else long polling."""
    if settings.webhook is not None:
        run_webhook(settings)
    else:
        run_polling(settings)


def run_polling(settings: Settings) -> None:
    """Run the bot with long polling until SIGINT or SIGTERM."""
    application = build_application(settings)
    application.guard_stop_signals()
    logger.info("Starting with long polling")
    application.run_polling(allowed_updates=Update.ALL_TYPES)


def run_webhook(settings: Settings) -> None:
    """Run the bot's webhook server until SIGINT or SIGTERM; raise ValueError without webhook settings.

    At start the bot calls setWebhook with the public URL and the secret. Its server returns 403
    to any request whose X-Telegram-Bot-Api-Secret-Token header is missing or wrong (checked by
    python-telegram-bot's webhook handler), and the webhook stays set when the bot stops, so
    Telegram keeps the updates that arrive meanwhile.
    """
    webhook = settings.webhook
    if webhook is None:
        raise ValueError("run_webhook needs settings.webhook; set FASHION_WEBHOOK_URL")
    application = build_application(settings)
    application.guard_stop_signals()
    logger.info(
        "Starting the webhook server on %s port %d, path %r, for %s",
        webhook.listen,
        webhook.port,
        webhook.path or "/",
        webhook.url,
    )
    application.run_webhook(
        listen=webhook.listen,
        port=webhook.port,
        url_path=webhook.path,
        webhook_url=webhook.url,
        secret_token=webhook.secret,
        allowed_updates=Update.ALL_TYPES,
    )


@asynccontextmanager
async def running(application: Application, poll_timeout: float = 1.0) -> AsyncIterator[Application]:
    """Run an application with long polling inside an existing event loop (demo and tests).

    Follows the order of `Application.run_polling`: initialise, post_init, start polling and
    processing; on exit stop both, shut down, post_shutdown.
    """
    await application.initialize()
    if application.post_init is not None:
        try:
            await application.post_init(application)
        except BaseException:
            # Close the HTTP connections that initialize() opened.
            await application.shutdown()
            raise

    def polling_error(error: TelegramError) -> None:
        # As run_polling does: errors in fetching updates reach the application's error handler.
        application.create_task(application.process_error(update=None, error=error))

    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=poll_timeout,
        allowed_updates=Update.ALL_TYPES,
        error_callback=polling_error,
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
