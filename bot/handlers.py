"""Telegram handlers: read the update, call the classifier and storage, reply.

Each handler stays thin. Downloading goes through Telegram; decoding and inference run on the
worker pool of `BotServices`; the row is written before the reply, so every answer a customer
saw is logged.
"""

from __future__ import annotations

import logging

from telegram import Message, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import class_label, pick_language, translate
from bot.services import BotServices
from classifier.inference import Prediction
from classifier.preprocess import ImageRejected, RejectReason
from storage import ClassificationRecord, utc_now

__all__ = [
    "handle_error",
    "handle_help",
    "handle_image_document",
    "handle_other_document",
    "handle_photo",
    "handle_start",
    "handle_text",
    "handle_unsupported",
]

logger = logging.getLogger(__name__)

# Telegram's Bot API lets bots download files of at most 20 MB.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

_REJECT_MESSAGES = {
    RejectReason.NOT_AN_IMAGE: "not_an_image",
    RejectReason.CORRUPT: "corrupt_image",
    RejectReason.TOO_MANY_PIXELS: "too_many_pixels",
    RejectReason.TOO_SMALL: "too_small",
}


def _language(user: User | None) -> str:
    return pick_language(user.language_code if user else None)


def _services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]


async def handle_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the customer and say what the bot recognises."""
    user = update.effective_user
    language = _language(user)
    if user is not None:
        await _services(context).database.record_user(user.id, user.language_code, utc_now())

    await update.effective_message.reply_text(
        translate("start", language, name=user.first_name if user else "")
    )


async def handle_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot does and what it stores."""
    language = _language(update.effective_user)
    await update.effective_message.reply_text(translate("help", language), parse_mode=ParseMode.HTML)


async def handle_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Classify a photo, using the largest size Telegram offers."""
    photo = update.effective_message.photo[-1]
    await _classify_and_reply(update, context, photo.file_id, photo.file_unique_id, photo.file_size)


async def handle_image_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Classify an image sent as a file."""
    document = update.effective_message.document
    await _classify_and_reply(update, context, document.file_id, document.file_unique_id, document.file_size)


async def handle_other_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the customer that a file which is not an image cannot be classified."""
    language = _language(update.effective_user)
    await update.effective_message.reply_text(translate("not_an_image", language))


async def handle_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer plain text with a hint to send a photo."""
    language = _language(update.effective_user)
    await update.effective_message.reply_text(translate("text_hint", language))


async def handle_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer stickers, voice, video and other messages the bot cannot look at."""
    language = _language(update.effective_user)
    await update.effective_message.reply_text(translate("unsupported_message", language))


async def handle_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log any error a handler did not answer, and apologise to the customer if there is one."""
    logger.error("Unhandled error while processing an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        language = _language(update.effective_user)
        await update.effective_message.reply_text(translate("internal_error", language))


async def _classify_and_reply(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    file_id: str,
    file_unique_id: str,
    file_size: int | None,
) -> None:
    message = update.effective_message
    user = update.effective_user
    language = _language(user)
    services = _services(context)
    if file_size is not None and file_size > MAX_DOWNLOAD_BYTES:
        await message.reply_text(translate("file_too_big", language))
        return

    data = await _download(context, file_id)
    if data is None:
        await message.reply_text(translate("file_too_big", language))
        return
    try:
        prediction = await services.classify_photo(data)
    except ImageRejected as rejected:
        logger.info("Image rejected: %s", rejected.reason.value)
        await message.reply_text(
            translate(_REJECT_MESSAGES[rejected.reason], language, detail=rejected.detail)
        )
        return

    await _record(services, message, user, file_unique_id, prediction)
    await message.reply_text(format_prediction(prediction, language), parse_mode=ParseMode.HTML)


async def _download(context: ContextTypes.DEFAULT_TYPE, file_id: str) -> bytes | None:
    """Download a file, or return None when Telegram reports it is over the bot limit."""
    try:
        telegram_file = await context.bot.get_file(file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            return None
        raise
    return bytes(await telegram_file.download_as_bytearray())


async def _record(
    services: BotServices,
    message: Message,
    user: User | None,
    file_unique_id: str,
    prediction: Prediction,
) -> None:
    now = utc_now()
    user_id = user.id if user else message.chat_id
    if user is not None:
        await services.database.record_user(user.id, user.language_code, now)
    await services.database.record_classification(
        ClassificationRecord(
            user_id=user_id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            file_unique_id=file_unique_id,
            label=prediction.label,
            label_id=prediction.label_id,
            confidence=prediction.confidence,
            top3=prediction.top3,
            model_version=prediction.model_version,
            created_at=now,
        )
    )


def _percent(probability: float) -> str:
    """Format a probability as a whole percentage, showing "<1%" rather than a misleading 0%."""
    return "<1%" if probability < 0.005 else f"{probability:.0%}"


def format_prediction(prediction: Prediction, language: str) -> str:
    """Return the reply text for one prediction, in HTML."""
    if prediction.status == "unknown_garment":
        return translate("result_unknown_garment", language)
    alternatives = ", ".join(
        f"{class_label(label, language)} {_percent(probability)}"
        for label, probability in prediction.top3[1:]
    )
    key = "result_unsure" if prediction.status == "unsure" else "result"
    return translate(
        key,
        language,
        label=class_label(prediction.label, language),
        confidence=_percent(prediction.confidence),
        alternatives=alternatives,
    )
