"""Command handlers: /start, /help, /language, /mystyle, /trends, /subscribe, /privacy, /forget.

Summaries come from `storage`, charts from `insights.charts` (drawn on the worker pool); the
handlers only pick the language, format the text and send it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.digest import is_staff_chat, staff_commands_help
from bot.i18n import LANGUAGES, Html, class_label, colour_name, translate
from bot.replies import CAPTION_LIMIT, language_of, reply_long_text, services_of
from insights.charts import bar_chart, comparison_chart
from storage import utc_now

__all__ = [
    "handle_forget",
    "handle_forget_answer",
    "handle_help",
    "handle_language",
    "handle_language_choice",
    "handle_mystyle",
    "handle_privacy",
    "handle_start",
    "handle_subscribe",
    "handle_text",
    "handle_trends",
    "handle_unknown_command",
    "handle_unsubscribe",
    "handle_unsupported",
]

STYLE_DAYS = 30
LANGUAGE_NAMES = {"en": "English", "it": "Italiano"}


async def handle_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the customer and list the garments the bot recognises."""
    user = update.effective_user
    await services_of(context).database.record_user(user.id, user.language_code, utc_now())
    language = await language_of(update, context)

    await update.effective_message.reply_text(
        translate("start", language, name=user.first_name), parse_mode=ParseMode.HTML
    )


async def handle_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot does, what it stores and which commands it has."""
    language = await language_of(update, context)
    text = translate("help", language) + "\n\n" + translate("commands_help", language)
    if is_staff_chat(update, context):
        text += "\n\n" + staff_commands_help(context, language)
    await reply_long_text(update.effective_message, text)


async def handle_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the languages as buttons."""
    language = await language_of(update, context)
    buttons = [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=f"lang:{code}") for code in LANGUAGES]
    keyboard = InlineKeyboardMarkup(
        [
            buttons,
            [InlineKeyboardButton(translate("language_auto_button", language), callback_data="lang:auto")],
        ]
    )
    await update.effective_message.reply_text(translate("language_prompt", language), reply_markup=keyboard)


async def handle_language_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the language picked with /language's buttons."""
    query = update.callback_query
    choice = query.data.removeprefix("lang:")
    override = choice if choice in LANGUAGES else None
    await services_of(context).set_language_override(update.effective_user.id, override, utc_now())
    language = await language_of(update, context)

    await query.answer()
    await query.edit_message_text(translate("language_set" if override else "language_auto", language))


async def handle_mystyle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the customer's own style: categories, favourite, colours, and a chart."""
    language = await language_of(update, context)
    services = services_of(context)
    summary = await services.database.style_summary(update.effective_user.id, utc_now(), days=STYLE_DAYS)
    if summary.total == 0:
        empty_key = "mystyle_only_uncertain" if summary.uncertain_total else "mystyle_empty"
        await update.effective_message.reply_text(
            translate(empty_key, language, count=summary.uncertain_total)
        )
        return

    text = translate(
        "mystyle",
        language,
        recent_total=summary.recent_total,
        recent_breakdown=_breakdown(summary.by_label_recent, language),
        total=summary.total,
        total_breakdown=_breakdown(summary.by_label_total, language),
        favourite=class_label(summary.favourite, language) if summary.favourite else "-",
        colours=", ".join(colour_name(c, language) for c, _ in summary.colours_recent[:3])
        or translate("no_colours", language),
    )
    if summary.uncertain_total:
        text = Html(text + "\n" + translate("mystyle_uncertain", language, count=summary.uncertain_total))
    bars = [(class_label(label, language), count) for label, count in summary.by_label_recent]
    chart = await _draw(
        bar_chart,
        translate("mystyle_chart_title", language),
        bars,
        empty_text=translate("no_data", language),
    )
    await _reply_with_chart(update, chart, text)


