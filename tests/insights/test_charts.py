"""Bar and comparison charts: valid PNGs of the right size, proportional bars, readable text."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from insights.charts import (
    BAR_COLOUR,
    CHART_SIZE,
    LABEL_GAP,
    MARGIN,
    MAX_LABEL_SHARE,
    MAX_ROWS,
    PREVIOUS_BAR_COLOUR,
    bar_chart,
    comparison_chart,
)

WIDTH, HEIGHT = CHART_SIZE
EMPTY_TEXT = "No photos yet"


@dataclass(frozen=True)
class Band:
    """Consecutive image rows that contain pixels of one colour, and that colour's extent."""

    top: int
    bottom: int
    left: int
    right: int

    @property
    def length(self) -> int:
        return self.right - self.left + 1


def _pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == CHART_SIZE
    return np.asarray(image.convert("RGB"))


def _bands(pixels: np.ndarray, colour: tuple[int, int, int]) -> list[Band]:
    """Find the horizontal bands of `colour`, top to bottom."""
    matches = np.all(pixels == colour, axis=-1)
    rows = np.flatnonzero(matches.any(axis=1))
    bands = []
    for group in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
        if group.size == 0:
            continue
        columns = np.flatnonzero(matches[group[group.size // 2]])
        bands.append(Band(int(group[0]), int(group[-1]), int(columns[0]), int(columns[-1])))
    return bands


def _ink_rows_and_columns(
    pixels: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows and columns, in image coordinates, of non-white pixels inside `box`."""
    left, top, right, bottom = box
    ink = np.any(pixels[top:bottom, left:right] < 200, axis=-1)
    return np.flatnonzero(ink.any(axis=1)) + top, np.flatnonzero(ink.any(axis=0)) + left


def test_bar_chart_is_png_with_bars():
    pixels = _pixels(bar_chart("Your garments", [("T-shirt", 3), ("Dress", 1)], empty_text=EMPTY_TEXT))
    assert len(_bands(pixels, BAR_COLOUR)) == 2
    assert np.all(pixels[0, 0] == (255, 255, 255))


def test_bar_lengths_are_proportional():
    pixels = _pixels(bar_chart("Counts", [("Ten", 10), ("Five", 5)], empty_text=EMPTY_TEXT))
    ten, five = _bands(pixels, BAR_COLOUR)
    assert ten.left == five.left
    assert ten.length > WIDTH // 3
    assert abs(ten.length - 2 * five.length) <= 2


def test_bars_keep_the_given_order():
    counts = [1, 4, 2, 8]
    pixels = _pixels(
        bar_chart("Order", [(f"Label {count}", count) for count in counts], empty_text=EMPTY_TEXT)
    )
    lengths = [band.length for band in _bands(pixels, BAR_COLOUR)]
    assert np.argsort(lengths).tolist() == np.argsort(counts).tolist()


def test_single_bar_renders():
    pixels = _pixels(bar_chart("One", [("Coat", 7)], empty_text=EMPTY_TEXT, subtitle="last 30 days"))
    bands = _bands(pixels, BAR_COLOUR)
    assert len(bands) == 1
    assert bands[0].bottom - bands[0].top + 1 <= 60


def test_twelve_bars_fit_the_image():
    bars = [(f"Garment {index}", 10 + index) for index in range(12)]
    pixels = _pixels(bar_chart("Twelve", bars, empty_text=EMPTY_TEXT))
    bands = _bands(pixels, BAR_COLOUR)
    assert len(bands) == 12
    assert bands[-1].bottom < HEIGHT - MARGIN // 2


def test_zero_count_draws_no_bar():
    pixels = _pixels(bar_chart("Zero", [("Bag", 4), ("Sandal", 0)], empty_text=EMPTY_TEXT))
    assert len(_bands(pixels, BAR_COLOUR)) == 1


def test_empty_bar_chart_shows_text_without_bars():
    pixels = _pixels(bar_chart("Your garments", [], empty_text=EMPTY_TEXT))
    assert _bands(pixels, BAR_COLOUR) == []
    rows, columns = _ink_rows_and_columns(pixels, (0, HEIGHT // 3, WIDTH, HEIGHT * 2 // 3))
    assert rows.size > 0
    # The empty text is centred horizontally.
    assert abs((columns[0] + columns[-1]) / 2 - WIDTH / 2) < 10


def test_long_label_stays_left_of_its_bar():
    label = "A very long garment name, forty letters!"
    assert len(label) == 40
    pixels = _pixels(bar_chart("Long", [(label, 10), ("Short", 5)], empty_text=EMPTY_TEXT))
    long_bar, _ = _bands(pixels, BAR_COLOUR)
    assert long_bar.left <= MARGIN + WIDTH * MAX_LABEL_SHARE + LABEL_GAP + 1

    _, label_columns = _ink_rows_and_columns(pixels, (0, long_bar.top, long_bar.left, long_bar.bottom + 1))
    assert label_columns[0] >= MARGIN - 2
    assert label_columns[-1] < long_bar.left - LABEL_GAP // 2
    # Nothing is drawn in the right margin, so the count after the longest bar fits too.
    assert np.all(pixels[:, WIDTH - MARGIN // 2 :] == 255)


@pytest.mark.parametrize(("plain", "accented"), [("e", "è"), ("a", "à"), ("u", "ù"), ("E", "È"), ("e", "é")])
def test_accent_is_drawn_above_its_letter(plain, accented):
    plain_pixels = _pixels(bar_chart("Accents", [(plain, 1)], empty_text=EMPTY_TEXT))
    accented_pixels = _pixels(bar_chart("Accents", [(accented, 1)], empty_text=EMPTY_TEXT))
    bar = _bands(plain_pixels, BAR_COLOUR)[0]
    box = (0, bar.top - 20, bar.left, bar.bottom + 20)
    plain_rows, plain_columns = _ink_rows_and_columns(plain_pixels, box)
    accented_rows, accented_columns = _ink_rows_and_columns(accented_pixels, box)

    assert accented_rows[0] < plain_rows[0] - 2
    assert accented_rows[-1] == plain_rows[-1]
    assert plain_columns[0] <= accented_columns[0] <= accented_columns[-1] <= plain_columns[-1]


def test_accented_text_differs_from_missing_glyph_box():
    missing = bar_chart("Accents", [("\ue000", 1)], empty_text=EMPTY_TEXT)
    accented = bar_chart("Accents", [("è", 1)], empty_text=EMPTY_TEXT)
    assert missing != accented


def test_bar_chart_is_deterministic():
    bars = [("Maglione", 12), ("Più già", 3)]
    first = bar_chart("I tuoi capi", bars, empty_text="Ancora nessuna foto", subtitle="ultimi 30 giorni")
    second = bar_chart("I tuoi capi", bars, empty_text="Ancora nessuna foto", subtitle="ultimi 30 giorni")
    assert first == second


def test_comparison_chart_draws_series_and_legend():
    rows = [("T-shirt", 10, 5), ("Dress", 4, 8)]
    png = comparison_chart(
        "Trends", rows, current_label="last 7 days", previous_label="7 days before", empty_text=EMPTY_TEXT
    )
    pixels = _pixels(png)
    current = _bands(pixels, BAR_COLOUR)
    previous = _bands(pixels, PREVIOUS_BAR_COLOUR)
    # The first band of each colour is its legend square, above the bars.
    assert len(current) == 3
    assert len(previous) == 3
    assert current[0].length < 30
    assert current[0].bottom < current[1].top


def test_comparison_bars_share_one_scale():
    pixels = _pixels(
        comparison_chart(
            "Trends", [("Coat", 10, 5)], current_label="now", previous_label="before", empty_text=EMPTY_TEXT
        )
    )
    current = _bands(pixels, BAR_COLOUR)[-1]
    previous = _bands(pixels, PREVIOUS_BAR_COLOUR)[-1]
    assert current.left == previous.left
    assert current.bottom < previous.top
    assert abs(current.length - 2 * previous.length) <= 2


def test_empty_comparison_chart_shows_text_without_bars():
    pixels = _pixels(
        comparison_chart("Trends", [], current_label="now", previous_label="before", empty_text=EMPTY_TEXT)
    )
    assert _bands(pixels, BAR_COLOUR) == []
    assert _bands(pixels, PREVIOUS_BAR_COLOUR) == []
    rows, _ = _ink_rows_and_columns(pixels, (0, HEIGHT // 3, WIDTH, HEIGHT * 2 // 3))
    assert rows.size > 0


def test_comparison_chart_is_deterministic():
    rows = [(f"Capo {index}", index * 3, 12 - index) for index in range(10)]
    options = {"current_label": "ultimi 7 giorni", "previous_label": "7 giorni prima", "empty_text": "-"}
    assert comparison_chart("Tendenze", rows, **options) == comparison_chart("Tendenze", rows, **options)


def test_negative_count_is_rejected():
    with pytest.raises(ValueError, match="'Bag'"):
        bar_chart("Counts", [("Bag", -1)], empty_text=EMPTY_TEXT)
    with pytest.raises(ValueError, match="'Bag'"):
        comparison_chart("Trends", [("Bag", 1, -2)], current_label="a", previous_label="b", empty_text="-")


def test_too_many_rows_are_rejected():
    bars = [(f"Label {index}", 1) for index in range(MAX_ROWS + 1)]
    with pytest.raises(ValueError, match="too many rows"):
        bar_chart("Counts", bars, empty_text=EMPTY_TEXT)
