"""The one error handler: logs what no handler answered, and apologises to the customer."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.error import Conflict
from telegram.ext import ContextTypes

from bot.i18n import translate
from bot.replies import language_of

__all__ = ["handle_error"]

logger = logging.getLogger(__name__)

# The shortest time between two log lines about another instance polling with the same token.
CONFLICT_LOG_SECONDS = 60.0
_LAST_CONFLICT_KEY = "last_conflict_logged"


async def handle_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any error a handler did not answer, and tell the customer something went wrong."""
    if isinstance(context.error, Conflict):
        _log_conflict(context)
        return
    logger.error("Unhandled error while processing an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    if update.effective_chat is not None and update.effective_chat.type == "channel":
        return
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("internal_error", language))


def _log_conflict(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log, at most once per CONFLICT_LOG_SECONDS, that another process polls with the same token.

    python-telegram-bot retries getUpdates after each 409 Conflict, so logging every retry with its
    traceback would fill the log while the other instance runs.
    """
    now = time.monotonic()
    last = context.bot_data.get(_LAST_CONFLICT_KEY)
    if last is not None and now - last < CONFLICT_LOG_SECONDS:
        return
    context.bot_data[_LAST_CONFLICT_KEY] = now
    logger.error(
        "Another process is polling Telegram with this bot's token (409 Conflict: %s). Only one "
        "instance may run: stop the other one, or give this one its own token",
        context.error,
    )
