"""Bot API methods about the bot itself: identity, updates, webhooks, files and settings.

Handlers read and change the shared EmulatorState. Webhook delivery itself runs
in emulator.webhook. These handlers only store the configuration.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from emulator.errors import bad_request
from emulator.loopback import is_loopback_host
from emulator.params import RequestParams
from emulator.registry import DescribedResult, api_method
from emulator.state import EmulatorState

__all__: list[str] = []

# Largest file getFile lets a bot download, in bytes (Bot API limit of 20 MB).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_PATTERN = re.compile(r"[a-z0-9_]{1,32}")
_MAX_COMMANDS = 100
_MAX_DESCRIPTION_LENGTH = 512
_MAX_SHORT_DESCRIPTION_LENGTH = 120
_MAX_NAME_LENGTH = 64
_MENU_BUTTON_TYPES = frozenset({"commands", "web_app", "default"})


@api_method("getMe")
def get_me(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("getUpdates")
def get_updates(state: EmulatorState, params: RequestParams) -> list[dict[str, Any]]:
    limit = params.get_int("limit")
    limit = 100 if limit is None else min(max(limit, 1), 100)
    timeout = max(params.get_float("timeout") or 0.0, 0.0)
    allowed_updates = _allowed_updates_param(params)
    return state.take_updates(params.get_int("offset"), limit, timeout, allowed_updates)


def _allowed_updates_param(params: RequestParams) -> list[str] | None:
    allowed_updates = params.get_json("allowed_updates")
    if allowed_updates is None:
        return None
    if not isinstance(allowed_updates, list) or not all(isinstance(name, str) for name in allowed_updates):
        raise bad_request("allowed_updates must be an array of update type names")
    return allowed_updates


@api_method("setWebhook")
def set_webhook(state: EmulatorState, params: RequestParams) -> DescribedResult:
    url = params.get_str("url") or ""
    if not url:
        # An empty URL removes the webhook, as in the Bot API.
        was_set = state.delete_webhook()
        return DescribedResult(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    _validate_webhook_url(url)
    secret_token = params.get_str("secret_token")
    if secret_token is not None and not _SECRET_TOKEN_PATTERN.fullmatch(secret_token):
        raise bad_request("secret token must have 1-256 characters from A-Z, a-z, 0-9, _ and -")
    max_connections = params.get_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("max_connections must be between 1 and 100")
    allowed_updates = _allowed_updates_param(params)

    with state.lock:
        if params.get_bool("drop_pending_updates"):
            state.drop_pending_updates()
        state.set_allowed_updates(allowed_updates)
        state.set_webhook(url, secret_token, max_connections)
    return DescribedResult(True, "Webhook was set")


def _validate_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise bad_request("bad webhook: the URL scheme must be http or https")
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise bad_request("bad webhook: invalid port in the URL") from None
    if not hostname:
        raise bad_request("bad webhook: the URL has no host")
    # NOTE: Telegram requires HTTPS on port 443, 80, 88 or 8443. The emulator
    # accepts plain HTTP on any port but only loopback hosts, so that tests never
    # send traffic to another machine.
    if not is_loopback_host(hostname):
        raise bad_request("bad webhook: only loopback hosts are allowed in the emulator")


@api_method("deleteWebhook")
def delete_webhook(state: EmulatorState, params: RequestParams) -> DescribedResult:
    with state.lock:
        if params.get_bool("drop_pending_updates"):
            state.drop_pending_updates()
        was_set = state.delete_webhook()
    return DescribedResult(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


@api_method("getWebhookInfo")
def get_webhook_info(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    with state.lock:
        state.drop_disallowed_updates()
        info: dict[str, Any] = {
            "url": state.webhook.url if state.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(state.pending_updates),
        }
        if state.webhook is not None:
            info["max_connections"] = state.webhook.max_connections
            info["allowed_updates"] = sorted(state.allowed_updates)
        if state.webhook_last_error_date is not None:
            info["last_error_date"] = state.webhook_last_error_date
            info["last_error_message"] = state.webhook_last_error_message
    return info


@api_method("getFile")
def get_file(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    file_id = params.get_str("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    stored = state.find_file(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.to_file_json()


def _commands_key(state: EmulatorState, params: RequestParams) -> tuple[str, str]:
    scope = params.get_json("scope")
    if scope is not None and not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    if scope is not None and "chat_id" in scope:
        # Telegram returns 400 "chat not found" for a chat scope the bot has no chat with.
        state.resolve_chat(scope["chat_id"])
    scope_key = json.dumps(scope or {"type": "default"}, sort_keys=True)
    return scope_key, params.get_str("language_code") or ""


@api_method("setMyCommands")
def set_my_commands(state: EmulatorState, params: RequestParams) -> bool:
    commands = params.get_json("commands")
    if not isinstance(commands, list) or len(commands) > _MAX_COMMANDS:
        raise bad_request(f"commands must be an array of at most {_MAX_COMMANDS} BotCommand")
    for command in commands:
        _validate_command(command)
    with state.lock:
        state.commands[_commands_key(state, params)] = [
            {"command": command["command"], "description": command["description"]} for command in commands
        ]
    return True


def _validate_command(command: Any) -> None:
    if not isinstance(command, dict):
        raise bad_request("can't parse BotCommand JSON object")
    name = command.get("command")
    if not isinstance(name, str) or not _COMMAND_PATTERN.fullmatch(name):
        raise bad_request(
            f"command {name!r} is invalid: use 1-32 lowercase English letters, digits and underscores"
        )
    description = command.get("description")
    if not isinstance(description, str) or not 1 <= len(description) <= 256:
        raise bad_request(f"description of command {name!r} must have 1-256 characters")


@api_method("getMyCommands")
def get_my_commands(state: EmulatorState, params: RequestParams) -> list[dict[str, Any]]:
    with state.lock:
        return list(state.commands.get(_commands_key(state, params), []))


@api_method("deleteMyCommands")
def delete_my_commands(state: EmulatorState, params: RequestParams) -> bool:
    with state.lock:
        state.commands.pop(_commands_key(state, params), None)
    return True


def _set_localized_text(store: dict[str, str], params: RequestParams, field: str, max_length: int) -> bool:
    value = params.get_str(field) or ""
    if len(value) > max_length:
        raise bad_request(f"{field} must have at most {max_length} characters")
    language_code = params.get_str("language_code") or ""
    if value:
        store[language_code] = value
    else:
        store.pop(language_code, None)
    return True


def _get_localized_text(store: dict[str, str], params: RequestParams, default: str = "") -> str:
    language_code = params.get_str("language_code") or ""
    return store.get(language_code) or store.get("") or default


@api_method("setMyDescription")
def set_my_description(state: EmulatorState, params: RequestParams) -> bool:
    with state.lock:
        return _set_localized_text(state.descriptions, params, "description", _MAX_DESCRIPTION_LENGTH)


@api_method("getMyDescription")
def get_my_description(state: EmulatorState, params: RequestParams) -> dict[str, str]:
    with state.lock:
        return {"description": _get_localized_text(state.descriptions, params)}


@api_method("setMyShortDescription")
def set_my_short_description(state: EmulatorState, params: RequestParams) -> bool:
    with state.lock:
        return _set_localized_text(
            state.short_descriptions, params, "short_description", _MAX_SHORT_DESCRIPTION_LENGTH
        )


@api_method("getMyShortDescription")
def get_my_short_description(state: EmulatorState, params: RequestParams) -> dict[str, str]:
    with state.lock:
        return {"short_description": _get_localized_text(state.short_descriptions, params)}


@api_method("setMyName")
def set_my_name(state: EmulatorState, params: RequestParams) -> bool:
    with state.lock:
        return _set_localized_text(state.names, params, "name", _MAX_NAME_LENGTH)


@api_method("getMyName")
def get_my_name(state: EmulatorState, params: RequestParams) -> dict[str, str]:
    with state.lock:
        return {"name": _get_localized_text(state.names, params, state.bot_user["first_name"])}


@api_method("setChatMenuButton")
def set_chat_menu_button(state: EmulatorState, params: RequestParams) -> bool:
    chat_id = None
    if params.raw("chat_id") not in (None, ""):
        chat_id = state.resolve_chat(params.raw("chat_id")).id
    menu_button = params.get_json("menu_button") or {"type": "default"}
    if not isinstance(menu_button, dict) or menu_button.get("type") not in _MENU_BUTTON_TYPES:
        raise bad_request("can't parse MenuButton JSON object")
    with state.lock:
        state.menu_buttons[chat_id] = menu_button
    return True


@api_method("getChatMenuButton")
def get_chat_menu_button(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    chat_id = None
    if params.raw("chat_id") not in (None, ""):
        chat_id = state.resolve_chat(params.raw("chat_id")).id
    with state.lock:
        bot_default = state.menu_buttons.get(None)
        if bot_default is None or bot_default.get("type") == "default":
            bot_default = {"type": "commands"}
        chat_button = state.menu_buttons.get(chat_id) if chat_id is not None else None
    if chat_button is None or chat_button.get("type") == "default":
        return bot_default
    return chat_button


@api_method("getChat")
def get_chat(state: EmulatorState, params: RequestParams) -> dict[str, Any]:
    chat = state.resolve_chat(params.raw("chat_id"))
    return {
        **chat.chat_json,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@api_method("close")
def close(state: EmulatorState, params: RequestParams) -> bool:
    return True


@api_method("logOut")
def log_out(state: EmulatorState, params: RequestParams) -> bool:
    return True
