"""Reply text: the customer's language, predictions as text, and messages split under Telegram's limits.

Telegram rejects a text over 4096 characters and a caption over 1024, so long replies are split
on line boundaries before they are sent.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import ContextTypes

from bot.i18n import class_label, pick_language, translate
from bot.services import BotServices
from classifier.inference import Prediction

__all__ = [
    "format_prediction",
    "language_of",
    "percent",
    "reply_long_text",
    "services_of",
    "split_text",
]

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH


def services_of(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """Return the services opened at start-up."""
    return context.application.bot_data["services"]


async def language_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Return the user's language: their /language choice, else Telegram's `language_code`."""
    user = update.effective_user
    if user is None:
        return pick_language(None)
    override = await services_of(context).language_override(user.id)
    return override or pick_language(user.language_code)


def percent(probability: float) -> str:
    """Format a probability as a whole percentage, showing "<1%" rather than a misleading 0%."""
    return "<1%" if probability < 0.005 else f"{probability:.0%}"


def format_prediction(prediction: Prediction, language: str) -> str:
    """Return the reply text for one prediction, in HTML."""
    if prediction.status == "unknown_garment":
        return translate("result_unknown_garment", language)
    alternatives = ", ".join(
        f"{class_label(label, language)} {percent(probability)}" for label, probability in prediction.top3[1:]
    )
    key = "result_unsure" if prediction.status == "unsure" else "result"
    return translate(
        key,
        language,
        label=class_label(prediction.label, language),
        confidence=percent(prediction.confidence),
        alternatives=alternatives,
    )


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split text into pieces of at most `limit` characters, on line breaks where possible.

    HTML tags in this bot's messages never span a line, so a split on a line break keeps every
    piece well-formed. A single line longer than `limit` is cut at the limit, tags or not.
    """
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


async def reply_long_text(message: Message, text: str, **options) -> Message:
    """Reply with `text` in as many messages as Telegram's limit needs; return the last one."""
    pieces = split_text(text)
    # Buttons, if any, belong under the last piece only.
    markup = options.pop("reply_markup", None)
    for piece in pieces[:-1]:
        await message.reply_text(piece, parse_mode=ParseMode.HTML, **options)
    return await message.reply_text(pieces[-1], parse_mode=ParseMode.HTML, reply_markup=markup, **options)
