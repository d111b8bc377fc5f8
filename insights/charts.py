"""Horizontal bar charts as PNG bytes, for the customer style summary and the staff trends.

Charts are drawn with Pillow alone, at CHART_SIZE on a white background, with text sized for a
phone screen. With one Pillow version, the same input always gives the same bytes.

Text uses the scalable font that Pillow ships (`ImageFont.load_default(size=...)`, Pillow 10.1 or
later built with FreeType), so no system font is needed. That font has glyphs for ASCII and a few
symbols only: in Pillow 13.0 an accented letter such as "è" comes out as an empty box. So a letter
with a grave or acute accent, the two that Italian uses, is drawn as its base letter with the
accent glyph placed above it. Other diacritics are dropped ("ç" becomes "c").
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

__all__ = ["BAR_COLOUR", "CHART_SIZE", "PREVIOUS_BAR_COLOUR", "bar_chart", "comparison_chart"]

RGB = tuple[int, int, int]

CHART_SIZE = (800, 500)
MARGIN = 24
BACKGROUND: RGB = (255, 255, 255)
TEXT_COLOUR: RGB = (34, 34, 34)
MUTED_TEXT_COLOUR: RGB = (105, 105, 105)
# Bars of `bar_chart` and the current period of `comparison_chart`.
BAR_COLOUR: RGB = (45, 105, 170)
# The previous period of `comparison_chart`.
PREVIOUS_BAR_COLOUR: RGB = (165, 190, 220)

# Font sizes in pixels. By estimate a phone shows a Telegram photo 360-400 points wide, about half
# of CHART_SIZE, so 22 px labels read like 11 pt text.
TITLE_SIZE = 30
SUBTITLE_SIZE = 20
EMPTY_TEXT_SIZE = 24
MAX_LABEL_SIZE = 22
MIN_LABEL_SIZE = 13
LEGEND_SIZE = 18

# Row heights: rows share the plot height, up to this height, so one bar is not a huge block.
MAX_ROW_HEIGHT = 56
MAX_GROUPED_ROW_HEIGHT = 72
# At 20 rows a row is 18-20 px high, and thinner rows could not fit text of MIN_LABEL_SIZE.
MAX_ROWS = 20
# Share of a row's height that its bars cover. The rest is space between rows.
BAR_FILL = 0.7
# Largest share of the width for the label column. Longer labels are cut and end with an ellipsis.
MAX_LABEL_SHARE = 0.38
# Horizontal gaps, in pixels, between a label and its bar and between a bar and its count.
LABEL_GAP = 12
COUNT_GAP = 6
ELLIPSIS = "…"

# Spacing glyphs in Pillow's built-in font that replace combining accents above a base letter.
_ACCENT_GLYPHS = {"\u0300": "`", "\u0301": "´"}
# A private-use character that the built-in font has no glyph for, so it comes out as the box.
_MISSING_GLYPH_PROBE = "\ue000"


@dataclass(frozen=True)
class _Series:
    """One bar per row, drawn in `colour`."""

    counts: tuple[int, ...]
    colour: RGB


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, int]],
    *,
    empty_text: str,
    subtitle: str | None = None,
) -> bytes:
    """Draw one horizontal bar per (label, count) pair, in the order given, and return a PNG.

    The count is written at the end of each bar, and bar lengths are proportional to the counts.
    With no bars the chart shows the title and `empty_text`. Raises ValueError on a negative count
    or on more than MAX_ROWS bars.
    """
    labels = [label for label, _ in bars]
    series = [_Series(tuple(count for _, count in bars), BAR_COLOUR)]
    _validate_rows(labels, series)

    image, draw = _new_canvas()
    top = _draw_header(draw, title, subtitle)
    if not labels:
        _draw_empty_text(draw, top, empty_text)
    else:
        _draw_rows(draw, top, labels, series, MAX_ROW_HEIGHT)
    return _encode_png(image)


def comparison_chart(
    title: str,
    rows: Sequence[tuple[str, int, int]],
    *,
    current_label: str,
    previous_label: str,
    empty_text: str,
) -> bytes:
    """Draw two bars per (label, current, previous) row, current above previous, and return a PNG.

    A legend under the title names the two bar colours with `current_label` and `previous_label`.
    Both series share one scale. With no rows the chart shows the title and `empty_text`. Raises
    ValueError on a negative count or on more than MAX_ROWS rows.
    """
    labels = [label for label, _, _ in rows]
    series = [
        _Series(tuple(current for _, current, _ in rows), BAR_COLOUR),
        _Series(tuple(previous for _, _, previous in rows), PREVIOUS_BAR_COLOUR),
    ]
    _validate_rows(labels, series)

    image, draw = _new_canvas()
    top = _draw_header(draw, title, None)
    if not labels:
        _draw_empty_text(draw, top, empty_text)
    else:
        top = _draw_legend(draw, top, [(current_label, BAR_COLOUR), (previous_label, PREVIOUS_BAR_COLOUR)])
        _draw_rows(draw, top, labels, series, MAX_GROUPED_ROW_HEIGHT)
    return _encode_png(image)


def _validate_rows(labels: Sequence[str], series: Sequence[_Series]) -> None:
    if len(labels) > MAX_ROWS:
        raise ValueError(
            f"too many rows for one chart: got {len(labels)}, the maximum is {MAX_ROWS}. "
            f"Pass only the top {MAX_ROWS}."
        )
    for values in series:
        for label, count in zip(labels, values.counts, strict=True):
            if count < 0:
                raise ValueError(f"count for {label!r} must not be negative, got {count}")


def _new_canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", CHART_SIZE, BACKGROUND)
    return image, ImageDraw.Draw(image)


def _encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- Layout -------------------------------------------------------------------------------------


def _draw_header(draw: ImageDraw.ImageDraw, title: str, subtitle: str | None) -> int:
    """Draw the title and the optional subtitle, and return the y where the content may start."""
    width = CHART_SIZE[0] - 2 * MARGIN
    title_font = _font(TITLE_SIZE)
    baseline = MARGIN + _cap_height(title_font)
    _draw_text(draw, (MARGIN, baseline), _fit_text(title, title_font, width), title_font, TEXT_COLOUR)
    bottom = baseline + title_font.getmetrics()[1]

    if subtitle:
        subtitle_font = _font(SUBTITLE_SIZE)
        baseline = bottom + 8 + _cap_height(subtitle_font)
        text = _fit_text(subtitle, subtitle_font, width)
        _draw_text(draw, (MARGIN, baseline), text, subtitle_font, MUTED_TEXT_COLOUR)
        bottom = baseline + subtitle_font.getmetrics()[1]
    return bottom + 16


def _draw_empty_text(draw: ImageDraw.ImageDraw, top: int, text: str) -> None:
    """Draw `text` centred in the space below the header."""
    font = _font(EMPTY_TEXT_SIZE)
    text = _fit_text(text, font, CHART_SIZE[0] - 2 * MARGIN)
    left = (CHART_SIZE[0] - _text_width(text, font)) / 2
    centre = (top + CHART_SIZE[1] - MARGIN) / 2
    _draw_text(draw, (left, centre + _cap_height(font) / 2), text, font, MUTED_TEXT_COLOUR)


def _draw_legend(draw: ImageDraw.ImageDraw, top: int, entries: Sequence[tuple[str, RGB]]) -> int:
    """Draw a colour square and a label per entry on one line, and return the y below it."""
    font = _font(LEGEND_SIZE)
    square = _cap_height(font) + 2
    baseline = top + square
    # Each label may use its share of the line, after its square and the gaps around it.
    label_width = (CHART_SIZE[0] - 2 * MARGIN) // len(entries) - square - 3 * LABEL_GAP
    left = MARGIN
    for label, colour in entries:
        draw.rectangle((left, baseline - square + 1, left + square - 1, baseline), fill=colour)
        text = _fit_text(label, font, label_width)
        _draw_text(draw, (left + square + 8, baseline), text, font, TEXT_COLOUR)
        left += square + 8 + round(_text_width(text, font)) + 3 * LABEL_GAP
    return baseline + font.getmetrics()[1] + 14


def _draw_rows(
    draw: ImageDraw.ImageDraw,
    top: int,
    labels: Sequence[str],
    series: Sequence[_Series],
    max_row_height: int,
) -> None:
    """Draw one row per label: the label on the left, then one bar per series, each with its count.

    Bars start at the same x in every row, and a bar's length is its count over the largest count
    of all series, times the space left after the label and count columns.
    """
    width, height = CHART_SIZE
    row_height = min((height - MARGIN - top) / len(labels), max_row_height)
    bar_height = max(2, int(row_height * BAR_FILL / len(series)))
    label_font = _font(_clamp(round(row_height * 0.55), MIN_LABEL_SIZE, MAX_LABEL_SIZE))
    count_font = _font(_clamp(round(bar_height * 0.9), MIN_LABEL_SIZE, MAX_LABEL_SIZE))

    max_label_width = round(width * MAX_LABEL_SHARE)
    fitted = [_fit_text(label, label_font, max_label_width) for label in labels]
    label_width = max(round(_text_width(label, label_font)) for label in fitted)
    bar_left = MARGIN + label_width + LABEL_GAP

    largest = max(max(values.counts) for values in series)
    count_width = max(round(_text_width(str(largest), count_font)), 1)
    max_bar_length = width - MARGIN - count_width - COUNT_GAP - bar_left

    for row, label in enumerate(fitted):
        row_top = top + row * row_height
        centre = row_top + row_height / 2
        _draw_text(draw, (MARGIN, centre + _cap_height(label_font) / 2), label, label_font, TEXT_COLOUR)

        bar_top = round(centre - bar_height * len(series) / 2)
        for values in series:
            count = values.counts[row]
            length = _bar_length(count, largest, max_bar_length)
            if length > 0:
                draw.rectangle(
                    (bar_left, bar_top, bar_left + length - 1, bar_top + bar_height - 1), fill=values.colour
                )
            baseline = bar_top + bar_height / 2 + _cap_height(count_font) / 2
            _draw_text(draw, (bar_left + length + COUNT_GAP, baseline), str(count), count_font, TEXT_COLOUR)
            bar_top += bar_height


def _bar_length(count: int, largest: int, max_length: int) -> int:
    """Return the pixel length of a bar, at least 1 pixel for a count above 0."""
    if count <= 0 or largest <= 0:
        return 0
    return max(1, round(count / largest * max_length))


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


# --- Text ---------------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Load Pillow's built-in scalable font at `size` pixels.

    Loading is cheap, so each chart loads its own font objects, and charts drawn on several worker
    threads at once never use the same FreeType face. Raises RuntimeError when Pillow lacks
    FreeType, because the bitmap fallback font has one size and no text anchors.
    """
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError(
            "Pillow was built without FreeType, which charts need for scalable text. "
            "Install a Pillow wheel from PyPI."
        )
    return font


