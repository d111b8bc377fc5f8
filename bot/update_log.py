"""One log line per handled update, written by a wrapper around every handler callback.

The INFO line carries the update id, the update's kind, the handler, the duration in
milliseconds and the outcome (ok, error or cancelled), and nothing about the person: no names,
captions, texts or file ids. The user and chat ids follow in a DEBUG line. The same values are
passed as `extra` fields, so JSON log lines (FASHION_LOG_JSON=1) have them as keys.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import MessageEntityType
from telegram.ext import ContextTypes
from telegram.helpers import effective_message_type

__all__ = ["logged", "update_kind"]

logger = logging.getLogger(__name__)

HandlerCallback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]


def update_kind(update: Update) -> str:
    """Return a short name for what an update carries: photo, command, text, callback_query..."""
    if update.callback_query is not None:
        return "callback_query"
    message = update.effective_message
    if message is None:
        return "other"
    kind = effective_message_type(message) or "message"
    entities = message.entities or ()
    if (
        kind == "text"
        and entities
        and entities[0].type == MessageEntityType.BOT_COMMAND
        and entities[0].offset == 0
    ):
        kind = "command"
    if update.edited_message is not None:
        kind = f"edited_{kind}"
    return kind


def logged(callback: HandlerCallback) -> HandlerCallback:
    """Wrap a handler callback so that each call logs one line when it ends, however it ends."""
    handler_name = callback.__name__

    @functools.wraps(callback)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await callback(update, context)
            outcome = "ok"
            return result
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            _log_update(update, handler_name, (time.perf_counter() - started) * 1000, outcome)

    return run


def _log_update(update: Update, handler_name: str, duration_ms: float, outcome: str) -> None:
    fields = {
        "update_id": update.update_id,
        "kind": update_kind(update),
        "handler": handler_name,
        "duration_ms": round(duration_ms),
        "outcome": outcome,
    }
    logger.info(
        "Handled update %d: kind=%s handler=%s duration_ms=%d outcome=%s",
        fields["update_id"],
        fields["kind"],
        fields["handler"],
        fields["duration_ms"],
        fields["outcome"],
        extra=fields,
    )
    if logger.isEnabledFor(logging.DEBUG):
        user = update.effective_user
        chat = update.effective_chat
        logger.debug(
            "Update %d came from user %s in chat %s",
            update.update_id,
            user.id if user else None,
            chat.id if chat else None,
        )
