"""Bot API methods that send, edit and delete messages, answer callback queries and send chat actions.

Every handler works on the shared EmulatorState and returns what Telegram puts
in ``result``. Validation failures raise ApiError with Telegram's description.
"""

from __future__ import annotations

import mimetypes
import secrets
import time
from typing import Any

from emulator.errors import ApiError, bad_request
from emulator.media import inspect_image
from emulator.message_builder import (
    ResolvedInputFile,
    parse_reply_markup,
    resolve_input_file,
    resolve_reply_target,
    store_bot_message,
)
from emulator.params import RequestParams
from emulator.records import CallbackAnswer, ChatActionRecord, StoredFile
from emulator.registry import api_method
from emulator.state import ChatState, EmulatorState, MessageRecord
from emulator.text_format import FormattedText, parse_caption, parse_message_text

__all__: list[str] = []

# Largest file a bot may upload with sendDocument, in bytes (Bot API limit of 50 MB).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
_IMAGE_MIME_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}


def _sendable_chat(state: EmulatorState, params: RequestParams) -> ChatState:
    chat = state.resolve_chat(params.raw("chat_id"))
    state.check_not_blocked(chat)
    return chat


def _add_entities(content: dict[str, Any], key: str, formatted: FormattedText) -> None:
    if formatted.entities:
        content[key] = formatted.entities


