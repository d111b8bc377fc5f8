"""HTTP control API under ``/_emulator/`` for tests, demos and benchmarks in another process.

It exposes the customer side of the emulator over JSON: register users, create
updates, read what the bot sent, inject faults. It needs no token, because the
server binds only to loopback addresses.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from emulator.customer import CustomerSimulator
from emulator.records import SentMessage, SimulatedUser
from emulator.responses import HttpResponse, json_response
from emulator.state import EmulatorState

__all__ = ["ControlApi", "ControlError", "sent_message_summary"]

CONTROL_PREFIX = "/_emulator/"


class ControlError(Exception):
    """A control API request that cannot be served, sent back as ``{"ok": false, "error": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sent_message_summary(message: SentMessage) -> dict[str, Any]:
    """Describe a bot message in JSON, with media sizes in place of the bytes."""
    return {
        "message_id": message.message_id,
        "chat_id": message.chat_id,
        "method": message.method,
        "text": message.text,
        "caption": message.caption,
        "current_text": message.current_text,
        "parse_mode": message.parse_mode,
        "reply_markup": message.reply_markup,
        "reply_to_message_id": message.reply_to_message_id,
        "reply_to_update_id": message.reply_to_update_id,
        "photo_size": len(message.photo_bytes) if message.photo_bytes is not None else None,
        "document_size": (len(message.document_bytes) if message.document_bytes is not None else None),
        "file_id": message.file_id,
        "file_name": message.file_name,
        "mime_type": message.mime_type,
        "media_group_id": message.media_group_id,
        "edits": message.edits,
        "deleted": message.deleted,
        "sent_at": message.sent_at,
    }


class ControlApi:
    """Routes ``/_emulator/<name>`` requests to the state and the customer simulator."""

    def __init__(self, state: EmulatorState, customer: CustomerSimulator) -> None:
        self._state = state
        self._customer = customer
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {
            ("GET", ""): self._list_routes,
            ("GET", "health"): self._health,
            ("POST", "users"): self._create_user,
            ("POST", "updates"): self._create_update,
            ("GET", "sent"): self._list_sent,
            ("GET", "calls"): self._list_calls,
            ("POST", "faults"): self._add_fault,
            ("POST", "blocked"): self._set_blocked,
        }

    def handle(self, http_method: str, path: str, query: str, body: bytes) -> HttpResponse:
        name = path.removeprefix(CONTROL_PREFIX).strip("/")
        try:
            if (http_method, name) == ("GET", "media"):
                return self._media(_query_values(query))
            route = self._routes.get((http_method, name))
            if route is None:
                known = any(route_name == name for _, route_name in self._routes)
                raise ControlError(405 if known else 404, f"no control route {http_method} {path}")
            arguments = _query_values(query) if http_method == "GET" else _json_object(body)
            return json_response(200, route(arguments))
        except ControlError as error:
            return json_response(error.status, {"ok": False, "error": error.message})

    def _health(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _list_routes(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Return the control routes, so that the root URL the emulator prints responds with them."""
        routes = [f"{method} {CONTROL_PREFIX}{name}" for method, name in self._routes if name]
        routes.append(f"GET {CONTROL_PREFIX}media")
        return {"ok": True, "routes": sorted(routes), "details": "emulator/control.py"}

    def _create_user(self, arguments: dict[str, Any]) -> dict[str, Any]:
        user = SimulatedUser(
            id=_required_int(arguments, "id"),
            first_name=str(arguments.get("first_name") or f"User {arguments['id']}"),
            last_name=arguments.get("last_name"),
            username=arguments.get("username"),
            language_code=arguments.get("language_code"),
        )
        self._state.add_user(user)
        return user.to_user_json()

    def _create_update(self, arguments: dict[str, Any]) -> dict[str, Any]:
        kind = arguments.get("kind")
        user_id = _required_int(arguments, "user_id")
        try:
            user = self._state.get_user(user_id)
        except KeyError:
            raise ControlError(
                404, f"user {user_id} not found; create it with POST /_emulator/users"
            ) from None

        try:
            update_id = self._build_update(kind, user, arguments)
        except ValueError as error:
            raise ControlError(400, str(error)) from None
        return {"update_id": update_id, "message_id": _message_id_of(self._state.get_update(update_id))}

    def _build_update(self, kind: Any, user: SimulatedUser, arguments: dict[str, Any]) -> int:
        customer = self._customer
        group_chat_id = _optional_int(arguments, "group_chat_id")
        if group_chat_id is not None:
            return self._build_group_message(kind, user, group_chat_id, arguments)
        if kind == "text":
            return customer.send_text(user, str(arguments.get("text") or ""))
        if kind == "photo":
            return customer.send_photo(
                user,
                _decode_data(arguments),
                caption=arguments.get("caption"),
                media_group_id=arguments.get("media_group_id"),
            )
        if kind == "document":
            return customer.send_document(
                user,
                _decode_data(arguments),
                file_name=str(arguments.get("file_name") or "file.bin"),
                mime_type=str(arguments.get("mime_type") or "application/octet-stream"),
                caption=arguments.get("caption"),
                file_size=arguments.get("file_size"),
            )
        if kind == "sticker":
            return customer.send_sticker(user)
        if kind == "voice":
            return customer.send_voice(user)
        if kind == "video":
            return customer.send_video(
                user,
                media_group_id=arguments.get("media_group_id"),
                caption=arguments.get("caption"),
            )
        if kind == "callback":
            return customer.press_button(
                user,
                _required_int(arguments, "message_id"),
                str(arguments.get("callback_data") or ""),
            )
        if kind == "edit":
            return customer.edit_message(
                user, _required_int(arguments, "message_id"), str(arguments.get("text") or "")
            )
        raise ControlError(
            400,
            f"unknown kind {kind!r}; use text, photo, document, sticker, voice, video, callback or edit",
        )

    def _build_group_message(
        self, kind: Any, user: SimulatedUser, group_chat_id: int, arguments: dict[str, Any]
    ) -> int:
        """Post the user's text or photo in a group, as when the bot is a member of that group."""
        if group_chat_id >= 0:
            raise ControlError(
                400, f"group_chat_id must be negative, as Telegram's group ids are, got {group_chat_id}"
            )
        if kind == "text":
            return self._customer.group_message(user, group_chat_id, text=str(arguments.get("text") or ""))
        if kind == "photo":
            return self._customer.group_message(
                user, group_chat_id, photo=_decode_data(arguments), caption=arguments.get("caption")
            )
        raise ControlError(400, f"in a group, kind must be text or photo, got {kind!r}")

    def _list_sent(self, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = _optional_int(arguments, "chat_id")
        after_message_id = _optional_int(arguments, "after_message_id") or 0
        return [
            sent_message_summary(message)
            for message in self._state.sent_snapshots(chat_id)
            if message.message_id > after_message_id
        ]

    def _list_calls(self, arguments: dict[str, Any]) -> list[dict[str, Any]]:
        method = arguments.get("method")
        with self._state.lock:
            calls = list(self._state.calls)
        return [
            {"method": call.method, "params": call.params, "at": call.at, "error_code": call.error_code}
            for call in calls
            if method is None or call.method.lower() == str(method).lower()
        ]

    def _add_fault(self, arguments: dict[str, Any]) -> dict[str, Any]:
        method = arguments.get("method")
        if not isinstance(method, str) or not method:
            raise ControlError(400, "field 'method' is missing")
        self._state.add_fault(
            method=method,
            chat_id=_optional_int(arguments, "chat_id"),
            error_code=_optional_int(arguments, "error_code") or 429,
            retry_after=_optional_int(arguments, "retry_after"),
            count=_optional_int(arguments, "count") or 1,
            description=arguments.get("description"),
        )
        return {"ok": True}

    def _set_blocked(self, arguments: dict[str, Any]) -> dict[str, Any]:
        user_id = _required_int(arguments, "user_id")
        blocked = arguments.get("blocked", True)
        with self._state.lock:
            if blocked:
                self._state.blocked_user_ids.add(user_id)
            else:
                self._state.blocked_user_ids.discard(user_id)
        return {"ok": True, "user_id": user_id, "blocked": bool(blocked)}

    def _media(self, arguments: dict[str, Any]) -> HttpResponse:
        chat_id = _required_int(arguments, "chat_id")
        message_id = _required_int(arguments, "message_id")
        for message in self._state.sent_snapshots(chat_id):
            if message.message_id != message_id:
                continue
            data = message.photo_bytes if message.photo_bytes is not None else message.document_bytes
            if data is None:
                raise ControlError(404, f"bot message {message_id} in chat {chat_id} has no media")
            return HttpResponse(200, data, message.mime_type or "application/octet-stream")
        raise ControlError(404, f"no bot message {message_id} in chat {chat_id}")


def _query_values(query: str) -> dict[str, Any]:
    return {name: values[-1] for name, values in parse_qs(query).items()}


def _json_object(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        decoded = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ControlError(400, "request body is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise ControlError(400, "request body must be a JSON object")
    return decoded


def _optional_int(arguments: dict[str, Any], name: str) -> int | None:
    value = arguments.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"field {name!r} must be an integer, got {value!r}") from None


def _required_int(arguments: dict[str, Any], name: str) -> int:
    value = _optional_int(arguments, name)
    if value is None:
        raise ControlError(400, f"field {name!r} is missing")
    return value


def _decode_data(arguments: dict[str, Any]) -> bytes:
    encoded = arguments.get("data_base64")
    if encoded is None:
        raise ControlError(400, "field 'data_base64' is missing")
    if not isinstance(encoded, str) or not encoded:
        # Telegram delivers no empty files, so the emulator does not make one either.
        raise ControlError(400, "field 'data_base64' must be a non-empty base64 string")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "field 'data_base64' is not valid base64") from None


def _message_id_of(update: dict[str, Any]) -> int | None:
    for key, payload in update.items():
        if key == "update_id" or not isinstance(payload, dict):
            continue
        if "message_id" in payload:
            return int(payload["message_id"])
        message = payload.get("message")
        if isinstance(message, dict) and "message_id" in message:
            return int(message["message_id"])
    return None
