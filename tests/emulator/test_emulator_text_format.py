"""Unit tests of the emulator's HTML and Markdown checks and Telegram's text limits.

These tests call the parsers directly and need no server.
"""

from __future__ import annotations

import pytest

from emulator.errors import ApiError
from emulator.html_check import HtmlParseError, parse_html, utf16_length
from emulator.markdown_check import MarkdownParseError, parse_markdown_legacy, parse_markdown_v2
from emulator.text_format import parse_caption, parse_message_text


@pytest.mark.parametrize(
    ("markup", "visible"),
    [
        ("<b>bold</b> and <strong>strong</strong>", "bold and strong"),
        ("<i>a</i><em>b</em><u>c</u><ins>d</ins>", "abcd"),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc"),
        ('<tg-spoiler>x</tg-spoiler><span class="tg-spoiler">y</span>', "xy"),
        ("<code>x = 1</code>", "x = 1"),
        ('<pre><code class="language-python">print(1)</code></pre>', "print(1)"),
        ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("<blockquote>quote</blockquote>", "quote"),
        ("<blockquote expandable>long quote</blockquote>", "long quote"),
        ("&lt;tag&gt; &amp; &quot;quoted&quot;", '<tag> & "quoted"'),
        ("&#65;&#x42;", "AB"),
        ("a > b", "a > b"),
        ("<B>upper case tag</B>", "upper case tag"),
        ("<b><i>nested</i></b>", "nested"),
    ],
)
def test_html_valid_markup_visible_text(markup: str, visible: str) -> None:
    text, _ = parse_html(markup)

    assert text == visible


@pytest.mark.parametrize(
    ("markup", "message_part"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("text</b>", "Unexpected end tag"),
        ("1 < 2", "Character '<' at byte offset 2"),
        ("fish & chips", "Character '&' at byte offset 5"),
        ("&nbsp;", "Character '&' at byte offset 0"),
        ("&#0;", "Character '&' at byte offset 0"),
        ('<span class="bold">x</span>', 'class="tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", "emoji-id"),
        ('<a href="x">unclosed', 'start tag "a"'),
        ("<b", "Unclosed start tag"),
        ("x</b", "Unclosed end tag"),
    ],
)
def test_html_invalid_markup_rejected(markup: str, message_part: str) -> None:
    with pytest.raises(HtmlParseError) as raised:
        parse_html(markup)

    assert message_part in str(raised.value)


def test_html_error_offset_counts_utf8_bytes() -> None:
    with pytest.raises(HtmlParseError) as raised:
        parse_html("é<x>")

    assert "byte offset 2" in str(raised.value)


def test_html_entities_have_utf16_offsets() -> None:
    text, entities = parse_html('😀 <b>bold</b> <a href="tg://user?id=1">link</a>')

    assert text == "😀 bold link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "url": "tg://user?id=1", "offset": 8, "length": 4},
    ]


def test_html_pre_code_becomes_pre_with_language() -> None:
    _, entities = parse_html('<pre><code class="language-python">x</code></pre>')

    assert entities == [{"type": "pre", "language": "python", "offset": 0, "length": 1}]


def test_html_expandable_blockquote_entity() -> None:
    _, entities = parse_html("<blockquote expandable>q</blockquote>")

    assert entities == [{"type": "expandable_blockquote", "offset": 0, "length": 1}]


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_length("abc") == 3
    assert utf16_length("😀") == 2
    assert utf16_length("é") == 1


@pytest.mark.parametrize(
    ("markup", "visible"),
    [
        ("*bold* _italic_ __underline__ ~strike~ ||spoiler||", "bold italic underline strike spoiler"),
        ("Price: 10\\.5\\!", "Price: 10.5!"),
        ("[link](https://example.org/a_\\(b\\))", "link"),
        ("`code with . and !`", "code with . and !"),
        ("```python\nprint(1)\n```", "print(1)\n"),
        (">quoted line", "quoted line"),
    ],
)
def test_markdown_v2_valid_markup_visible_text(markup: str, visible: str) -> None:
    assert parse_markdown_v2(markup) == visible


@pytest.mark.parametrize(
    ("markup", "message_part"),
    [
        ("Total: 10.5", "Character '.' is reserved"),
        ("Hello!", "Character '!' is reserved"),
        ("*bold", "Can't find end of Bold entity"),
        ("`code", "Can't find end of Code entity"),
        ("[text](https://example.org", "Can't find end of a URL"),
    ],
)
def test_markdown_v2_invalid_markup_rejected(markup: str, message_part: str) -> None:
    with pytest.raises(MarkdownParseError) as raised:
        parse_markdown_v2(markup)

    assert message_part in str(raised.value)


def test_markdown_legacy_visible_text_and_error() -> None:
    assert parse_markdown_legacy("*bold* [site](https://example.org) 1.5!") == "bold site 1.5!"

    with pytest.raises(MarkdownParseError):
        parse_markdown_legacy("*unclosed")


def test_message_text_limit_counts_visible_characters() -> None:
    markup_heavy = "<b>" + "x" * 4096 + "</b>"

    assert len(parse_message_text(markup_heavy, "HTML").text) == 4096
    with pytest.raises(ApiError) as raised:
        parse_message_text("x" * 4097, None)
    assert raised.value.description == "Bad Request: message is too long"


@pytest.mark.parametrize("text", ["", "   \n", "<b></b>", None])
def test_message_text_empty_rejected(text: str | None) -> None:
    with pytest.raises(ApiError) as raised:
        parse_message_text(text, "HTML")

    assert raised.value.description == "Bad Request: message text is empty"


def test_message_text_whitespace_trimmed_with_entities() -> None:
    formatted = parse_message_text("  <b>hi</b> there  ", "HTML")

    assert formatted.text == "hi there"
    assert formatted.entities == [{"type": "bold", "offset": 0, "length": 2}]


def test_caption_limit_and_empty_caption() -> None:
    assert parse_caption(None, None).text == ""
    assert len(parse_caption("y" * 1024, None).text) == 1024

    with pytest.raises(ApiError) as raised:
        parse_caption("y" * 1025, None)
    assert raised.value.description == "Bad Request: message caption is too long"


def test_unknown_parse_mode_rejected() -> None:
    with pytest.raises(ApiError) as raised:
        parse_message_text("hi", "BBCode")

    assert raised.value.error_code == 400
    assert "unsupported parse_mode" in raised.value.description


def test_parse_error_wrapped_as_bad_request() -> None:
    with pytest.raises(ApiError) as raised:
        parse_message_text("<b>x", "HTML")

    assert raised.value.description.startswith("Bad Request: can't parse entities: ")
