"""Feedback buttons under each answer: confirm it, or correct it from a category keyboard.

A correction is stored with the prediction, together with the 28x28 input the model saw when it
is still in memory; the customer's photo is never stored.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.i18n import class_label, translate
from bot.replies import language_of, services_of
from classifier.labels import FASHION_MNIST_CLASSES, OTHER_GARMENT
from storage import utc_now

__all__ = ["handle_feedback"]

_CATEGORIES = (*FASHION_MNIST_CLASSES, OTHER_GARMENT)


async def handle_feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle "fb:ok:ID", "fb:no:ID" (show categories) and "fb:set:ID:LABEL" button presses."""
    query = update.callback_query
    language = await language_of(update, context)
    services = services_of(context)
    parts = query.data.split(":")
    classification_id = int(parts[2])
    record = await services.database.classification_by_id(classification_id)
    if record is None:
        await query.answer(translate("feedback_gone", language), show_alert=True)
        return
    if record.user_id != update.effective_user.id:
        await query.answer(translate("feedback_not_yours", language), show_alert=True)
        return

    action = parts[1]
    if action == "no":
        await query.answer()
        await query.edit_message_reply_markup(_category_keyboard(classification_id, language))
        return
    if action == "ok":
        verdict, corrected = "confirmed", None
        reply = translate("feedback_thanks", language)
    else:
        corrected = int(parts[3])
        verdict = "confirmed" if corrected == record.label_id else "corrected"
        reply = translate("feedback_corrected", language, label=class_label(_CATEGORIES[corrected], language))
    await services.database.record_feedback(
        classification_id,
        record.user_id,
        verdict,
        corrected if verdict == "corrected" else None,
        services.recent_input(classification_id),
        utc_now(),
    )

    await query.answer(reply)
    await query.edit_message_reply_markup(None)


def _category_keyboard(classification_id: int, language: str) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(class_label(name, language), callback_data=f"fb:set:{classification_id}:{index}")
        for index, name in enumerate(_CATEGORIES)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])