def _cap_height(font: ImageFont.FreeTypeFont) -> int:
    """Return the height of a capital letter above the baseline, in pixels."""
    return -font.getbbox("H", anchor="ls")[1]


@dataclass(frozen=True)
class _ShapedText:
    """Text ready for the built-in font: the characters drawn as they are, plus accents on top."""

    base: str
    # (index into `base`, accent glyph) pairs, drawn over the character at that index.
    accents: tuple[tuple[int, str], ...]


def _shape_text(text: str) -> _ShapedText:
    """Split accented letters that the built-in font lacks into a base letter and an accent glyph."""
    base: list[str] = []
    accents: list[tuple[int, str]] = []
    for character in unicodedata.normalize("NFC", text):
        if _has_glyph(character):
            base.append(character)
            continue

        decomposed = unicodedata.normalize("NFD", character)
        if not _has_glyph(decomposed[0]):
            # NOTE: letters with no ASCII base (Greek, Cyrillic, CJK, emoji) still show as a box.
            base.append(character)
            continue

        for mark in decomposed[1:]:
            if mark in _ACCENT_GLYPHS:
                accents.append((len(base), _ACCENT_GLYPHS[mark]))
        base.append(decomposed[0])
    return _ShapedText("".join(base), tuple(accents))


@lru_cache(maxsize=1024)
def _has_glyph(character: str) -> bool:
    """Return whether the built-in font has a glyph for `character`, other than the missing-glyph box."""
    if character.isascii():
        return True
    font = _font(20)
    return _glyph_bitmap(font, character) != _glyph_bitmap(font, _MISSING_GLYPH_PROBE)


