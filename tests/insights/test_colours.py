"""Garment colour names: palette patches, realistic shades, shadows, masks and limits."""

from __future__ import annotations

import numpy as np
import pytest

from insights.colours import NAMED_COLOURS, colour_shares, dominant_colours, srgb_to_lab

SIZE = 128


def _patch(colour: tuple[int, int, int], size: int = SIZE) -> np.ndarray:
    return np.tile(np.array(colour, dtype=np.float32), (size, size, 1))


def _full_mask(size: int = SIZE) -> np.ndarray:
    return np.ones((size, size), dtype=np.float32)


def _shade(colour: tuple[int, int, int], light: float) -> tuple[int, int, int]:
    """Return `colour` lit by `light` times the original light, scaled in linear sRGB."""
    scaled = np.array(colour, dtype=np.float64) / 255.0
    linear = np.where(scaled <= 0.04045, scaled / 12.92, ((scaled + 0.055) / 1.055) ** 2.4) * light
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    red, green, blue = (int(value) for value in np.round(encoded * 255.0))
    return red, green, blue


def test_lab_matches_published_values():
    # Expected values follow from the sRGB (IEC 61966-2-1) and CIE 1976 L*a*b* definitions.
    np.testing.assert_allclose(srgb_to_lab([255, 0, 0]), [53.24, 80.09, 67.20], atol=0.05)
    np.testing.assert_allclose(srgb_to_lab([128, 128, 128]), [53.59, 0.0, 0.0], atol=0.05)
    np.testing.assert_allclose(srgb_to_lab([255, 255, 255]), [100.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(srgb_to_lab([0, 0, 0]), [0.0, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize(
    ("name", "colour"),
    [(name, point) for name, points in NAMED_COLOURS.items() for point in points],
    ids=lambda value: str(value),
)
def test_palette_patch_returns_its_name(name, colour):
    assert dominant_colours(_patch(colour, 16), _full_mask(16)) == (name,)


def test_palette_matches_bot_colour_names():
    expected = {
        "black",
        "white",
        "grey",
        "beige",
        "brown",
        "red",
        "orange",
        "yellow",
        "green",
        "blue",
        "light blue",
        "navy",
        "purple",
        "pink",
    }
    assert set(NAMED_COLOURS) == expected


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        ((225, 220, 205), {"white"}),  # white shirt under warm indoor light
        ((70, 100, 140), {"blue"}),  # denim
        ((195, 176, 140), {"beige"}),  # khaki
        ((60, 38, 26), {"brown"}),  # dark brown leather
        ((20, 25, 52), {"navy", "blue"}),  # navy in shadow
        ((30, 30, 32), {"black"}),  # black cloth, not pure black
        ((60, 60, 62), {"grey", "black"}),  # charcoal
        ((210, 170, 50), {"yellow"}),  # mustard
        ((100, 20, 35), {"red"}),  # burgundy
        ((110, 110, 60), {"green"}),  # olive
        ((0, 0, 255), {"blue"}),  # primary blue, which CIELAB puts near purple
        ((30, 30, 160), {"blue"}),  # dark blue trousers
        ((148, 0, 211), {"purple"}),  # violet
        ((128, 0, 128), {"purple"}),
    ],
    ids=lambda value: str(value),
)
def test_realistic_shade_is_named(colour, expected):
    result = dominant_colours(_patch(colour, 16), _full_mask(16))
    assert len(result) == 1
    assert result[0] in expected


@pytest.mark.parametrize(
    ("name", "light"),
    [
        *((name, 0.3) for name in NAMED_COLOURS if name not in {"black", "grey", "white", "light blue"}),
        ("light blue", 0.5),
    ],
)
def test_shaded_colour_keeps_its_name(name, light):
    shaded = _shade(NAMED_COLOURS[name][0], light)
    assert dominant_colours(_patch(shaded, 16), _full_mask(16)) == (name,)


def test_deeply_shaded_navy_stays_navy():
    navy = NAMED_COLOURS["navy"][0]
    rgb = _patch(navy)
    # The right 40 % lies in deep shadow, at 5 % of the light, where navy alone reads as black.
    rgb[:, 77:] = _shade(navy, 0.05)
    assert dominant_colours(_patch(_shade(navy, 0.05), 16), _full_mask(16)) == ("black",)
    assert dominant_colours(rgb, _full_mask()) == ("navy",)


def test_black_shirt_with_print_keeps_black():
    rgb = _patch((22, 24, 30))  # black with a cool cast from the camera
    rgb[32:96, 32:96] = NAMED_COLOURS["red"][0]
    assert dominant_colours(rgb, _full_mask()) == ("black", "red")

    rgb[32:96, 32:96] = NAMED_COLOURS["white"][0]
    assert dominant_colours(rgb, _full_mask()) == ("black", "white")


def test_dark_trim_keeps_its_own_hue():
    red = NAMED_COLOURS["red"][0]
    rgb = _patch(red)
    # A very dark navy band, tinted but far from red in hue, must not join the red.
    rgb[:, 88:] = _shade(NAMED_COLOURS["navy"][0], 0.05)
    result = dominant_colours(rgb, _full_mask())
    assert result[0] == "red"
    assert len(result) == 2
    assert result[1] in {"navy", "blue", "black"}


def test_black_beside_navy_stays_black():
    rgb = _patch((30, 30, 32))
    rgb[32:96, 32:96] = NAMED_COLOURS["navy"][0]
    assert dominant_colours(rgb, _full_mask()) == ("black", "navy")


def test_two_colours_larger_share_first():
    rgb = _patch(NAMED_COLOURS["red"][0])
    rgb[:, 72:] = NAMED_COLOURS["blue"][0]
    assert dominant_colours(rgb, _full_mask()) == ("red", "blue")

    rgb[:, 56:] = NAMED_COLOURS["blue"][0]
    assert dominant_colours(rgb, _full_mask()) == ("blue", "red")


def test_mask_excludes_background():
    rgb = _patch(NAMED_COLOURS["green"][0])
    mask = np.zeros((SIZE, SIZE), dtype=np.float32)
    rgb[40:80, 50:78] = NAMED_COLOURS["red"][0]
    mask[40:80, 50:78] = 1.0
    assert dominant_colours(rgb, mask) == ("red",)


def test_mask_weights_pixels():
    rgb = _patch(NAMED_COLOURS["red"][0])
    rgb[:, 64:] = NAMED_COLOURS["blue"][0]
    mask = _full_mask()
    mask[:, 64:] = 0.25
    shares = {colour.name: colour.share for colour in colour_shares(rgb, mask)}
    assert shares["red"] == pytest.approx(0.8, abs=0.01)
    assert shares["blue"] == pytest.approx(0.2, abs=0.01)


def test_empty_mask_returns_nothing():
    rgb = _patch(NAMED_COLOURS["red"][0])
    assert dominant_colours(rgb, np.zeros((SIZE, SIZE), dtype=np.float32)) == ()


def test_max_colours_is_honoured():
    rgb = _patch(NAMED_COLOURS["red"][0])
    rgb[:, 48:] = NAMED_COLOURS["yellow"][0]
    rgb[:, 90:] = NAMED_COLOURS["blue"][0]
    # Red covers 48 columns, yellow 42 and blue 38.
    assert dominant_colours(rgb, _full_mask(), max_colours=3) == ("red", "yellow", "blue")
    assert dominant_colours(rgb, _full_mask(), max_colours=1) == ("red",)
    assert dominant_colours(rgb, _full_mask()) == ("red", "yellow")


def test_min_share_drops_small_colours():
    rgb = _patch(NAMED_COLOURS["red"][0])
    rgb[:, 118:] = NAMED_COLOURS["blue"][0]  # about 8 % of the garment
    assert dominant_colours(rgb, _full_mask()) == ("red",)
    assert dominant_colours(rgb, _full_mask(), min_share=0.05) == ("red", "blue")


def test_uint8_and_float_inputs_agree():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    mask = _full_mask()
    assert colour_shares(pixels, mask) == colour_shares(pixels.astype(np.float32), mask)


def test_shares_add_up_to_one():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    shares = colour_shares(pixels, _full_mask())
    assert sum(colour.share for colour in shares) == pytest.approx(1.0)
    assert [colour.share for colour in shares] == sorted((colour.share for colour in shares), reverse=True)


@pytest.mark.parametrize(
    ("rgb_shape", "mask_shape"),
    [((SIZE, SIZE), (SIZE, SIZE)), ((SIZE, SIZE, 4), (SIZE, SIZE)), ((SIZE, SIZE, 3), (SIZE, 64))],
)
def test_mismatched_shapes_are_rejected(rgb_shape, mask_shape):
    with pytest.raises(ValueError, match="shape"):
        dominant_colours(np.zeros(rgb_shape), np.ones(mask_shape))


@pytest.mark.parametrize(("max_colours", "min_share"), [(0, 0.15), (2, -0.1), (2, 1.5)])
def test_invalid_limits_are_rejected(max_colours, min_share):
    with pytest.raises(ValueError, match="max_colours|min_share"):
        dominant_colours(_patch((0, 0, 0)), _full_mask(), max_colours=max_colours, min_share=min_share)
