"""Weekly digests on Telegram: the scheduled job, the catch-up at start, sending, and staff commands.

`insights.digest` builds each digest's text and chart. This module picks the recipients, sends
through the Bot API and records each (period, kind, chat) outcome in SQLite's `digest_deliveries`, so a chat
that got a period's digest never gets it again, also after a restart. The weekly job runs through
PTB's JobQueue (APScheduler), and a one-off job at start sends the latest due week to anyone who
missed it while the bot was down.

/digest and /stats answer only in the chats listed in FASHION_STAFF_CHAT_IDS.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes, Job, JobQueue

from bot.config import DigestSettings, Settings
from bot.i18n import Html, pick_language, translate
from bot.replies import CAPTION_LIMIT, language_of, services_of, split_text
from insights.digest import (
    DigestPeriod,
    StaffDigest,
    WeekLabelError,
    build_customer_digest,
    build_staff_digest,
    due_week,
    requested_week,
    week_before,
    week_so_far,
)
from storage import Database, utc_now

__all__ = [
    "CATCH_UP_JOB_NAME",
    "DIGEST_JOB_NAME",
    "RETRY_JOB_NAME",
    "SENDER_KEY",
    "DeliveryCounts",
    "DigestRun",
    "DigestSender",
    "handle_digest",
    "handle_stats",
    "is_staff_chat",
    "ptb_weekday",
    "schedule_digests",
    "send_weekly_digests",
    "staff_commands_help",
]

logger = logging.getLogger(__name__)

DIGEST_JOB_NAME = "weekly-digest"
CATCH_UP_JOB_NAME = "digest-catch-up"
RETRY_JOB_NAME = "digest-retry"
# After a run with failed deliveries, another run is due this many seconds later. It resends only
# to the chats that failed, until they reach MAX_DELIVERY_ATTEMPTS.
RETRY_DELAY_SECONDS = 30 * 60
# Characters of a rejected /digest argument quoted back in the reply.
MAX_QUOTED_WEEK = 40
# Key of the DigestSender in `application.bot_data`.
SENDER_KEY = "digest_sender"

# Telegram lets a bot send about 30 messages per second in all chats together, and does not
# document the exact limit (PTB wiki, "Avoiding flood limits"). One message every 50 ms is at
# most 20 per second.
SEND_INTERVAL = 0.05
# Tries per message when Telegram returns 429 (flood limit), waiting its retry_after between them.
MAX_SEND_TRIES = 3
# A flood wait longer than this, in seconds, marks the delivery failed instead of holding up the
# other recipients and the bot's shutdown.
MAX_RETRY_AFTER = 60.0
# Runs (the weekly job or the catch-up at start) that may send one period to a chat whose earlier
# tries failed. The count includes the first run.
MAX_DELIVERY_ATTEMPTS = 3

SENT, BLOCKED, FAILED = "sent", "blocked", "failed"
STAFF, CUSTOMER = "staff", "customer"


def ptb_weekday(weekday: int) -> int:
    """Convert a weekday from `date.weekday()` (0 = Monday) to PTB's `run_daily` numbering.

    Since PTB 20, `JobQueue.run_daily(days=...)` counts 0 = Sunday to 6 = Saturday
    (`JobQueue._CRON_MAPPING` in PTB 22.8).
    """
    return (weekday + 1) % 7


# --- Scheduling ---------------------------------------------------------------------------------


def schedule_digests(job_queue: JobQueue, settings: DigestSettings) -> Job:
    """Add the weekly digest job and a one-off catch-up run at start, and return the weekly job.

    Both jobs may run however late they are (APScheduler's misfire_grace_time=None): a late run
    sends the week that is due when it runs, and the delivery records stop any repeat.
    """
    schedule = settings.schedule
    weekly = job_queue.run_daily(
        send_weekly_digests,
        schedule.time.replace(tzinfo=settings.timezone),
        days=(ptb_weekday(schedule.weekday),),
        name=DIGEST_JOB_NAME,
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )
    job_queue.run_once(
        send_weekly_digests, when=0, name=CATCH_UP_JOB_NAME, job_kwargs={"misfire_grace_time": None}
    )
    return weekly


async def send_weekly_digests(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the latest due week's digests to every chat that has not had them yet.

    When a delivery failed, schedule one more run `RETRY_DELAY_SECONDS` later, unless one is
    already scheduled.
    """
    sender: DigestSender = context.bot_data[SENDER_KEY]
    run = await sender.send_due()
    if run is None or not (run.staff.failed or run.customers.failed):
        return
    if context.job_queue.get_jobs_by_name(RETRY_JOB_NAME):
        return
    context.job_queue.run_once(
        send_weekly_digests,
        when=RETRY_DELAY_SECONDS,
        name=RETRY_JOB_NAME,
        job_kwargs={"misfire_grace_time": None},
    )
    logger.info(
        "Digest %s: the failed deliveries are tried again in %d minutes",
        run.period,
        RETRY_DELAY_SECONDS // 60,
    )


# --- Sending ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """One Bot API message: a text, or a photo with an optional caption, in Telegram HTML."""

    text: Html | None = None
    photo: bytes | None = None


@dataclass(frozen=True)
class DeliveryCounts:
    """Outcomes of one run for one kind of digest."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    # Recipients left out: already sent, blocked in an earlier period, or out of attempts.
    skipped: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, blocked {self.blocked}, failed {self.failed}, skipped {self.skipped}"


@dataclass(frozen=True)
class DigestRun:
    """Outcomes of one run for one period, per kind of digest."""

    period: str
    staff: DeliveryCounts
    customers: DeliveryCounts


class DigestSender:
    """Sender of a period's staff digest and customer summaries to the chats that have not had them.

    `clock` returns the current time (aware), so tests can fix it. The weekly job and the
    catch-up share one lock, so two runs never send side by side.
    """

    def __init__(
        self,
        bot: Bot,
        database: Database,
        settings: DigestSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
        send_interval: float = SEND_INTERVAL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._database = database
        self._settings = settings
        self._clock = clock
        self._send_interval = send_interval
        self._sleep = sleep
        self._lock = asyncio.Lock()

    def due_period(self) -> DigestPeriod:
        """Return the week that the latest scheduled run at or before now covers."""
        return due_week(self._settings.schedule, self._clock(), self._settings.timezone)

    async def send_due(self) -> DigestRun | None:
        """Send the latest due week's digests to every chat that has not had them.

        Return None without sending when a later week's digests were already sent or tried. That
        happens when the schedule moves to an earlier weekday, which makes an older week due.
        """
        period = self.due_period()
        latest = await self._database.latest_delivery_period()
        if latest is not None and latest > period.label:
            logger.info("Digest %s skipped, because the digests of %s went out already", period.label, latest)
            return None
        return await self.send_period(period)

    async def send_period(self, period: DigestPeriod) -> DigestRun:
        """Send one period's staff digest and customer summaries to the chats still missing them."""
        async with self._lock:
            staff = await self._send_staff_digests(period)
            customers = await self._send_customer_digests(period)
        run = DigestRun(period=period.label, staff=staff, customers=customers)
        logger.info("Digest %s: staff chats %s; customers %s", run.period, run.staff, run.customers)
        return run

    def week_so_far(self) -> DigestPeriod:
        """Return the current week up to now."""
        return week_so_far(self._clock(), self._settings.timezone)

    def requested_week(self, label: str) -> DigestPeriod:
        """Return the week named by `label`, up to now for the current week.

        Raises WeekLabelError for an invalid label and for a week that has not started.
        """
        return requested_week(label, self._clock(), self._settings.timezone)

    async def build_staff_digest(self, period: DigestPeriod) -> StaffDigest:
        """Return the staff digest of `period` in the staff language."""
        return await build_staff_digest(
            self._database, period, self._settings.staff_language, self._settings.staff_user_ids
        )

    def last_full_week(self) -> str:
        """Return the label of the last full week, such as "2026-W48"."""
        return week_before(self._clock(), self._settings.timezone).label

    async def _send_staff_digests(self, period: DigestPeriod) -> DeliveryCounts:
        chat_ids = self._settings.staff_chat_ids
        # Staff chats are configured on purpose, so unlike customers they are tried every week,
        # even after a 403. A staff group has no users row whose last_seen could show a return.
        pending = await self._pending_chats(period.label, STAFF, chat_ids, skip_blocked=False)
        if not pending:
            return DeliveryCounts(skipped=len(chat_ids))

        try:
            digest = await build_staff_digest(
                self._database, period, self._settings.staff_language, self._settings.staff_user_ids
            )
        except Exception:
            # The customers' summaries still go out when the staff digest cannot be built.
            logger.exception("Building the staff digest for %s failed", period.label)
            for chat_id in pending:
                await self._record(period.label, STAFF, chat_id, FAILED)
            return DeliveryCounts(failed=len(pending), skipped=len(chat_ids) - len(pending))

        messages = staff_messages(digest)
        statuses = []
        for chat_id in pending:
            status = await self._deliver(period.label, STAFF, chat_id, messages)
            if status != SENT:
                # Ids stay out of logs above DEBUG, so the chat's position in the setting names it.
                logger.warning(
                    "The staff digest %s did not reach staff chat %d of FASHION_STAFF_CHAT_IDS (%s). "
                    "A staff member must send /start to the bot once, and a staff group must have "
                    "the bot as a member",
                    period.label,
                    chat_ids.index(chat_id) + 1,
                    status,
                )
            statuses.append(status)
        return _count(statuses, skipped=len(chat_ids) - len(pending))

    async def _send_customer_digests(self, period: DigestPeriod) -> DeliveryCounts:
        _, _, start, end = period.utc_bounds()
        subscribers = await self._database.active_subscribers(start, end)
        pending = set(
            await self._pending_chats(
                period.label, CUSTOMER, [subscriber.user_id for subscriber in subscribers], skip_blocked=True
            )
        )

        statuses = []
        for subscriber in subscribers:
            if subscriber.user_id not in pending:
                continue
            language = subscriber.language_override or pick_language(subscriber.language)
            try:
                digest = await build_customer_digest(self._database, subscriber.user_id, period, language)
            except Exception:
                # One customer's bad data must not stop the summaries of everyone after them.
                logger.exception("Building a customer summary for %s failed", period.label)
                await self._record(period.label, CUSTOMER, subscriber.user_id, FAILED)
                statuses.append(FAILED)
                continue
            messages = [OutgoingMessage(text=digest.text)]
            statuses.append(await self._deliver(period.label, CUSTOMER, subscriber.user_id, messages))
        return _count(statuses, skipped=len(subscribers) - len(pending))

    async def _pending_chats(
        self, period: str, kind: str, chat_ids: Sequence[int], *, skip_blocked: bool
    ) -> list[int]:
        """Return the chats that should get this period's digest now, in the given order.

        A chat is left out when its delivery was sent or found the bot blocked, when it failed
        in MAX_DELIVERY_ATTEMPTS runs already, or (with `skip_blocked`) when an earlier period
        found the bot blocked and the user has not written since.
        """
        records = {record.chat_id: record for record in await self._database.deliveries(period, kind)}
        blocked = await self._database.blocked_chat_ids(kind) if skip_blocked else set()
        pending = []
        for chat_id in chat_ids:
            record = records.get(chat_id)
            if record is not None and (
                record.status in (SENT, BLOCKED) or record.attempts >= MAX_DELIVERY_ATTEMPTS
            ):
                continue
            if chat_id in blocked:
                continue
            pending.append(chat_id)
        return pending

    async def _deliver(
        self, period: str, kind: str, chat_id: int, messages: Sequence[OutgoingMessage]
    ) -> str:
        """Send one chat its digest, record the outcome and return 'sent', 'blocked' or 'failed'."""
        status = await self._send_messages(chat_id, messages)
        # NOTE: a crash after Telegram accepted the message but before this row is committed
        # sends the digest again after the restart. The schema has no 'sending' status to close
        # that window.
        await self._record(period, kind, chat_id, status)
        logger.debug("Digest %s (%s) to chat %s: %s", period, kind, chat_id, status)
        return status

    async def _record(self, period: str, kind: str, chat_id: int, status: str) -> None:
        await self._database.record_delivery(period, kind, chat_id, status, self._clock())

    async def _send_messages(self, chat_id: int, messages: Sequence[OutgoingMessage]) -> str:
        """Send the messages in order and return the outcome, stopping at the first that fails.

        NOTE: when a later message fails, the earlier ones were delivered, and a later run that
        retries the chat sends them again.
        """
        for message in messages:
            status = await self._send_with_retries(chat_id, message)
            await self._sleep(self._send_interval)
            if status != SENT:
                return status
        return SENT

    async def _send_with_retries(self, chat_id: int, message: OutgoingMessage) -> str:
        """Send one message, waiting out flood limits up to MAX_SEND_TRIES tries."""
        for attempt in range(1, MAX_SEND_TRIES + 1):
            try:
                await self._send(chat_id, message)
                return SENT
            except RetryAfter as error:
                delay = retry_delay(error)
                if attempt == MAX_SEND_TRIES or delay > MAX_RETRY_AFTER:
                    logger.warning(
                        "Flood limit: gave up a digest message after %d tries (retry after %.0f s)",
                        attempt,
                        delay,
                    )
                    return FAILED
                logger.warning(
                    "Flood limit: retrying a digest message in %.1f s (try %d of %d)",
                    delay,
                    attempt,
                    MAX_SEND_TRIES,
                )
                await self._sleep(delay)
            except Forbidden as error:
                logger.info("Digest not delivered because the bot is blocked or removed: %s", error)
                return BLOCKED
            except TelegramError as error:
                # NOTE: a TimedOut request may still have reached the chat, so a later retry of
                # this delivery can show the digest twice.
                logger.warning("Sending a digest message failed: %s", error)
                return FAILED
        return FAILED

    async def _send(self, chat_id: int, message: OutgoingMessage) -> None:
        if message.photo is not None:
            await self._bot.send_photo(
                chat_id, message.photo, caption=message.text, parse_mode=ParseMode.HTML
            )
        else:
            await self._bot.send_message(chat_id, message.text, parse_mode=ParseMode.HTML)


def staff_messages(digest: StaffDigest) -> list[OutgoingMessage]:
    """Return the chart with the digest as its caption, or the chart and then the text when too long."""
    if len(digest.text) <= CAPTION_LIMIT:
        return [OutgoingMessage(text=digest.text, photo=digest.chart)]
    return [OutgoingMessage(photo=digest.chart)] + [
        OutgoingMessage(text=Html(piece)) for piece in split_text(digest.text)
    ]


def retry_delay(error: RetryAfter) -> float:
    """Return a RetryAfter's wait in seconds.

    PTB 22.8 gives `retry_after` as a timedelta when the environment sets PTB_TIMEDELTA=1, and
    otherwise as whole seconds with a deprecation warning.
    """
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _count(statuses: Sequence[str], skipped: int) -> DeliveryCounts:
    return DeliveryCounts(
        sent=statuses.count(SENT),
        blocked=statuses.count(BLOCKED),
        failed=statuses.count(FAILED),
        skipped=skipped,
    )


# --- Staff commands -----------------------------------------------------------------------------


async def handle_digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a staff chat the current week's digest so far, or the digest of the week it names.

    `/digest 2026-W48` names a week. An invalid or future week gets a usage message, and chats
    that are not staff chats get a refusal.
    """
    if not await _accept_staff_chat(update, context):
        return

    sender: DigestSender = context.bot_data[SENDER_KEY]
    arguments = context.args or []
    try:
        # Several words, such as "2026 W48", are joined so that the reply quotes them as typed.
        period = sender.requested_week(" ".join(arguments)) if arguments else sender.week_so_far()
    except WeekLabelError as error:
        logger.info("Rejected /digest arguments: %s", error)
        language = context.bot_data["settings"].digest.staff_language
        # A long text quoted whole could push the reply past Telegram's message limit.
        label = error.label if len(error.label) <= MAX_QUOTED_WEEK else error.label[:MAX_QUOTED_WEEK] + "…"
        reason = translate(f"digest_week_{error.kind}", language, label=label)
        usage = translate("digest_usage", language, example=sender.last_full_week())
        await update.effective_message.reply_text(f"{reason}\n{usage}")
        return

    digest = await sender.build_staff_digest(period)
    for message in staff_messages(digest):
        await _reply(update.effective_message, message)


async def handle_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send totals (classifications, users, subscribers), the model version and the uptime to staff."""
    if not await _accept_staff_chat(update, context):
        return

    services = services_of(context)
    settings: Settings = context.bot_data["settings"]
    text = translate(
        "staff_stats",
        settings.digest.staff_language,
        classifications=await services.database.count_rows("classifications"),
        users=await services.database.count_rows("users"),
        subscribers=len(await services.database.subscribers()),
        model_version=services.model_version,
        uptime=format_duration(time.monotonic() - services.started_at),
    )

    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


def is_staff_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Return whether the update comes from a chat listed in FASHION_STAFF_CHAT_IDS.

    The chat decides, not the user: a staff member typing /digest in a customers' group must not
    post shop figures there.
    """
    settings: Settings = context.bot_data["settings"]
    chat = update.effective_chat
    return chat is not None and chat.id in settings.digest.staff_chat_ids


def staff_commands_help(context: ContextTypes.DEFAULT_TYPE, language: str) -> Html:
    """Return the /help section on the staff commands, with last week's label as an example."""
    sender: DigestSender = context.bot_data[SENDER_KEY]
    return translate("staff_commands_help", language, example=sender.last_full_week())


async def _accept_staff_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Return True in a staff chat. Elsewhere reply with a refusal that contains no data and return False."""
    if is_staff_chat(update, context):
        return True
    chat = update.effective_chat

    logger.info("Rejected a staff command outside the staff chats")
    logger.debug("Rejected a staff command in chat %s", chat.id if chat else None)
    language = await language_of(update, context)
    # The chat's own id helps the operator add it to FASHION_STAFF_CHAT_IDS, and reveals nothing
    # that the chat's members cannot already find.
    await update.effective_message.reply_text(
        translate("staff_only", language, chat_id=chat.id if chat else "?")
    )
    return False


async def _reply(message: Message, outgoing: OutgoingMessage) -> None:
    if outgoing.photo is not None:
        await message.reply_photo(outgoing.photo, caption=outgoing.text, parse_mode=ParseMode.HTML)
    else:
        await message.reply_text(outgoing.text, parse_mode=ParseMode.HTML)


def format_duration(seconds: float) -> str:
    """Format a duration as days, hours and minutes, such as "2 d 3 h 5 min"."""
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)
