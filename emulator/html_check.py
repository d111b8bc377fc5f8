"""Validation of ``parse_mode="HTML"`` text the way the Bot API parses it.

The parser accepts the tags and entities Telegram documents for HTML formatting
and returns the visible text plus ``MessageEntity`` objects with UTF-16 offsets.
Malformed markup raises HtmlParseError with a message shaped like Telegram's,
including the UTF-8 byte offset of the fault.

Deliberate differences from Telegram's server, which may be more lenient:
a ``&`` that does not start ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or a numeric
entity is rejected, because the Bot API documentation requires escaping it. A bare
``>`` is accepted, as Telegram does. Nesting rules (no entities inside ``code``,
no nested ``blockquote``) are not enforced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HtmlParseError",
    "parse_html",
    "utf16_length",
]

# Start tag name to Telegram MessageEntity type. "span" and "a" need attributes
# and are resolved in _entity_for_tag.
_TAG_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "blockquote": "blockquote",
}

_NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_PATTERN = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_MARKUP_START = re.compile(r"[<&]")
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_UNQUOTED_VALUE = re.compile(r"[^\s>\"'=<`]+")


class HtmlParseError(ValueError):
    """Malformed HTML markup. The message follows "can't parse entities: " in the API error."""


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the visible text
    byte_offset: int
    attributes: dict[str, str] = field(default_factory=dict)


class _HtmlParser:
    def __init__(self, markup: str) -> None:
        self.markup = markup
        self.pieces: list[str] = []
        self.position = 0  # UTF-16 length of the visible text so far
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        index = 0
        length = len(self.markup)
        while index < length:
            found = _MARKUP_START.search(self.markup, index)
            stop = found.start() if found else length
            if stop > index:
                self._append_text(self.markup[index:stop])
            if not found:
                break
            if self.markup[stop] == "&":
                index = self._read_entity(stop)
            elif self.markup.startswith("</", stop):
                index = self._read_end_tag(stop)
            else:
                index = self._read_start_tag(stop)

        if self.open_tags:
            unclosed = self.open_tags[-1]
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{unclosed.name}"'
                f" opened at byte offset {unclosed.byte_offset}"
            )

        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), self.entities

    def _append_text(self, text: str) -> None:
        self.pieces.append(text)
        self.position += utf16_length(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.markup[:index].encode("utf-8"))

    def _read_entity(self, index: int) -> int:
        match = _ENTITY_PATTERN.match(self.markup, index)
        character = _decode_entity(match) if match else None
        if match is None or character is None:
            raise HtmlParseError(
                f"Character '&' at byte offset {self._byte_offset(index)} does not start "
                "a supported HTML entity; escape it as &amp;"
            )
        self._append_text(character)
        return match.end()

    def _read_start_tag(self, index: int) -> int:
        name_match = _TAG_NAME.match(self.markup, index + 1)
        if name_match is None:
            raise HtmlParseError(
                f"Character '<' at byte offset {self._byte_offset(index)} does not start "
                "a tag; escape it as &lt;"
            )
        name = name_match.group().lower()
        if name not in _TAG_ENTITY_TYPES:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {self._byte_offset(index)}')

        attributes, end = self._read_attributes(index, name_match.end())
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" at byte offset {self._byte_offset(index)} must have class="tg-spoiler"'
            )
        if name == "tg-emoji" and not attributes.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" at byte offset {self._byte_offset(index)} must have an emoji-id attribute'
            )

        self.open_tags.append(_OpenTag(name, self.position, self._byte_offset(index), attributes))
        return end

    def _read_attributes(self, tag_index: int, index: int) -> tuple[dict[str, str], int]:
        attributes: dict[str, str] = {}
        length = len(self.markup)
        while True:
            while index < length and self.markup[index].isspace():
                index += 1
            if index >= length:
                raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(tag_index)}")
            if self.markup[index] == ">":
                return attributes, index + 1

            name_match = _ATTRIBUTE_NAME.match(self.markup, index)
            if name_match is None:
                raise HtmlParseError(
                    f"Invalid attribute in start tag at byte offset {self._byte_offset(tag_index)}"
                )
            attribute_name = name_match.group().lower()
            index = name_match.end()
            while index < length and self.markup[index].isspace():
                index += 1
            if index < length and self.markup[index] == "=":
                value, index = self._read_attribute_value(tag_index, index + 1)
            else:
                value = ""
            attributes[attribute_name] = value

    def _read_attribute_value(self, tag_index: int, index: int) -> tuple[str, int]:
        length = len(self.markup)
        while index < length and self.markup[index].isspace():
            index += 1
        if index < length and self.markup[index] in "\"'":
            quote = self.markup[index]
            closing = self.markup.find(quote, index + 1)
            if closing == -1:
                raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(tag_index)}")
            return _decode_attribute_entities(self.markup[index + 1 : closing]), closing + 1

        value_match = _UNQUOTED_VALUE.match(self.markup, index)
        if value_match is None:
            raise HtmlParseError(
                f"Invalid attribute value in start tag at byte offset {self._byte_offset(tag_index)}"
            )
        return _decode_attribute_entities(value_match.group()), value_match.end()

    def _read_end_tag(self, index: int) -> int:
        closing = self.markup.find(">", index)
        if closing == -1:
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(index)}")
        name = self.markup[index + 2 : closing].strip().lower()

        if not self.open_tags:
            raise HtmlParseError(f'Unexpected end tag "</{name}>" at byte offset {self._byte_offset(index)}')
        expected = self.open_tags[-1]
        if name != expected.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(index)}, "
                f'expected "</{expected.name}>", found "</{name}>"'
            )

        self.open_tags.pop()
        self._add_entity(expected)
        return closing + 1

    def _add_entity(self, tag: _OpenTag) -> None:
        length = self.position - tag.start
        if length <= 0:
            return
        entity = _entity_for_tag(tag, self.open_tags)
        if entity is None:
            return
        entity["offset"] = tag.start
        entity["length"] = length
        if entity["type"] == "pre":
            self._merge_code_language(entity)
        self.entities.append(entity)

    def _merge_code_language(self, pre_entity: dict[str, Any]) -> None:
        # <pre><code class="language-x">...</code></pre> is one pre entity with a
        # language, not a pre entity plus a code entity. A code tag with a language
        # that does not span the whole pre block loses the language.
        for entity in list(self.entities):
            if entity["type"] != "code" or "language" not in entity:
                continue
            language = entity.pop("language")
            same_range = entity["offset"] == pre_entity["offset"] and entity["length"] == pre_entity["length"]
            if same_range:
                pre_entity["language"] = language
                self.entities.remove(entity)


def _entity_for_tag(tag: _OpenTag, enclosing: list[_OpenTag]) -> dict[str, Any] | None:
    entity_type = _TAG_ENTITY_TYPES[tag.name]
    if entity_type == "text_link":
        href = tag.attributes.get("href")
        # Telegram keeps the text of a link without href but creates no entity.
        return {"type": "text_link", "url": href} if href else None
    if entity_type == "custom_emoji":
        return {"type": "custom_emoji", "custom_emoji_id": tag.attributes["emoji-id"]}
    if entity_type == "blockquote" and "expandable" in tag.attributes:
        return {"type": "expandable_blockquote"}
    if entity_type == "code":
        css_class = tag.attributes.get("class", "")
        inside_pre = bool(enclosing) and enclosing[-1].name == "pre"
        if inside_pre and css_class.startswith("language-"):
            return {"type": "code", "language": css_class.removeprefix("language-")}
    return {"type": entity_type}


def _decode_entity(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code_point = int(decimal) if decimal else int(hexadecimal, 16)
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point)


def _decode_attribute_entities(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return _decode_entity(match) or match.group()

    return _ENTITY_PATTERN.sub(replace, value)


def utf16_length(text: str) -> int:
    """Return the length in UTF-16 code units, the unit of Telegram entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into the visible text and its MessageEntity dicts.

    Raises HtmlParseError for an unsupported tag, an unclosed or mismatched tag,
    or a bare ``<`` or ``&``.
    """
    return _HtmlParser(markup).parse()