@api_method("sendMessage")
def send_message(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    chat = _sendable_chat(state, params)
    text = params.get_str("text")
    formatted = parse_message_text(text, params.get_str("parse_mode"), params.get_json("entities"))
    reply_to = resolve_reply_target(state, chat, params)
    reply_markup = parse_reply_markup(params)

    content: dict[str, Any] = {"text": formatted.text}
    _add_entities(content, "entities", formatted)
    link_preview_options = params.get_json("link_preview_options")
    if isinstance(link_preview_options, dict):
        content["link_preview_options"] = link_preview_options

    return store_bot_message(state, chat, "sendMessage", content, params, reply_to, reply_markup, text=text)


@api_method("sendPhoto")
def send_photo(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    chat = _sendable_chat(state, params)
    caption = params.get_str("caption")
    formatted = parse_caption(caption, params.get_str("parse_mode"), params.get_json("caption_entities"))
    reply_to = resolve_reply_target(state, chat, params)
    reply_markup = parse_reply_markup(params)
    stored = _store_photo(state, resolve_input_file(state, params, "photo"))

    content: dict[str, Any] = {"photo": [_photo_size_json(stored)]}
    if formatted.text:
        content["caption"] = formatted.text
        _add_entities(content, "caption_entities", formatted)

    return store_bot_message(
        state,
        chat,
        "sendPhoto",
        content,
        params,
        reply_to,
        reply_markup,
        caption=caption,
        media_kind="photo",
        media_bytes=stored.data,
        file_id=stored.file_id,
        mime_type=stored.mime_type,
    )


def _store_photo(state: EmulatorState, resolved: ResolvedInputFile) -> StoredFile:
    if resolved.stored is not None:
        return resolved.stored
    if not resolved.data:
        raise bad_request("file must be non-empty")
    info = inspect_image(resolved.data)
    if info is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    extension = _IMAGE_EXTENSIONS.get(info.format, "jpg")
    # NOTE: Telegram re-encodes an uploaded photo into several JPEG sizes. The
    # emulator keeps the upload as one size so a test can inspect the exact bytes
    # the bot produced, such as a chart PNG.
    return state.store_file(
        "photo",
        resolved.data,
        extension,
        mime_type=_IMAGE_MIME_TYPES.get(info.format, "application/octet-stream"),
        file_name=resolved.filename,
        width=info.width,
        height=info.height,
    )


def _photo_size_json(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.width or 0,
        "height": stored.height or 0,
        "file_size": stored.file_size,
    }


@api_method("sendDocument")
def send_document(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    chat = _sendable_chat(state, params)
    caption = params.get_str("caption")
    formatted = parse_caption(caption, params.get_str("parse_mode"), params.get_json("caption_entities"))
    reply_to = resolve_reply_target(state, chat, params)
    reply_markup = parse_reply_markup(params)
    stored = _store_document(state, resolve_input_file(state, params, "document"))

    content: dict[str, Any] = {"document": _document_json(stored)}
    if formatted.text:
        content["caption"] = formatted.text
        _add_entities(content, "caption_entities", formatted)

    return store_bot_message(
        state,
        chat,
        "sendDocument",
        content,
        params,
        reply_to,
        reply_markup,
        caption=caption,
        media_kind="document",
        media_bytes=stored.data,
        file_id=stored.file_id,
        file_name=stored.file_name,
        mime_type=stored.mime_type,
    )


def _store_document(state: EmulatorState, resolved: ResolvedInputFile, kind: str = "document") -> StoredFile:
    if resolved.stored is not None:
        return resolved.stored
    if not resolved.data:
        raise bad_request("file must be non-empty")
    if len(resolved.data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    file_name = resolved.filename or "file"
    mime_type = resolved.content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
    return state.store_file(kind, resolved.data, extension, mime_type=mime_type, file_name=file_name)


def _document_json(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


@api_method("sendMediaGroup")
def send_media_group(state: EmulatorState, params: RequestParams) -> list[dict[str, Any]]:
    chat = _sendable_chat(state, params)
    media = params.get_json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("media must be an array of 2-10 InputMedia objects")
    item_types = {item.get("type") if isinstance(item, dict) else None for item in media}
    if not item_types <= {"photo", "video", "document", "audio"}:
        raise bad_request("media contains an item of an unsupported type")
    if len(item_types) > 1 and item_types & {"document", "audio"}:
        raise bad_request("documents and audio files can be grouped only with items of the same type")
    reply_to = resolve_reply_target(state, chat, params)

    prepared = [_prepare_media_item(state, params, item) for item in media]
    media_group_id = str(secrets.randbits(60))
    messages: list[dict[str, Any]] = []
    with state.lock:
        for content, record_fields in prepared:
            content["media_group_id"] = media_group_id
            messages.append(
                store_bot_message(
                    state,
                    chat,
                    "sendMediaGroup",
                    content,
                    params,
                    reply_to,
                    None,
                    media_group_id=media_group_id,
                    **record_fields,
                )
            )
    return messages


def _prepare_media_item(
    state: EmulatorState,
    params: RequestParams,
    item: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    item_type = item["type"]
    caption = item.get("caption")
    formatted = parse_caption(caption, item.get("parse_mode"), item.get("caption_entities"))
    resolved = resolve_input_file(state, params, "media", item.get("media"))

    if item_type == "photo":
        stored = _store_photo(state, resolved)
        content: dict[str, Any] = {"photo": [_photo_size_json(stored)]}
        media_kind = "photo"
    else:
        stored = _store_document(state, resolved, kind=item_type)
        content = {item_type: _document_json(stored)}
        media_kind = "document"

    if formatted.text:
        content["caption"] = formatted.text
        _add_entities(content, "caption_entities", formatted)
    record_fields = {
        "caption": caption,
        "media_kind": media_kind,
        "media_bytes": stored.data,
        "file_id": stored.file_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
    }
    return content, record_fields


def _editable_message(state: EmulatorState, params: RequestParams) -> MessageRecord:
    if params.raw("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = state.resolve_chat(params.raw("chat_id"))
    message_id = params.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    record = state.find_message(chat.id, message_id)
    if record is None:
        raise bad_request("message to edit not found")
    if not record.from_bot:
        raise bad_request("message can't be edited")
    return record


def _not_modified() -> ApiError:
    return bad_request("message is not modified: the new content and reply markup equal the current ones")


def _apply_edit(
    record: MessageRecord,
    changes: dict[str, Any],
    removed_keys: list[str],
    reply_markup: dict[str, Any] | None,
) -> dict[str, Any]:
    # The message JSON is replaced, never changed in place, so snapshots that
    # share the old dict stay as they were.
    message_json = {**record.message_json, **changes, "edit_date": int(time.time())}
    for key in removed_keys:
        message_json.pop(key, None)
    if reply_markup is not None and "inline_keyboard" in reply_markup:
        message_json["reply_markup"] = reply_markup
    else:
        message_json.pop("reply_markup", None)
    record.message_json = message_json
    record.reply_markup = reply_markup
    return message_json


@api_method("editMessageText")
def edit_message_text(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    record = _editable_message(state, params)
    text = params.get_str("text")
    formatted = parse_message_text(text, params.get_str("parse_mode"), params.get_json("entities"))
    # Without reply_markup an edit removes the inline keyboard, as in Telegram.
    reply_markup = parse_reply_markup(params)

    with state.lock:
        if "text" not in record.message_json:
            raise bad_request("there is no text in the message to edit")
        unchanged = (
            record.message_json.get("text") == formatted.text
            and record.message_json.get("entities", []) == formatted.entities
            and record.reply_markup == reply_markup
        )
        if unchanged:
            raise _not_modified()
        changes: dict[str, Any] = {"text": formatted.text}
        removed = []
        if formatted.entities:
            changes["entities"] = formatted.entities
        else:
            removed.append("entities")
        record.edits.append(text or "")
        record.parse_mode = params.get_str("parse_mode")
        return _apply_edit(record, changes, removed, reply_markup)


@api_method("editMessageCaption")
def edit_message_caption(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    record = _editable_message(state, params)
    caption = params.get_str("caption")
    formatted = parse_caption(caption, params.get_str("parse_mode"), params.get_json("caption_entities"))
    reply_markup = parse_reply_markup(params)

    with state.lock:
        if record.media_kind is None:
            raise bad_request("there is no caption in the message to edit")
        unchanged = (
            record.message_json.get("caption", "") == formatted.text
            and record.message_json.get("caption_entities", []) == formatted.entities
            and record.reply_markup == reply_markup
        )
        if unchanged:
            raise _not_modified()
        changes: dict[str, Any] = {}
        removed = []
        if formatted.text:
            changes["caption"] = formatted.text
        else:
            removed.append("caption")
        if formatted.entities:
            changes["caption_entities"] = formatted.entities
        else:
            removed.append("caption_entities")
        record.edits.append(caption or "")
        record.parse_mode = params.get_str("parse_mode")
        return _apply_edit(record, changes, removed, reply_markup)


@api_method("editMessageReplyMarkup")
def edit_message_reply_markup(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    record = _editable_message(state, params)
    reply_markup = parse_reply_markup(params)
    if reply_markup is not None and "inline_keyboard" not in reply_markup:
        raise bad_request("only an inline keyboard can be set by editMessageReplyMarkup")

    with state.lock:
        if record.reply_markup == reply_markup:
            raise _not_modified()
        return _apply_edit(record, {}, [], reply_markup)


@api_method("deleteMessage")
def delete_message(state: EmulatorState, params: RequestParams) -> bool:
    chat = state.resolve_chat(params.raw("chat_id"))
    message_id = params.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    with state.lock:
        record = state.find_message(chat.id, message_id)
        if record is None:
            raise bad_request("message to delete not found")
        record.deleted = True
    return True


@api_method("deleteMessages")
def delete_messages(state: EmulatorState, params: RequestParams) -> bool:
    chat = state.resolve_chat(params.raw("chat_id"))
    message_ids = params.get_json("message_ids")
    if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
        raise bad_request("message_ids must be an array of 1-100 message identifiers")
    with state.lock:
        # Telegram skips messages it cannot find instead of failing the call.
        for message_id in message_ids:
            record = state.find_message(chat.id, int(message_id))
            if record is not None:
                record.deleted = True
    return True


@api_method("answerCallbackQuery")
def answer_callback_query(state: EmulatorState, params: RequestParams) -> bool:
    query_id = params.get_str("callback_query_id")
    with state.lock:
        pending = state.pending_callback_queries.pop(query_id or "", None)
        if pending is None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        state.callback_answers.append(
            CallbackAnswer(
                callback_query_id=pending.query_id,
                user_id=pending.user_id,
                chat_id=pending.chat_id,
                message_id=pending.message_id,
                callback_data=pending.callback_data,
                text=params.get_str("text"),
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time") or 0,
                answered_at=time.monotonic(),
            )
        )
        state.changed.notify_all()
    return True


@api_method("sendChatAction")
def send_chat_action(state: EmulatorState, params: RequestParams) -> bool:
    chat = _sendable_chat(state, params)
    action = params.get_str("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    with state.lock:
        state.chat_actions.append(ChatActionRecord(chat.id, action, time.monotonic()))
    return True
