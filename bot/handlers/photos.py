"""Photo handlers: photos, images sent as files, animations and albums.

Each photo is downloaded, analysed on the worker pool, logged to SQLite, then answered, so every
answer a customer saw has its row. Photos of one album (one `media_group_id`) are answered
together, once the album has been quiet for `ALBUM_QUIET_SECONDS`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, PhotoSize, ReplyParameters, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import class_label, translate
from bot.replies import format_prediction, language_of, percent, reply_long_text, services_of
from bot.services import PhotoAnalysis
from classifier.errors import ImageRejected, RejectReason
from storage import ClassificationRecord, utc_now

__all__ = [
    "handle_animation",
    "handle_image_document",
    "handle_other_document",
    "handle_photo",
    "handle_skipped_album_item",
]

logger = logging.getLogger(__name__)

# Telegram's Bot API lets bots download files of at most 20 MB.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
ALBUM_QUIET_SECONDS = 1.0
# The photo size to download. On the real validation photos re-encoded as Telegram does, 800 px
# scored as the originals, and 320 px lost 1.3 points strict and 2.1 coarse (benchmarks/photo_size.py).
# A 1280 px photo has 2.6 times the pixels of an 800 px one to decode.
PHOTO_LONG_SIDE = 800

_REJECT_MESSAGES = {
    RejectReason.NOT_AN_IMAGE: "not_an_image",
    RejectReason.CORRUPT: "corrupt_image",
    RejectReason.TOO_MANY_PIXELS: "too_many_pixels",
    RejectReason.TOO_SMALL: "too_small",
    RejectReason.BLANK: "blank_image",
}


@dataclass(frozen=True)
class _TelegramFile:
    file_id: str
    file_unique_id: str
    file_size: int | None


@dataclass
class _Album:
    """Reply lines collected for one album, keyed by message id so the reply keeps the album's order."""

    language: str
    first_message: Message
    lines: dict[int, str] = field(default_factory=dict)
    pending: int = 0


async def handle_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Classify a photo, downloading the smallest size Telegram offers that keeps accuracy."""
    photo = _smallest_sufficient_size(update.effective_message.photo)
    await _handle_image(update, context, _TelegramFile(photo.file_id, photo.file_unique_id, photo.file_size))


def _smallest_sufficient_size(sizes: tuple[PhotoSize, ...]) -> PhotoSize:
    """Return the smallest size whose long side is at least `PHOTO_LONG_SIDE`, else the largest."""
    sufficient = [size for size in sizes if max(size.width, size.height) >= PHOTO_LONG_SIDE]
    if not sufficient:
        return max(sizes, key=lambda size: size.width * size.height)
    return min(sufficient, key=lambda size: size.width * size.height)


async def handle_image_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Classify an image sent as a file (PNG, JPEG, WebP, HEIC, GIF...)."""
    document = update.effective_message.document
    await _handle_image(
        update, context, _TelegramFile(document.file_id, document.file_unique_id, document.file_size)
    )


async def handle_animation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Classify the first frame of a GIF; other animations (Telegram sends most as MP4) get a hint."""
    animation = update.effective_message.animation
    if (animation.mime_type or "").lower() == "image/gif":
        await _handle_image(
            update, context, _TelegramFile(animation.file_id, animation.file_unique_id, animation.file_size)
        )
        return
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("animation_not_supported", language))


async def handle_other_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the customer that a file which is not an image cannot be classified."""
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("not_an_image", language))


async def handle_skipped_album_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Note a video or other non-image inside an album; the album's reply lists it as skipped."""
    message = update.effective_message
    language = await language_of(update, context)
    album = _album_for(context, message, language)
    album.lines[message.message_id] = translate("album_skipped", language)
    _schedule_album_reply(context, message)


async def _handle_image(update: Update, context: ContextTypes.DEFAULT_TYPE, source: _TelegramFile) -> None:
    message = update.effective_message
    user = update.effective_user
    language = await language_of(update, context)
    services = services_of(context)
    decision = services.limiter.check(user.id, time.monotonic())
    if not decision.allowed:
        if decision.notify:
            await message.reply_text(translate("flood_limit", language))
        return

    if message.media_group_id:
        await _add_to_album(update, context, source, language)
        return
    outcome = await _analyse(context, source)
    # Each reply quotes its photo, because several photos sent together are answered in the order
    # their analyses finish. A photo deleted meanwhile still gets its reply, without the quote.
    quote = ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
    if isinstance(outcome, str):
        await message.reply_text(translate(outcome, language), reply_parameters=quote)
        return

    classification_id = await _record(update, context, source, outcome)
    await reply_long_text(
        message,
        format_prediction(outcome.prediction, language),
        reply_markup=feedback_keyboard(classification_id, language) if classification_id else None,
        reply_parameters=quote,
    )


