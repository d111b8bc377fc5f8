"""In-memory state of the emulated Bot API: chats, messages, updates, files, call log.

One EmulatorState is shared by the HTTP handler threads, the webhook delivery
thread and the test thread. Every method that reads or changes it takes
``lock``. ``changed`` is a Condition on that lock. It is notified when an update
is queued, a bot message is stored or the state is closed, and so wakes
long-polling getUpdates calls, webhook delivery and ``wait_for_messages``.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import ApiError, bad_request, default_description
from emulator.records import (
    CallbackAnswer,
    ChatActionRecord,
    RecordedCall,
    SentMessage,
    SimulatedUser,
    StoredFile,
)

__all__ = [
    "ALL_UPDATE_TYPES",
    "DEFAULT_UPDATE_TYPES",
    "ChatState",
    "EmulatorState",
    "FaultRule",
    "MessageRecord",
    "PendingCallbackQuery",
    "WebhookConfig",
]

# Update types Telegram sends when allowed_updates is not set: every type except
# these three, which a bot must request explicitly.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - _OPT_IN_UPDATE_TYPES

_EXTENSION_PATTERN = re.compile(r"[A-Za-z0-9]{1,10}")
_CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class ChatState:
    """A chat the bot can send to, with the next message id to hand out in it."""

    chat_json: dict[str, Any]
    next_message_id: int = 1

    @property
    def id(self) -> int:
        return int(self.chat_json["id"])


@dataclass
class MessageRecord:
    """Live record of one message in a chat, sent by a customer or by the bot."""

    chat_id: int
    message_id: int
    message_json: dict[str, Any]
    from_bot: bool
    created_at: float
    update_id: int | None = None
    method: str | None = None
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    reply_to_update_id: int | None = None
    media_kind: str | None = None
    media_bytes: bytes | None = None
    file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    media_group_id: str | None = None
    disable_notification: bool = False
    edits: list[str] = field(default_factory=list)
    deleted: bool = False

    def snapshot(self) -> SentMessage:
        return SentMessage(
            message_id=self.message_id,
            chat_id=self.chat_id,
            method=self.method or "",
            text=self.text,
            caption=self.caption,
            parse_mode=self.parse_mode,
            reply_markup=self.reply_markup,
            reply_to_message_id=self.reply_to_message_id,
            reply_to_update_id=self.reply_to_update_id,
            photo_bytes=self.media_bytes if self.media_kind == "photo" else None,
            document_bytes=self.media_bytes if self.media_kind == "document" else None,
            sent_at=self.created_at,
            edits=list(self.edits),
            deleted=self.deleted,
            file_id=self.file_id,
            file_name=self.file_name,
            mime_type=self.mime_type,
            media_group_id=self.media_group_id,
            disable_notification=self.disable_notification,
            message_json=self.message_json,
        )


@dataclass
class FaultRule:
    """An injected failure for the next ``remaining`` matching calls."""

    method: str  # lower case, as method names are case-insensitive
    chat_id: int | None
    error: ApiError
    remaining: int


@dataclass(frozen=True)
class WebhookConfig:
    """A webhook set by setWebhook. ``generation`` changes with every setWebhook call."""

    url: str
    secret_token: str | None
    max_connections: int
    generation: int


@dataclass(frozen=True)
class PendingCallbackQuery:
    """A button press that the bot has not acknowledged with answerCallbackQuery yet."""

    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    callback_data: str | None


class EmulatorState:
    """Chats, messages, updates, files and logs of one emulated bot."""

    def __init__(
        self,
        bot_id: int,
        bot_first_name: str,
        bot_username: str,
        max_recorded_calls: int,
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.closed = False

        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        self.users: dict[int, SimulatedUser] = {}
        self.chats: dict[int, ChatState] = {}
        self.blocked_user_ids: set[int] = set()
        self.messages: dict[tuple[int, int], MessageRecord] = {}
        self.bot_messages: list[MessageRecord] = []
        self.bot_messages_by_chat: dict[int, list[MessageRecord]] = {}

        self.pending_updates: deque[dict[str, Any]] = deque()
        self.updates_by_id: dict[int, dict[str, Any]] = {}
        self.next_update_id = 1
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.poll_generation = 0

        self.webhook: WebhookConfig | None = None
        self.webhook_generation = 0
        self.webhook_last_error_date: int | None = None
        self.webhook_last_error_message: str | None = None

        # NOTE: files, messages and updates stay in memory until the emulator is
        # discarded. A long benchmark that sends many large photos grows without bound.
        self.files_by_id: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.file_counter = 0

        self.calls: deque[RecordedCall] = deque(maxlen=max_recorded_calls)
        self.faults: list[FaultRule] = []

        self.pending_callback_queries: dict[str, PendingCallbackQuery] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[ChatActionRecord] = []

        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}

    # Lifecycle

    def close(self) -> None:
        """Wake every waiting thread so that long polls return and delivery stops."""
        with self.lock:
            self.closed = True
            self.changed.notify_all()

    # Users and chats

    def add_user(self, user: SimulatedUser) -> None:
        with self.lock:
            self.users[user.id] = user

    def get_user(self, user_id: int) -> SimulatedUser:
        with self.lock:
            user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"user {user_id} is not registered; create it with user() first")
        return user

    def ensure_chat(self, chat_json: dict[str, Any]) -> ChatState:
        """Register a chat, or refresh its description, and return its state."""
        with self.lock:
            chat_id = int(chat_json["id"])
            chat = self.chats.get(chat_id)
            if chat is None:
                chat = ChatState(chat_json=dict(chat_json))
                self.chats[chat_id] = chat
            else:
                chat.chat_json = dict(chat_json)
            return chat

    def resolve_chat(self, chat_id: Any) -> ChatState:
        """Find the chat named by a ``chat_id`` parameter, or raise 400 "chat not found".

        A chat is known once a customer wrote to the bot in it. ``@username`` works
        for groups and channels with that username, as in Telegram.
        """
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        with self.lock:
            if isinstance(chat_id, str) and chat_id.startswith("@"):
                for chat in self.chats.values():
                    is_public = chat.chat_json.get("type") != "private"
                    if is_public and chat.chat_json.get("username") == chat_id[1:]:
                        return chat
                raise bad_request("chat not found")
            try:
                numeric_id = int(chat_id)
            except (TypeError, ValueError):
                raise bad_request("chat not found") from None
            chat = self.chats.get(numeric_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def check_not_blocked(self, chat: ChatState) -> None:
        """Raise 403 when the chat is a private chat whose user blocked the bot."""
        with self.lock:
            blocked = chat.id in self.blocked_user_ids
        if blocked and chat.chat_json.get("type") == "private":
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def allocate_message_id(self, chat: ChatState) -> int:
        with self.lock:
            message_id = chat.next_message_id
            chat.next_message_id += 1
            return message_id

    # Messages

    def store_message(self, record: MessageRecord) -> None:
        """Keep a message. A bot message also wakes ``wait_for_messages`` callers."""
        with self.lock:
            self.messages[(record.chat_id, record.message_id)] = record
            if record.from_bot:
                self.bot_messages.append(record)
                self.bot_messages_by_chat.setdefault(record.chat_id, []).append(record)
                self.changed.notify_all()

    def find_message(self, chat_id: int, message_id: int) -> MessageRecord | None:
        with self.lock:
            record = self.messages.get((chat_id, message_id))
        if record is None or record.deleted:
            return None
        return record

    def sent_snapshots(self, chat_id: int | None = None) -> list[SentMessage]:
        with self.lock:
            if chat_id is None:
                records: Iterable[MessageRecord] = self.bot_messages
            else:
                records = self.bot_messages_by_chat.get(chat_id, [])
            return [record.snapshot() for record in records]

    def count_sent(self, chat_id: int) -> int:
        with self.lock:
            return len(self.bot_messages_by_chat.get(chat_id, []))

    def count_all_sent(self) -> int:
        with self.lock:
            return len(self.bot_messages)

    def clear_sent(self) -> None:
        with self.lock:
            for record in self.bot_messages:
                self.messages.pop((record.chat_id, record.message_id), None)
            self.bot_messages.clear()
            self.bot_messages_by_chat.clear()
            self.calls.clear()
            self.callback_answers.clear()
            self.chat_actions.clear()

    # Updates

    def add_update(self, update_type: str, payload: dict[str, Any]) -> int:
        """Queue an update for getUpdates or the webhook and return its update_id."""
        with self.lock:
            update_id = self.next_update_id
            self.next_update_id += 1
            update = {"update_id": update_id, update_type: payload}
            self.pending_updates.append(update)
            self.updates_by_id[update_id] = update
            self.changed.notify_all()
            return update_id

    def get_update(self, update_id: int) -> dict[str, Any]:
        with self.lock:
            update = self.updates_by_id.get(update_id)
        if update is None:
            raise KeyError(f"no update with update_id {update_id}")
        return update

    def take_updates(
        self,
        offset: int | None,
        limit: int,
        timeout: float,
        allowed_updates: list[str] | None,
    ) -> list[dict[str, Any]]:
        """Run getUpdates: confirm updates below ``offset``, then return up to ``limit``.

        Waits up to ``timeout`` seconds for an update when none is pending. A newer
        getUpdates call ends a waiting one with 409 Conflict, as Telegram does when
        two bot instances poll with one token.
        """
        deadline = time.monotonic() + timeout
        with self.lock:
            if self.webhook is not None:
                raise ApiError(409, _CONFLICT_WEBHOOK)
            if allowed_updates is not None:
                self.allowed_updates = _allowed_update_set(allowed_updates)
            self.poll_generation += 1
            generation = self.poll_generation
            self.changed.notify_all()
            self._confirm_updates(offset)

            while True:
                batch = self._deliverable_updates(limit)
                if batch or self.closed:
                    return batch
                if self.webhook is not None:
                    raise ApiError(409, _CONFLICT_WEBHOOK)
                if self.poll_generation != generation:
                    raise ApiError(409, _CONFLICT_OTHER_POLL)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self.changed.wait(remaining)

    def _confirm_updates(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            while len(self.pending_updates) > -offset:
                self.pending_updates.popleft()
            return
        while self.pending_updates and self.pending_updates[0]["update_id"] < offset:
            self.pending_updates.popleft()

    def _deliverable_updates(self, limit: int) -> list[dict[str, Any]]:
        """Return the first ``limit`` pending updates, dropping types the bot did not allow."""
        self.drop_disallowed_updates()
        return list(self.pending_updates)[:limit]

    def drop_disallowed_updates(self) -> None:
        with self.lock:
            allowed = [u for u in self.pending_updates if update_type(u) in self.allowed_updates]
            if len(allowed) != len(self.pending_updates):
                self.pending_updates = deque(allowed)

    def drop_pending_updates(self) -> None:
        with self.lock:
            self.pending_updates.clear()

    def set_allowed_updates(self, allowed_updates: list[str] | None) -> None:
        if allowed_updates is None:
            return
        with self.lock:
            self.allowed_updates = _allowed_update_set(allowed_updates)

    # Webhook

    def set_webhook(self, url: str, secret_token: str | None, max_connections: int) -> None:
        with self.lock:
            self.webhook_generation += 1
            self.webhook = WebhookConfig(
                url=url,
                secret_token=secret_token,
                max_connections=max_connections,
                generation=self.webhook_generation,
            )
            self.webhook_last_error_date = None
            self.webhook_last_error_message = None
            self.changed.notify_all()

    def delete_webhook(self) -> bool:
        """Remove the webhook. Returns whether one was set."""
        with self.lock:
            was_set = self.webhook is not None
            self.webhook = None
            self.webhook_generation += 1
            self.changed.notify_all()
            return was_set

    def next_webhook_delivery(self) -> tuple[dict[str, Any], WebhookConfig] | None:
        """Block until a webhook is set and an update is pending. Returns None once closed."""
        with self.lock:
            while True:
                if self.closed:
                    return None
                if self.webhook is not None:
                    self.drop_disallowed_updates()
                    if self.pending_updates:
                        return self.pending_updates[0], self.webhook
                self.changed.wait()

    def finish_webhook_delivery(self, update_id: int, generation: int) -> None:
        """Remove a delivered or abandoned update unless the webhook changed meanwhile."""
        with self.lock:
            if self.webhook is None or self.webhook.generation != generation:
                return
            if self.pending_updates and self.pending_updates[0]["update_id"] == update_id:
                self.pending_updates.popleft()

    def record_webhook_error(self, message: str) -> None:
        with self.lock:
            self.webhook_last_error_date = int(time.time())
            self.webhook_last_error_message = message

    # Files

    def store_file(
        self,
        kind: str,
        data: bytes,
        extension: str,
        *,
        file_size: int | None = None,
        mime_type: str | None = None,
        file_name: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Keep file bytes under a new file_id and a download path like ``photos/file_3.jpg``.

        An extension that is not 1-10 letters or digits, such as one taken from a
        hostile file name, becomes "bin".
        """
        if not _EXTENSION_PATTERN.fullmatch(extension):
            extension = "bin"
        with self.lock:
            self.file_counter += 1
            number = self.file_counter
        stored = StoredFile(
            file_id=f"emu_{kind}_{number}_{secrets.token_hex(8)}",
            file_unique_id=f"u{number}{secrets.token_hex(4)}",
            file_path=f"{kind}s/file_{number}.{extension}",
            data=data,
            file_size=len(data) if file_size is None else file_size,
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
        )
        with self.lock:
            self.files_by_id[stored.file_id] = stored
            self.files_by_path[stored.file_path] = stored
        return stored

    def find_file(self, file_id: str) -> StoredFile | None:
        with self.lock:
            return self.files_by_id.get(file_id)

    def find_file_by_path(self, file_path: str) -> StoredFile | None:
        with self.lock:
            return self.files_by_path.get(file_path)

    # Call log and fault injection

    def record_call(self, call: RecordedCall) -> None:
        with self.lock:
            self.calls.append(call)

    def add_fault(
        self,
        method: str,
        chat_id: int | None,
        error_code: int,
        retry_after: int | None,
        count: int,
        description: str | None,
    ) -> None:
        parameters = None
        if error_code == 429:
            seconds = 3 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {seconds}"
            parameters = {"retry_after": seconds}
        error = ApiError(error_code, description or default_description(error_code), parameters)
        with self.lock:
            self.faults.append(FaultRule(method.lower(), chat_id, error, count))

    def consume_fault(self, method: str, chat_id: Any) -> ApiError | None:
        """Return the injected error for this call, counting it down, or None."""
        with self.lock:
            if not self.faults:
                return None
            numeric_chat_id = _to_int_or_none(chat_id)
            for rule in self.faults:
                if rule.method != method.lower():
                    continue
                if rule.chat_id is not None and rule.chat_id != numeric_chat_id:
                    continue
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.faults.remove(rule)
                return rule.error
        return None


def update_type(update: dict[str, Any]) -> str:
    """Return the field name that carries an update's payload, such as "message"."""
    for key in update:
        if key != "update_id":
            return key
    return ""


def _allowed_update_set(allowed_updates: list[str]) -> frozenset[str]:
    # An empty list restores the default set, as in the Bot API.
    if not allowed_updates:
        return DEFAULT_UPDATE_TYPES
    return frozenset(allowed_updates)


def _to_int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
