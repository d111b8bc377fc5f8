"""Parsing of message text and captions by parse mode, with Telegram's length limits.

Callers get the visible text and its entities, or an ApiError carrying the
description the Bot API uses for empty, too long or unparsable text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.errors import ApiError, bad_request
from emulator.html_check import HtmlParseError, parse_html, utf16_length
from emulator.markdown_check import MarkdownParseError, parse_markdown_legacy, parse_markdown_v2

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "FormattedText",
    "parse_caption",
    "parse_message_text",
]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


@dataclass(frozen=True)
class FormattedText:
    """Visible text after parsing, with MessageEntity dicts in UTF-16 offsets."""

    text: str
    entities: list[dict[str, Any]]


def parse_message_text(
    text: str | None,
    parse_mode: str | None,
    explicit_entities: Any = None,
) -> FormattedText:
    """Parse the text of sendMessage or editMessageText.

    Raises ApiError 400 "message text is empty" when nothing visible remains,
    "message is too long" above 4096 characters and "can't parse entities: ..."
    for malformed markup.
    """
    formatted = _parse(text or "", parse_mode, explicit_entities)
    if not formatted.text:
        raise bad_request("message text is empty")
    # NOTE: the limit counts Unicode code points. Telegram documents "characters"
    # without naming the unit, so text with many emoji outside the BMP may be
    # judged differently by the real server.
    if len(formatted.text) > MAX_MESSAGE_LENGTH:
        raise bad_request("message is too long")
    return formatted


def parse_caption(
    caption: str | None,
    parse_mode: str | None,
    explicit_entities: Any = None,
) -> FormattedText:
    """Parse a media caption. An empty caption is allowed. Above 1024 characters it is rejected."""
    formatted = _parse(caption or "", parse_mode, explicit_entities)
    if len(formatted.text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return formatted


def _parse(text: str, parse_mode: str | None, explicit_entities: Any) -> FormattedText:
    mode = (parse_mode or "").strip()
    if mode and explicit_entities:
        # The Bot API documents entities as an alternative to parse_mode. When a
        # bot passes both, the emulator uses the explicit entities.
        mode = ""

    try:
        if mode.lower() == "html":
            visible, entities = parse_html(text)
        elif mode.lower() == "markdownv2":
            visible, entities = parse_markdown_v2(text), []
        elif mode.lower() == "markdown":
            visible, entities = parse_markdown_legacy(text), []
        elif mode:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        else:
            visible, entities = text, _validate_explicit_entities(explicit_entities)
    except (HtmlParseError, MarkdownParseError) as error:
        raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None

    return _strip_whitespace(visible, entities)


def _validate_explicit_entities(explicit_entities: Any) -> list[dict[str, Any]]:
    if not explicit_entities:
        return []
    if not isinstance(explicit_entities, list) or not all(
        isinstance(entity, dict) and {"type", "offset", "length"} <= entity.keys()
        for entity in explicit_entities
    ):
        raise bad_request("can't parse entities JSON object: expected an array of MessageEntity")
    return [dict(entity) for entity in explicit_entities]


def _strip_whitespace(text: str, entities: list[dict[str, Any]]) -> FormattedText:
    """Trim leading and trailing whitespace as Telegram does, moving entities along."""
    stripped = text.strip()
    if stripped == text:
        return FormattedText(text, entities)

    shift = utf16_length(text[: len(text) - len(text.lstrip())])
    new_length = utf16_length(stripped)
    moved: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, new_length)
        if end > start:
            moved.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, moved)
