"""The one error handler: logs what no handler answered, and apologises to the customer."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import translate
from bot.replies import language_of

__all__ = ["handle_error"]

logger = logging.getLogger(__name__)


async def handle_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any error a handler did not answer, and tell the customer something went wrong."""
    logger.error("Unhandled error while processing an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    if update.effective_chat is not None and update.effective_chat.type == "channel":
        return
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("internal_error", language))
