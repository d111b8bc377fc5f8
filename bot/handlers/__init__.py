"""Telegram handlers, one module per concept: photos, commands, feedback buttons, errors.

Each handler stays thin: read the update, call the classifier or storage through
`bot.services`, reply in the customer's language.
"""

from bot.handlers.commands import (
    handle_forget,
    handle_forget_answer,
    handle_help,
    handle_language,
    handle_language_choice,
    handle_mystyle,
    handle_privacy,
    handle_start,
    handle_subscribe,
    handle_text,
    handle_trends,
    handle_unknown_command,
    handle_unsubscribe,
    handle_unsupported,
)
from bot.handlers.errors import handle_error
from bot.handlers.feedback import handle_feedback
from bot.handlers.photos import (
    handle_animation,
    handle_image_document,
    handle_other_document,
    handle_photo,
    handle_skipped_album_item,
)

__all__ = [
    "handle_animation",
    "handle_error",
    "handle_feedback",
    "handle_forget",
    "handle_forget_answer",
    "handle_help",
    "handle_image_document",
    "handle_language",
    "handle_language_choice",
    "handle_mystyle",
    "handle_other_document",
    "handle_photo",
    "handle_privacy",
    "handle_skipped_album_item",
    "handle_start",
    "handle_subscribe",
    "handle_text",
    "handle_trends",
    "handle_unknown_command",
    "handle_unsubscribe",
    "handle_unsupported",
]
