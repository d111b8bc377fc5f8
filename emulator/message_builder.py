"""Helpers shared by the send and edit handlers: reply markup, replies, input files.

Each helper validates one parameter the way Telegram does and raises ApiError
with Telegram's description when the bot sent something the real API rejects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from emulator.errors import bad_request
from emulator.params import RequestParams
from emulator.records import StoredFile
from emulator.state import ChatState, EmulatorState, MessageRecord

__all__ = [
    "ResolvedInputFile",
    "build_bot_message_json",
    "message_json_for_reply",
    "parse_reply_markup",
    "resolve_input_file",
    "resolve_reply_target",
    "store_bot_message",
]

# Inline keyboard button fields that give a button its action. A button needs
# exactly one of them.
_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_MAX_CALLBACK_DATA_BYTES = 64


@dataclass(frozen=True)
class ResolvedInputFile:
    """A file parameter: new bytes from an upload, or a file the emulator already stores."""

    data: bytes
    filename: str | None
    content_type: str | None
    stored: StoredFile | None


def parse_reply_markup(params: RequestParams) -> dict[str, Any] | None:
    """Validate ``reply_markup``, given as a JSON object or a JSON-encoded string."""
    markup = params.get_json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")

    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request('can\'t parse inline keyboard button: field "text" must be a string')
            actions = [name for name in _INLINE_BUTTON_ACTIONS if name in button]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad_request(
                    f"can't parse inline keyboard button: exactly one of {', '.join(actions)} is allowed"
                )
            callback_data = button.get("callback_data")
            if callback_data is not None:
                _validate_callback_data(callback_data)


def _validate_callback_data(callback_data: Any) -> None:
    if not isinstance(callback_data, str):
        raise bad_request("can't parse inline keyboard button: callback_data must be a string")
    size = len(callback_data.encode("utf-8"))
    if size == 0 or size > _MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def _validate_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text:
                raise bad_request('can\'t parse keyboard button: field "text" must be a non-empty string')


def resolve_reply_target(
    state: EmulatorState,
    chat: ChatState,
    params: RequestParams,
) -> MessageRecord | None:
    """Find the message named by ``reply_parameters`` or the older ``reply_to_message_id``.

    Raises 400 "message to be replied not found" unless the bot allowed sending
    without the reply.
    """
    reply_parameters = params.get_json("reply_parameters")
    if reply_parameters is not None and not isinstance(reply_parameters, dict):
        raise bad_request("can't parse reply parameters JSON object")

    if reply_parameters:
        message_id = reply_parameters.get("message_id")
        allow_without_reply = bool(reply_parameters.get("allow_sending_without_reply"))
        target_chat = chat
        if reply_parameters.get("chat_id") not in (None, chat.id):
            target_chat = state.resolve_chat(reply_parameters["chat_id"])
    else:
        message_id = params.get_int("reply_to_message_id")
        allow_without_reply = params.get_bool("allow_sending_without_reply")
        target_chat = chat

    if message_id is None:
        return None
    try:
        record = state.find_message(target_chat.id, int(message_id))
    except (TypeError, ValueError):
        raise bad_request("reply_parameters.message_id must be an integer") from None
    if record is None and not allow_without_reply:
        raise bad_request("message to be replied not found")
    return record


def message_json_for_reply(record: MessageRecord) -> dict[str, Any]:
    """Return a message as it appears in ``reply_to_message``, without its own reply."""
    quoted = dict(record.message_json)
    quoted.pop("reply_to_message", None)
    return quoted


def build_bot_message_json(
    state: EmulatorState,
    chat: ChatState,
    message_id: int,
    content: dict[str, Any],
    reply_to: MessageRecord | None,
    reply_markup: dict[str, Any] | None,
) -> dict[str, Any]:
    """Build the ``Message`` object returned for a message the bot sent."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": state.bot_user,
        "chat": chat.chat_json,
        "date": int(time.time()),
        **content,
    }
    if reply_to is not None:
        message["reply_to_message"] = message_json_for_reply(reply_to)
    if reply_markup is not None and "inline_keyboard" in reply_markup:
        # Telegram echoes only inline keyboards in the returned Message.
        message["reply_markup"] = reply_markup
    return message


def store_bot_message(
    state: EmulatorState,
    chat: ChatState,
    method: str,
    content: dict[str, Any],
    params: RequestParams,
    reply_to: MessageRecord | None,
    reply_markup: dict[str, Any] | None,
    **record_fields: Any,
) -> dict[str, Any]:
    """Give a bot message the next message_id of the chat, keep it, and return its JSON."""
    with state.lock:
        message_id = state.allocate_message_id(chat)
        message_json = build_bot_message_json(state, chat, message_id, content, reply_to, reply_markup)
        replied_update_id = None
        if reply_to is not None and not reply_to.from_bot:
            replied_update_id = reply_to.update_id
        record = MessageRecord(
            chat_id=chat.id,
            message_id=message_id,
            message_json=message_json,
            from_bot=True,
            created_at=time.monotonic(),
            method=method,
            parse_mode=params.get_str("parse_mode"),
            reply_markup=reply_markup,
            reply_to_message_id=reply_to.message_id if reply_to is not None else None,
            reply_to_update_id=replied_update_id,
            disable_notification=params.get_bool("disable_notification"),
            **record_fields,
        )
        state.store_message(record)
    return message_json


def resolve_input_file(
    state: EmulatorState,
    params: RequestParams,
    field_name: str,
    value: Any = None,
) -> ResolvedInputFile:
    """Resolve a file parameter: an upload, ``attach://<part>``, a known file_id or a URL.

    ``value`` overrides the parameter value, for the items of sendMediaGroup.
    Raises 400 for a URL, because the emulator cannot reach the internet, and for
    an unknown file_id.
    """
    if value is None:
        uploaded = params.file(field_name)
        if uploaded is not None:
            return ResolvedInputFile(uploaded.data, uploaded.filename, uploaded.content_type, None)
        value = params.get_str(field_name)

    if not value or not isinstance(value, str):
        raise bad_request(f"there is no {field_name} in the request")

    if value.startswith("attach://"):
        part_name = value.removeprefix("attach://")
        uploaded = params.file(part_name)
        if uploaded is None:
            raise bad_request(f"file {value} was not uploaded in this request")
        return ResolvedInputFile(uploaded.data, uploaded.filename, uploaded.content_type, None)

    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")

    stored = state.find_file(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return ResolvedInputFile(stored.data, stored.file_name, stored.mime_type, stored)