async def _analyse(context: ContextTypes.DEFAULT_TYPE, source: _TelegramFile) -> PhotoAnalysis | str:
    """Download and analyse a file; return the analysis, or the message key explaining a failure."""
    if source.file_size is not None and source.file_size > MAX_DOWNLOAD_BYTES:
        return "file_too_big"
    try:
        telegram_file = await context.bot.get_file(source.file_id)
    except BadRequest as error:
        if "too big" in error.message.lower():
            return "file_too_big"
        raise
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        return await services_of(context).analyse_photo(data)
    except ImageRejected as rejected:
        logger.info("Image rejected: %s", rejected.reason.value)
        return _REJECT_MESSAGES[rejected.reason]


async def _record(
    update: Update, context: ContextTypes.DEFAULT_TYPE, source: _TelegramFile, analysis: PhotoAnalysis
) -> int | None:
    """Log the prediction and return its row id, or None when this message was already logged."""
    message = update.effective_message
    user = update.effective_user
    services = services_of(context)
    now = utc_now()
    prediction = analysis.prediction
    classification_id = await services.database.log_classification(
        user.language_code,
        ClassificationRecord(
            user_id=user.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            file_unique_id=source.file_unique_id,
            label=prediction.label,
            label_id=prediction.label_id,
            confidence=prediction.confidence,
            top3=prediction.top3,
            model_version=prediction.model_version,
            created_at=now,
            status=prediction.status,
            colours=analysis.colours,
            media_group_id=message.media_group_id,
        ),
    )
    if classification_id:
        services.remember_input(classification_id, user.id, analysis.model_input)
    return classification_id or None


def feedback_keyboard(classification_id: int, language: str) -> InlineKeyboardMarkup:
    """Return the "right / wrong" buttons shown under an answer."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    translate("feedback_right_button", language), callback_data=f"fb:ok:{classification_id}"
                ),
                InlineKeyboardButton(
                    translate("feedback_wrong_button", language), callback_data=f"fb:no:{classification_id}"
                ),
            ]
        ]
    )


def _album_key(message: Message) -> str:
    return f"album:{message.chat_id}:{message.media_group_id}"


def _album_for(context: ContextTypes.DEFAULT_TYPE, message: Message, language: str) -> _Album:
    albums: dict[str, _Album] = context.application.bot_data.setdefault("albums", {})
    return albums.setdefault(_album_key(message), _Album(language=language, first_message=message))


async def _add_to_album(
    update: Update, context: ContextTypes.DEFAULT_TYPE, source: _TelegramFile, language: str
) -> None:
    message = update.effective_message
    album = _album_for(context, message, language)
    album.pending += 1
    try:
        outcome = await _analyse(context, source)
        if isinstance(outcome, str):
            line = translate(outcome, language)
        else:
            await _record(update, context, source, outcome)
            line = _album_line(outcome, language)
        album.lines[message.message_id] = line
    finally:
        album.pending -= 1
    _schedule_album_reply(context, message)


def _album_line(analysis: PhotoAnalysis, language: str) -> str:
    prediction = analysis.prediction
    if prediction.status == "unknown_garment":
        return translate("result_unknown_garment", language).split("\n")[0]
    label = class_label(prediction.label, language)
    if prediction.status == "unsure":
        return translate("album_unsure", language, label=label)
    return f"<b>{label}</b> ({percent(prediction.confidence)})"


def _schedule_album_reply(context: ContextTypes.DEFAULT_TYPE, message: Message) -> None:
    """(Re)start the album's quiet timer; the reply goes out when no item arrived for a while."""
    key = _album_key(message)
    for job in context.job_queue.get_jobs_by_name(key):
        job.schedule_removal()
    context.job_queue.run_once(_send_album_reply, ALBUM_QUIET_SECONDS, data=key, name=key)


async def _send_album_reply(context: ContextTypes.DEFAULT_TYPE) -> None:
    key = context.job.data
    albums: dict[str, _Album] = context.application.bot_data.setdefault("albums", {})
    album = albums.get(key)
    if album is None:
        return
    if album.pending:
        # An item is still being analysed; it reschedules the reply when it finishes.
        return
    del albums[key]
    lines = [translate("album_header", album.language, count=len(album.lines))]
    lines += [
        f"{number}. {album.lines[message_id]}" for number, message_id in enumerate(sorted(album.lines), 1)
    ]
    await reply_long_text(album.first_message, "\n".join(lines))