async def handle_trends(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show what all customers sent in the last 7 days against the 7 before: aggregates only.

    The staff members' own photos are left out, as in the staff digest.
    """
    language = await language_of(update, context)
    now = utc_now()
    staff = context.bot_data["settings"].digest.staff_user_ids
    trends = await services_of(context).database.trend_summary(now - timedelta(days=7), staff_user_ids=staff)
    if not trends.rows:
        await update.effective_message.reply_text(translate("trends_empty", language))
        return

    lines = "\n".join(
        f"{class_label(row.label, language)}: {row.this_week} ({row.change:+d})" for row in trends.rows
    )
    rising = (
        translate("trends_rising", language, label=class_label(trends.rising, language))
        if trends.rising
        else translate("trends_nothing_rising", language)
    )
    text = translate("trends", language, lines=lines, rising=rising)
    chart = await _draw(
        comparison_chart,
        translate("trends_chart_title", language),
        [(class_label(row.label, language), row.this_week, row.last_week) for row in trends.rows],
        current_label=translate("this_week", language),
        previous_label=translate("last_week", language),
        empty_text=translate("no_data", language),
    )
    await _reply_with_chart(update, chart, text)


async def handle_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe to the weekly style summary; repeating it changes nothing."""
    await _set_subscription(update, context, subscribed=True)


async def handle_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the weekly style summary; repeating it changes nothing."""
    await _set_subscription(update, context, subscribed=False)


async def handle_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say exactly what is stored and for how long."""
    language = await language_of(update, context)
    retention_days = context.application.bot_data["settings"].retention_days
    await reply_long_text(
        update.effective_message, translate("privacy", language, retention_days=retention_days)
    )


async def handle_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before deleting everything about the user."""
    language = await language_of(update, context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(translate("forget_yes_button", language), callback_data="forget:yes"),
                InlineKeyboardButton(translate("forget_no_button", language), callback_data="forget:no"),
            ]
        ]
    )
    await update.effective_message.reply_text(translate("forget_confirm", language), reply_markup=keyboard)


async def handle_forget_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete everything about the user in every table, or cancel."""
    query = update.callback_query
    language = await language_of(update, context)
    if query.data != "forget:yes":
        await query.answer()
        await query.edit_message_text(translate("forget_cancelled", language))
        return

    services = services_of(context)
    await services.database.forget_user(update.effective_user.id)
    services.forget_cached(update.effective_user.id)
    await query.answer()
    await query.edit_message_text(translate("forget_done", language))


async def handle_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer plain text with a hint to send a photo."""
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("text_hint", language))


async def handle_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a command the bot does not have with a pointer to /help."""
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("unknown_command", language))


async def handle_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer stickers, voice, video and other messages the bot cannot look at."""
    language = await language_of(update, context)
    await update.effective_message.reply_text(translate("unsupported_message", language))


async def _set_subscription(update: Update, context: ContextTypes.DEFAULT_TYPE, subscribed: bool) -> None:
    language = await language_of(update, context)
    user = update.effective_user
    services = services_of(context)
    await services.database.record_user(user.id, user.language_code, utc_now())
    changed = await services.database.set_subscription(user.id, subscribed, utc_now())

    if subscribed:
        key = "subscribe_done" if changed else "subscribe_already"
    else:
        key = "unsubscribe_done" if changed else "unsubscribe_already"
    await update.effective_message.reply_text(translate(key, language))


def _breakdown(counts, language: str) -> str:
    if not counts:
        return ""
    return " (" + ", ".join(f"{class_label(label, language)} {count}" for label, count in counts) + ")"


async def _draw(function, *arguments, **options) -> bytes:
    """Draw a chart on a worker thread; Pillow releases the event loop meanwhile."""
    return await asyncio.to_thread(function, *arguments, **options)


async def _reply_with_chart(update: Update, chart: bytes, text: str) -> None:
    message = update.effective_message
    if len(text) <= CAPTION_LIMIT:
        await message.reply_photo(chart, caption=text, parse_mode=ParseMode.HTML)
        return
    await message.reply_photo(chart)
    await reply_long_text(message, text)
