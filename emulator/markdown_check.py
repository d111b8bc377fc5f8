"""Validation of ``parse_mode="MarkdownV2"`` and legacy ``"Markdown"`` text.

Both checks return only the visible text. They report the mistakes bots make most
often: an unescaped reserved character in MarkdownV2 (such as ``.`` or ``!``) and
an entity that is opened but never closed. The checks are more lenient than
Telegram's server: crossing entities such as ``*a _b* c_`` are accepted, and no
``MessageEntity`` objects are produced, so a message sent with a Markdown parse
mode comes back without ``entities``.
"""

from __future__ import annotations

__all__ = [
    "MarkdownParseError",
    "parse_markdown_legacy",
    "parse_markdown_v2",
]

# Characters MarkdownV2 reserves for markup. Outside code they must be escaped
# with a backslash unless they are used as markup.
_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_ENTITY_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


class MarkdownParseError(ValueError):
    """Malformed Markdown. The message follows "can't parse entities: " in the API error."""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse_markdown_v2(text: str) -> str:
    """Return the visible text of MarkdownV2 markup.

    Raises MarkdownParseError for an unescaped reserved character or an entity
    without its closing marker.
    """
    pieces: list[str] = []
    open_markers: list[tuple[str, int]] = []  # (marker, index where it opened)
    index = 0
    length = len(text)

    while index < length:
        character = text[index]

        if character == "\\":
            if index + 1 < length:
                pieces.append(text[index + 1])
            index += 2
            continue

        if character == "`":
            index = _read_v2_code(text, index, pieces)
            continue

        marker = _v2_toggle_marker(text, index)
        if marker is not None:
            _toggle(open_markers, marker, index)
            index += len(marker)
            continue

        if character == "[" or (character == "!" and text.startswith("![", index)):
            open_markers.append(("[", index))
            index += 2 if character == "!" else 1
            continue

        if character == "]" and open_markers and open_markers[-1][0] == "[":
            open_markers.pop()
            index = _skip_v2_url(text, index + 1)
            continue

        if character == ">" and (index == 0 or text[index - 1] == "\n"):
            index += 1  # blockquote marker at the start of a line
            continue

        if character in _V2_RESERVED:
            raise MarkdownParseError(
                f"Character '{character}' is reserved and must be escaped with the "
                f"preceding '\\' (byte offset {_byte_offset(text, index)})"
            )

        pieces.append(character)
        index += 1

    if open_markers:
        marker, opened_at = open_markers[-1]
        raise MarkdownParseError(
            f"Can't find end of {_V2_ENTITY_NAMES[marker]} entity at byte offset "
            f"{_byte_offset(text, opened_at)}"
        )
    return "".join(pieces)


def _v2_toggle_marker(text: str, index: int) -> str | None:
    for marker in ("__", "||", "*", "_", "~"):
        if text.startswith(marker, index):
            return marker
    return None


def _toggle(open_markers: list[tuple[str, int]], marker: str, index: int) -> None:
    for position in range(len(open_markers) - 1, -1, -1):
        if open_markers[position][0] == marker:
            del open_markers[position]
            return
    open_markers.append((marker, index))


def _read_v2_code(text: str, index: int, pieces: list[str]) -> int:
    fence = "```" if text.startswith("```", index) else "`"
    start = index + len(fence)
    position = start
    content: list[str] = []
    while position < len(text):
        if text[position] == "\\" and position + 1 < len(text):
            content.append(text[position + 1])
            position += 2
            continue
        if text.startswith(fence, position):
            body = "".join(content)
            if fence == "```" and "\n" in body:
                # The first line of a pre block names its language.
                first_line, _, rest = body.partition("\n")
                if first_line and not any(c.isspace() for c in first_line):
                    body = rest
            pieces.append(body)
            return position + len(fence)
        content.append(text[position])
        position += 1

    entity_name = "Pre" if fence == "```" else "Code"
    raise MarkdownParseError(
        f"Can't find end of {entity_name} entity at byte offset {_byte_offset(text, index)}"
    )


def _skip_v2_url(text: str, index: int) -> int:
    if not text.startswith("(", index):
        # "[text]" without a URL: Telegram keeps the text and creates no link.
        return index
    position = index + 1
    while position < len(text):
        if text[position] == "\\":
            position += 2
            continue
        if text[position] == ")":
            return position + 1
        position += 1
    raise MarkdownParseError(f"Can't find end of a URL at byte offset {_byte_offset(text, index)}")


def parse_markdown_legacy(text: str) -> str:
    """Return the visible text of legacy Markdown markup.

    Raises MarkdownParseError when ``*``, ``_``, a backtick, a code fence or a
    ``[`` link is opened but never closed.
    """
    pieces: list[str] = []
    index = 0
    length = len(text)

    while index < length:
        character = text[index]
        if character == "\\" and index + 1 < length and text[index + 1] in "*_`[":
            pieces.append(text[index + 1])
            index += 2
            continue

        marker = "```" if text.startswith("```", index) else character
        if marker in ("*", "_", "`", "```"):
            closing = text.find(marker, index + len(marker))
            if closing == -1:
                raise MarkdownParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, index)}"
                )
            pieces.append(text[index + len(marker) : closing])
            index = closing + len(marker)
            continue

        if character == "[":
            closing = text.find("]", index + 1)
            if closing == -1:
                raise MarkdownParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, index)}"
                )
            pieces.append(text[index + 1 : closing])
            index = closing + 1
            if text.startswith("(", index):
                url_end = text.find(")", index)
                index = length if url_end == -1 else url_end + 1
            continue

        pieces.append(character)
        index += 1

    return "".join(pieces)
