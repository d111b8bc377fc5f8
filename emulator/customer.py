"""Builders of the updates a customer causes: messages, media, button presses, edits.

Each builder creates the message or callback query the way Telegram would show
it to the bot, with ids, dates, ``from`` and ``chat`` objects, file ids and
command entities. It stores the message in the EmulatorState and queues the
update for getUpdates or the webhook. Builders return the new update_id.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from emulator.html_check import utf16_length
from emulator.media import build_photo_sizes, make_sticker_image
from emulator.message_builder import message_json_for_reply
from emulator.records import SentMessage, SimulatedUser, StoredFile
from emulator.state import EmulatorState, MessageRecord, PendingCallbackQuery

__all__ = ["CustomerSimulator"]

# A bot command starts a message or follows whitespace: "/start" or "/help@name_bot".
_COMMAND_PATTERN = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![^\s])")

# NOTE: voice and video messages carry these placeholder bytes, not playable
# media. A bot that decodes audio or video needs real files sent as documents.
_VOICE_PLACEHOLDER = b"OggS" + b"\x00" * 60
_VIDEO_PLACEHOLDER = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 52


class CustomerSimulator:
    """Creates customer-side updates in an EmulatorState."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._sticker_bytes: bytes | None = None

    # Private chat messages

    def send_text(
        self,
        user: SimulatedUser,
        text: str,
        reply_to_message_id: int | None = None,
    ) -> int:
        if not text:
            raise ValueError("text must not be empty; Telegram clients cannot send empty messages")
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        reply_to = self._reply_target(user.id, reply_to_message_id)
        return self._post_message(user.to_private_chat_json(), user, content, reply_to)

    def send_photo(
        self,
        user: SimulatedUser,
        image_bytes: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> int:
        content = self._photo_content(image_bytes, caption, media_group_id)
        return self._post_message(user.to_private_chat_json(), user, content)

    def send_document(
        self,
        user: SimulatedUser,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        file_size: int | None = None,
    ) -> int:
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = self._state.store_file(
            "document",
            data,
            extension,
            file_size=file_size,
            mime_type=mime_type,
            file_name=file_name,
        )
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": stored.file_size,
            }
        }
        _add_caption(content, caption)
        return self._post_message(user.to_private_chat_json(), user, content)

    def send_sticker(self, user: SimulatedUser, emoji: str = "👍") -> int:
        if self._sticker_bytes is None:
            self._sticker_bytes = make_sticker_image()
        stored = self._state.store_file(
            "sticker", self._sticker_bytes, "webp", mime_type="image/webp", width=512, height=512
        )
        sticker = {
            **_file_fields(stored),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post_message(user.to_private_chat_json(), user, {"sticker": sticker})

    def send_voice(self, user: SimulatedUser, duration: int = 2) -> int:
        stored = self._state.store_file("voice", _VOICE_PLACEHOLDER, "oga", mime_type="audio/ogg")
        voice = {**_file_fields(stored), "duration": duration, "mime_type": "audio/ogg"}
        return self._post_message(user.to_private_chat_json(), user, {"voice": voice})

    def send_video(
        self,
        user: SimulatedUser,
        media_group_id: str | None = None,
        caption: str | None = None,
        duration: int = 3,
    ) -> int:
        stored = self._state.store_file("video", _VIDEO_PLACEHOLDER, "mp4", mime_type="video/mp4")
        video = {
            **_file_fields(stored),
            "width": 640,
            "height": 360,
            "duration": duration,
            "mime_type": "video/mp4",
        }
        content: dict[str, Any] = {"video": video}
        _add_caption(content, caption)
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return self._post_message(user.to_private_chat_json(), user, content)

    # Buttons and edits

    def press_button(
        self,
        user: SimulatedUser,
        message: SentMessage | int,
        callback_data: str,
    ) -> int:
        """Press the inline button with ``callback_data`` under a message the bot sent.

        ``message`` is a SentMessage or a message_id in the user's private chat.
        Raises ValueError when the message is unknown or has no such button, as a
        real client can press only buttons it shows.
        """
        if isinstance(message, SentMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = user.id, int(message)

        with self._state.lock:
            record = self._state.find_message(chat_id, message_id)
            if record is None or not record.from_bot:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            available = record.snapshot().button_callback_data
            if callback_data not in available:
                raise ValueError(
                    f"message {message_id} in chat {chat_id} has no button with "
                    f"callback_data {callback_data!r}; its buttons have {available!r}"
                )

            query_id = str(secrets.randbits(63))
            payload = {
                "id": query_id,
                "from": user.to_user_json(),
                "message": record.message_json,
                "chat_instance": str(abs(hash(("chat", chat_id)))),
                "data": callback_data,
            }
            self._state.pending_callback_queries[query_id] = PendingCallbackQuery(
                query_id=query_id,
                user_id=user.id,
                chat_id=chat_id,
                message_id=message_id,
                callback_data=callback_data,
            )
            return self._state.add_update("callback_query", payload)

    def edit_message(self, user: SimulatedUser, message_id: int, new_text: str) -> int:
        """Edit a text message the user sent in their private chat."""
        if not new_text:
            raise ValueError("new_text must not be empty")
        with self._state.lock:
            record = self._state.find_message(user.id, message_id)
            if record is None or record.from_bot or "text" not in record.message_json:
                raise ValueError(f"user {user.id} sent no text message {message_id}")
            message_json = {
                **record.message_json,
                "text": new_text,
                "edit_date": int(time.time()),
            }
            message_json.pop("entities", None)
            entities = command_entities(new_text)
            if entities:
                message_json["entities"] = entities
            record.message_json = message_json
            record.text = new_text
            return self._state.add_update("edited_message", message_json)

    # Channels and groups

    def channel_post(
        self,
        channel_id: int,
        text: str,
        title: str = "Emulated channel",
        username: str | None = None,
    ) -> int:
        chat: dict[str, Any] = {"id": channel_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        content: dict[str, Any] = {"text": text, "sender_chat": chat}
        return self._post_message(chat, None, content, update_type="channel_post")

    def group_message(
        self,
        user: SimulatedUser,
        group_chat_id: int,
        text: str | None = None,
        photo: bytes | None = None,
        caption: str | None = None,
        reply_to_bot_message_id: int | None = None,
        chat_type: str = "group",
        title: str = "Emulated group",
    ) -> int:
        if chat_type not in ("group", "supergroup"):
            raise ValueError(f"chat_type must be 'group' or 'supergroup', got {chat_type!r}")
        if (text is None) == (photo is None):
            raise ValueError("pass exactly one of text and photo")
        if text == "":
            raise ValueError("text must not be empty; Telegram clients cannot send empty messages")

        chat = {"id": group_chat_id, "type": chat_type, "title": title}
        if photo is not None:
            content = self._photo_content(photo, caption, None)
        else:
            content = {"text": text}
            entities = command_entities(text or "")
            if entities:
                content["entities"] = entities
        reply_to = self._reply_target(group_chat_id, reply_to_bot_message_id)
        return self._post_message(chat, user, content, reply_to)

    # Helpers

    def _photo_content(
        self,
        image_bytes: bytes,
        caption: str | None,
        media_group_id: str | None,
    ) -> dict[str, Any]:
        sizes = []
        for size in build_photo_sizes(image_bytes):
            stored = self._state.store_file(
                "photo",
                size.jpeg_bytes,
                "jpg",
                mime_type="image/jpeg",
                width=size.width,
                height=size.height,
            )
            sizes.append({**_file_fields(stored), "width": size.width, "height": size.height})
        content: dict[str, Any] = {"photo": sizes}
        _add_caption(content, caption)
        if media_group_id is not None:
            content["media_group_id"] = media_group_id
        return content

    def _reply_target(self, chat_id: int, message_id: int | None) -> MessageRecord | None:
        if message_id is None:
            return None
        record = self._state.find_message(chat_id, message_id)
        if record is None:
            raise ValueError(f"no message {message_id} in chat {chat_id} to reply to")
        return record

    def _post_message(
        self,
        chat_json: dict[str, Any],
        sender: SimulatedUser | None,
        content: dict[str, Any],
        reply_to: MessageRecord | None = None,
        update_type: str = "message",
    ) -> int:
        with self._state.lock:
            chat = self._state.ensure_chat(chat_json)
            message_id = self._state.allocate_message_id(chat)
            message: dict[str, Any] = {"message_id": message_id}
            if sender is not None:
                message["from"] = sender.to_user_json()
            message.update({"chat": chat.chat_json, "date": int(time.time()), **content})
            if reply_to is not None:
                message["reply_to_message"] = message_json_for_reply(reply_to)

            update_id = self._state.add_update(update_type, message)
            self._state.store_message(
                MessageRecord(
                    chat_id=chat.id,
                    message_id=message_id,
                    message_json=message,
                    from_bot=False,
                    created_at=time.monotonic(),
                    update_id=update_id,
                    text=content.get("text"),
                    caption=content.get("caption"),
                    reply_to_message_id=reply_to.message_id if reply_to else None,
                )
            )
            return update_id


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return ``bot_command`` entities, in UTF-16 offsets, for each /command in the text."""
    entities = []
    for match in _COMMAND_PATTERN.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_length(text[: match.start()]),
                "length": utf16_length(match.group()),
            }
        )
    return entities


def _file_fields(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }


def _add_caption(content: dict[str, Any], caption: str | None) -> None:
    if caption:
        content["caption"] = caption
        entities = command_entities(caption)
        if entities:
            content["caption_entities"] = entities
