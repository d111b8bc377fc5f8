"""Decoding of Bot API request parameters from a query string and a request body.

Telegram accepts parameters as a query string, a JSON object, a urlencoded form or
multipart/form-data. In the form encodings every value is a string and objects
such as ``reply_markup`` are JSON-encoded strings, which is how python-telegram-bot
sends them, so the typed getters below accept both native JSON values and strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from emulator.errors import bad_request
from emulator.multipart import MultipartError, parse_multipart

__all__ = [
    "RequestParams",
    "UploadedFile",
    "decode_request_params",
]

_TRUE_STRINGS = {"true", "1", "yes", "on"}
_FALSE_STRINGS = {"false", "0", "no", "off", ""}


@dataclass(frozen=True)
class UploadedFile:
    """A file sent as a multipart part."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


class RequestParams:
    """The parameters of one Bot API call, with typed getters that raise 400 errors."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> None:
        self._values = dict(values)
        self._files = dict(files)

    def __contains__(self, name: str) -> bool:
        return name in self._values or name in self._files

    def raw(self, name: str) -> Any:
        """Return the value as received: a JSON value, a string, or None when absent."""
        return self._values.get(name)

    def file(self, name: str) -> UploadedFile | None:
        """Return the uploaded file of a multipart part, or None."""
        return self._files.get(name)

    def get_str(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f"parameter {name} must be a string")

    def get_int(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f"parameter {name} must be an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f"parameter {name} must be an integer, got {value!r}")

    def get_float(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad_request(f"parameter {name} must be a number, got {value!r}")

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE_STRINGS:
                return True
            if lowered in _FALSE_STRINGS:
                return False
        raise bad_request(f"parameter {name} must be a boolean, got {value!r}")

    def get_json(self, name: str) -> Any:
        """Return an object or array parameter, decoding it when it came as a JSON string."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise bad_request(f"can't parse {name} JSON object: {error.msg}") from None

    def describe(self) -> dict[str, Any]:
        """Return the parameters for the call log, with each file as "<file NAME, N bytes>"."""
        described = dict(self._values)
        for name, uploaded in self._files.items():
            described[name] = f"<file {uploaded.filename or name}, {len(uploaded.data)} bytes>"
        return described


def decode_request_params(query: str, content_type: str | None, body: bytes) -> RequestParams:
    """Merge the query string with the body decoded according to its Content-Type.

    Body values win over query values of the same name. Raises ApiError 400 for a
    body that does not match its declared type.
    """
    values: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    media_type = (content_type or "").split(";", 1)[0].strip().lower()

    if not body:
        return RequestParams(values, files)

    if media_type == "application/json":
        values.update(_decode_json_body(body))
    elif media_type == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("request body is not valid UTF-8") from None
        values.update(parse_qsl(text, keep_blank_values=True))
    elif media_type == "multipart/form-data":
        _decode_multipart_body(body, content_type or "", values, files)
    else:
        raise bad_request(f"unsupported Content-Type {media_type!r}")

    return RequestParams(values, files)


def _decode_json_body(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_request("can't parse JSON request body") from None
    if not isinstance(decoded, dict):
        raise bad_request("JSON request body must be an object")
    return decoded


def _decode_multipart_body(
    body: bytes,
    content_type: str,
    values: dict[str, Any],
    files: dict[str, UploadedFile],
) -> None:
    try:
        parts = parse_multipart(body, content_type)
    except MultipartError as error:
        raise bad_request(f"can't parse multipart body: {error}") from None

    for part in parts:
        if part.filename is None:
            values[part.name] = part.data.decode("utf-8", errors="replace")
            continue
        files[part.name] = UploadedFile(
            field_name=part.name,
            filename=part.filename,
            content_type=part.content_type,
            data=part.data,
        )