def _glyph_bitmap(font: ImageFont.FreeTypeFont, character: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(character)
    return mask.size, bytes(mask)


@lru_cache(maxsize=256)
def _ink_box(size: int, character: str) -> tuple[int, int, int, int] | None:
    """Return the inked pixels of `character` at `size`, relative to its left baseline point."""
    font = _font(size)
    canvas = Image.new("L", (size * 3, size * 3))
    origin = (size, size * 2)
    ImageDraw.Draw(canvas).text(origin, character, font=font, fill=255, anchor="ls")
    box = canvas.getbbox()
    if box is None:
        return None
    return box[0] - origin[0], box[1] - origin[1], box[2] - origin[0], box[3] - origin[1]


def _text_width(text: str, font: ImageFont.FreeTypeFont) -> float:
    return font.getlength(_shape_text(text).base)


def _fit_text(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """Return `text`, or its longest prefix followed by an ellipsis that fits in `max_width`."""
    text = unicodedata.normalize("NFC", text).strip()
    if _text_width(text, font) <= max_width:
        return text

    # Binary search for the longest prefix that still fits with the ellipsis.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _text_width(text[:middle].rstrip() + ELLIPSIS, font) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def _draw_text(
    draw: ImageDraw.ImageDraw,
    position: tuple[float, float],
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: RGB,
) -> None:
    """Draw `text` with its left baseline point at `position`, placing accents the font lacks."""
    shaped = _shape_text(text)
    left, baseline = position
    draw.text((left, baseline), shaped.base, font=font, fill=fill, anchor="ls")

    size = round(font.size)
    gap = max(1, size // 15)
    for index, accent in shaped.accents:
        letter = shaped.base[index]
        letter_box = _ink_box(size, letter)
        accent_box = _ink_box(size, accent)
        if letter_box is None or accent_box is None:
            continue
        # Dotted i and j take the accent at x-height, over their dot, as a dotless letter would.
        letter_top = _ink_box(size, "x")[1] if letter in "ij" else letter_box[1]

        letter_left = left + font.getlength(shaped.base[:index])
        letter_centre = letter_left + (letter_box[0] + letter_box[2]) / 2
        accent_left = letter_centre - (accent_box[0] + accent_box[2]) / 2
        # Leave `gap` empty pixel rows between the accent's lowest ink and the letter's top.
        accent_baseline = baseline + letter_top - gap - accent_box[3]
        draw.text((accent_left, accent_baseline), accent, font=font, fill=fill, anchor="ls")
