"""Reply helpers: long text is split under Telegram's limits without breaking lines or markup."""

from __future__ import annotations

from bot.replies import CAPTION_LIMIT, TEXT_LIMIT, percent, split_text


def test_short_text_is_one_piece():
    assert split_text("hello\nworld") == ["hello\nworld"]


def test_long_text_splits_on_line_breaks():
    lines = [f"<b>item {index}</b> " + "x" * 80 for index in range(200)]
    pieces = split_text("\n".join(lines))
    assert len(pieces) > 1
    assert all(len(piece) <= TEXT_LIMIT for piece in pieces)
    assert "\n".join(pieces) == "\n".join(lines)
    assert all(piece.count("<b>") == piece.count("</b>") for piece in pieces)


def test_single_overlong_line_is_cut_at_the_limit():
    pieces = split_text("y" * (CAPTION_LIMIT * 2 + 5), limit=CAPTION_LIMIT)
    assert [len(piece) for piece in pieces] == [CAPTION_LIMIT, CAPTION_LIMIT, 5]


def test_empty_text_stays_one_piece():
    assert split_text("") == [""]


def test_percent_never_shows_zero():
    assert percent(0.001) == "<1%"
    assert percent(0.87) == "87%"
