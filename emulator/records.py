"""Records that the emulator hands to tests: simulated users, bot messages, calls, files.

Every record here is a frozen dataclass and a snapshot: a later edit of a bot
message does not change a SentMessage a test already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CallbackAnswer",
    "ChatActionRecord",
    "RecordedCall",
    "SentMessage",
    "SimulatedUser",
    "StoredFile",
]


@dataclass(frozen=True)
class SimulatedUser:
    """A Telegram user played by a test. The private chat with the bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_user_json(self) -> dict[str, Any]:
        """Build the Telegram ``User`` object of this user."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def to_private_chat_json(self) -> dict[str, Any]:
        """Build the Telegram ``Chat`` object of this user's private chat with the bot."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class StoredFile:
    """A file the emulator keeps, uploaded by the bot or sent by a simulated user.

    ``file_size`` is the size reported to the bot. It equals ``len(data)`` unless a
    test announced a larger size to exercise the 20 MB download limit.
    """

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_size: int
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None

    def to_file_json(self) -> dict[str, Any]:
        """Build the Telegram ``File`` object that getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent, as it stood when the snapshot was taken.

    ``text`` and ``caption`` are the values of the first send, and ``edits`` lists
    every later text or caption in order, so ``current_text`` is the one a user
    sees now. ``reply_markup`` is the current markup after any edits. The
    ``reply_markup`` of a sent message is the markup passed by the bot, also for
    reply keyboards, which Telegram does not echo in the returned ``Message``.
    ``reply_to_update_id`` is the update that carried the customer message the bot
    replied to, or None when the bot did not reply to a customer message.
    """

    message_id: int
    chat_id: int
    method: str
    text: str | None
    caption: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    reply_to_message_id: int | None
    reply_to_update_id: int | None
    photo_bytes: bytes | None = field(repr=False)
    document_bytes: bytes | None = field(repr=False)
    sent_at: float
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    media_group_id: str | None = None
    disable_notification: bool = False
    message_json: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def current_text(self) -> str | None:
        """Text or caption shown to the user after all edits."""
        if self.edits:
            return self.edits[-1]
        return self.text if self.text is not None else self.caption

    @property
    def button_callback_data(self) -> list[str]:
        """The ``callback_data`` of every inline keyboard button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            button["callback_data"]
            for row in rows
            for button in row
            if isinstance(button, dict) and "callback_data" in button
        ]


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API request received by the emulator.

    ``params`` contains the decoded parameters, with each uploaded file replaced by a
    short description of its name and size. ``at`` is ``time.monotonic()`` at
    receipt. ``error_code`` is None for a successful call.
    """

    method: str
    params: dict[str, Any]
    at: float
    error_code: int | None = None

    @property
    def ok(self) -> bool:
        """True when the emulator returned ``"ok": true`` for the call."""
        return self.error_code is None


@dataclass(frozen=True)
class CallbackAnswer:
    """An answerCallbackQuery call for a button press made with ``press_button``."""

    callback_query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    callback_data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    answered_at: float


@dataclass(frozen=True)
class ChatActionRecord:
    """A sendChatAction call, such as "typing" or "upload_photo"."""

    chat_id: int
    action: str
    at: float
