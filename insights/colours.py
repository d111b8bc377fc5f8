"""Colour names for a garment, from the pixels of its photo.

Each garment pixel is converted from sRGB to CIELAB (D65 white point) and takes the name of the
nearest reference point in `NAMED_COLOURS`. The names that cover enough of the garment, weighted by
the garment mask, are returned. Only NumPy is used, and nothing here talks to Telegram or SQLite.

Matching space. Shading lowers lightness much more than it changes chromaticity, so the distance
compares a* and b* divided by (L* + 16) and gives lightness a weight below 1:

    d² = (LIGHTNESS_WEIGHT · ΔL*)² + CHROMA_SCALE² · (Δ(a* / (L* + 16))² + Δ(b* / (L* + 16))²)

L* + 16 is 116 · f(Y), and a*, b* are differences of f(X), f(Y), f(Z). When the light on a surface
drops by a factor k, X, Y and Z all drop by k and every f value drops by k^(1/3). So the two ratios
stay the same, down to L* ≈ 8 where f turns linear. A shaded patch of a navy shirt therefore stays
next to navy, while black, grey and white, whose ratios are near 0, differ by lightness alone.

Deep shadow. Below SHADOW_LIGHTNESS the ratios shrink towards 0 and a shaded navy or brown pixel
can look black. A dark pixel that keeps a clear tint is matched again, among the non-neutral colours
that cover SHADOW_CANDIDATE_SHARE of the garment's brighter pixels and have a similar hue. A navy
shirt in shadow stays navy, while black cloth, whose pixels have almost no tint, stays black.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

__all__ = ["NAMED_COLOURS", "ColourShare", "colour_shares", "dominant_colours", "srgb_to_lab"]

RGB = tuple[int, int, int]

# Reference sRGB points for each colour name. The first point of each name is its typical
# colour, and the others cover common garment shades (charcoal, cream, khaki, denim, olive, ...).
# Saturated blues need points of their own: CIELAB puts their hue near purple's, so without
# (0, 0, 255) and (30, 30, 160) a royal-blue garment would be named purple. Violet needs one too.
# The keys are the canonical English names that the bot translates.
NAMED_COLOURS: Mapping[str, tuple[RGB, ...]] = MappingProxyType(
    {
        "black": ((25, 25, 25),),
        "white": ((250, 250, 250), (240, 234, 215)),
        "grey": ((128, 128, 128), (80, 80, 82), (190, 190, 190)),
        "beige": ((220, 200, 160), (190, 170, 130)),
        "brown": ((110, 70, 40), (70, 45, 30), (150, 105, 65)),
        "red": ((200, 30, 40), (130, 20, 30)),
        "orange": ((240, 130, 30),),
        "yellow": ((240, 210, 40),),
        "green": ((40, 140, 60), (90, 110, 50), (30, 80, 50), (0, 110, 105)),
        "blue": ((40, 80, 180), (65, 95, 140), (0, 0, 255), (30, 30, 160)),
        "light blue": ((150, 190, 230),),
        "navy": ((30, 40, 80),),
        "purple": ((110, 50, 140), (160, 120, 190), (190, 170, 220), (145, 30, 215)),
        "pink": ((240, 150, 180), (220, 70, 140)),
    }
)

# Names that a dark, tinted pixel is never moved to by the deep-shadow rule.
NEUTRAL_COLOURS = frozenset({"black", "grey", "white"})

# Weight of a lightness difference against a chromaticity difference (see the module docstring).
# With 0.75 every non-neutral colour keeps its name at 30 % of its light, except light blue, which
# turns blue there but keeps its name at 50 %. Navy, blue and light blue still stay apart.
LIGHTNESS_WEIGHT = 0.75
# a*/(L*+16) and b*/(L*+16) are multiplied by 66, the value of L*+16 at L* = 50, so that at mid
# lightness a chromaticity difference counts as much as the same difference in plain CIELAB.
CHROMA_SCALE = 66.0

# Pixels darker than this L* are open to the deep-shadow rule.
SHADOW_LIGHTNESS = 15.0
# Smallest sqrt(a*² + b*²) / (L* + 16) of a dark pixel for the deep-shadow rule. Navy measures 0.83
# in full light and 0.24 at 5 % of it. Neutral black cloth (RGB 30, 30, 32) measures 0.05, and
# black with a cool cast (RGB 22, 24, 30) 0.19, so a cast alone rarely passes.
SHADOW_MIN_TINT = 0.2
# Largest difference in CIELAB hue angle, in radians (45 degrees), between a dark pixel and the
# colour the deep-shadow rule moves it to. A bluish black is never moved to a red print.
SHADOW_MAX_HUE_DIFFERENCE = np.pi / 4
# Share of the brighter pixels' weight that a colour needs before dark, tinted pixels may join it.
SHADOW_CANDIDATE_SHARE = 0.15

# At most this many garment pixels are matched, so the work per photo is bounded whatever its size.
# Larger masks are subsampled at evenly spaced positions.
MAX_SAMPLES = 4096

# CIE XYZ from linear sRGB (IEC 61966-2-1), rows divided by the D65 white so that white is (1, 1, 1).
_SRGB_TO_XYZ = np.array(
    [
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ]
)
_XYZ_OVER_WHITE = _SRGB_TO_XYZ / _SRGB_TO_XYZ.sum(axis=1, keepdims=True)
# CIELAB switches from a cube root to a straight line below (6/29)³.
_LAB_EPSILON = (6 / 29) ** 3
_LAB_SLOPE = 1 / (3 * (6 / 29) ** 2)


@dataclass(frozen=True)
class ColourShare:
    """A colour name and the share of the garment, weighted by the mask, that it covers."""

    name: str
    # In [0, 1]. The shares of one garment add up to 1.
    share: float


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB values in 0-255, shape `[..., 3]`, to CIELAB under D65, shape `[..., 3]`."""
    scaled = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 255.0) / 255.0
    linear = np.where(scaled <= 0.04045, scaled / 12.92, ((scaled + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _XYZ_OVER_WHITE.T
    f = np.where(xyz > _LAB_EPSILON, np.cbrt(xyz), xyz * _LAB_SLOPE + 4 / 29)
    lightness = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


def _match_features(lab: np.ndarray) -> np.ndarray:
    """Map CIELAB `[..., 3]` to the space where distances are compared (see the module docstring)."""
    lightness = lab[..., :1]
    chromaticity = lab[..., 1:] / (lightness + 16.0)
    return np.concatenate([LIGHTNESS_WEIGHT * lightness, CHROMA_SCALE * chromaticity], axis=-1)


def _reference_table() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Return the colour names, each reference point's name index and its CIELAB value."""
    names = tuple(NAMED_COLOURS)
    name_index = [index for index, name in enumerate(names) for _ in NAMED_COLOURS[name]]
    points = [point for name in names for point in NAMED_COLOURS[name]]
    return names, np.array(name_index), srgb_to_lab(np.array(points, dtype=np.float64))


_NAMES, _REFERENCE_NAME_INDEX, _REFERENCE_LAB = _reference_table()
_REFERENCE_FEATURES = _match_features(_REFERENCE_LAB).astype(np.float32)
_REFERENCE_NORMS = np.square(_REFERENCE_FEATURES).sum(axis=1)
_REFERENCE_HUES = np.arctan2(_REFERENCE_LAB[:, 2], _REFERENCE_LAB[:, 1])
_NEUTRAL_INDICES = np.array([_NAMES.index(name) for name in NEUTRAL_COLOURS])


def _squared_distances(features: np.ndarray) -> np.ndarray:
    """Return the squared distance of each pixel `[N, 3]` to each reference point, `[N, R]`."""
    # |x - r|² = |x|² - 2 x·r + |r|², as one matrix product instead of an [N, R, 3] array. float32
    # halves the [N, R] temporaries, which matters for speed at MAX_SAMPLES pixels.
    features = features.astype(np.float32)
    cross = features @ _REFERENCE_FEATURES.T
    return np.square(features).sum(axis=1, keepdims=True) - 2.0 * cross + _REFERENCE_NORMS


def _sample_garment(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return up to MAX_SAMPLES garment pixels `[N, 3]` and their mask weights `[N]`."""
    weights = mask.reshape(-1)
    positions = np.flatnonzero(weights > 0)
    if positions.size > MAX_SAMPLES:
        positions = positions[np.linspace(0, positions.size - 1, MAX_SAMPLES).round().astype(np.intp)]
    pixels = rgb.reshape(-1, 3)[positions]
    return pixels, weights[positions].astype(np.float64)


def _validate(rgb: np.ndarray, mask: np.ndarray) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must have shape [H, W, 3], got {rgb.shape}")
    if mask.shape != rgb.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match the image shape {rgb.shape[:2]}")


def colour_shares(rgb: np.ndarray, mask: np.ndarray) -> tuple[ColourShare, ...]:
    """Name the colours of the garment marked by `mask` and measure the share of each.

    `rgb` is `[H, W, 3]` in 0-255 (uint8 or float) and `mask` is float `[H, W]` in [0, 1]. Returns
    every name with a share above 0, largest share first, with ties in `NAMED_COLOURS` order, or an
    empty tuple when the mask is empty. Raises ValueError when the shapes do not match.
    """
    rgb = np.asarray(rgb)
    mask = np.asarray(mask)
    _validate(rgb, mask)
    pixels, weights = _sample_garment(rgb, mask)
    total = weights.sum()
    if total <= 0:
        return ()

    lab = srgb_to_lab(pixels)
    distances = _squared_distances(_match_features(lab))
    nearest_name = _REFERENCE_NAME_INDEX[distances.argmin(axis=1)]
    _recolour_deep_shadow(lab, distances, nearest_name, weights)

    totals = np.bincount(nearest_name, weights=weights, minlength=len(_NAMES)) / total
    order = sorted(np.flatnonzero(totals > 0), key=lambda index: (-totals[index], index))
    return tuple(ColourShare(_NAMES[index], float(totals[index])) for index in order)


def _recolour_deep_shadow(
    lab: np.ndarray, distances: np.ndarray, nearest_name: np.ndarray, weights: np.ndarray
) -> None:
    """Match dark, tinted pixels again among the non-neutral colours of the brighter pixels.

    Updates `nearest_name` in place. The colours eligible are those that cover at least
    SHADOW_CANDIDATE_SHARE of the brighter pixels' weight, and a pixel moves only when its hue is
    within SHADOW_MAX_HUE_DIFFERENCE of the reference point it is matched to.
    """
    lightness = lab[:, 0]
    tint = np.hypot(lab[:, 1], lab[:, 2]) / (lightness + 16.0)
    dark = lightness < SHADOW_LIGHTNESS
    shaded = np.flatnonzero(dark & (tint >= SHADOW_MIN_TINT))
    bright_weight = weights[~dark].sum()
    if shaded.size == 0 or bright_weight <= 0:
        return

    bright_totals = np.bincount(nearest_name[~dark], weights=weights[~dark], minlength=len(_NAMES))
    candidates = bright_totals / bright_weight >= SHADOW_CANDIDATE_SHARE
    candidates[_NEUTRAL_INDICES] = False
    if not candidates.any():
        return

    allowed = candidates[_REFERENCE_NAME_INDEX]
    restricted = np.where(allowed[np.newaxis, :], distances[shaded], np.inf)
    reference = restricted.argmin(axis=1)
    hue = np.arctan2(lab[shaded, 2], lab[shaded, 1])
    # Angle between the two hues, wrapped into [0, pi].
    hue_difference = np.abs((hue - _REFERENCE_HUES[reference] + np.pi) % (2 * np.pi) - np.pi)
    agrees = hue_difference <= SHADOW_MAX_HUE_DIFFERENCE
    nearest_name[shaded[agrees]] = _REFERENCE_NAME_INDEX[reference[agrees]]


def dominant_colours(
    rgb: np.ndarray, mask: np.ndarray, max_colours: int = 2, min_share: float = 0.15
) -> tuple[str, ...]:
    """Return the names of the colours covering at least `min_share` of the garment.

    `rgb` is `[H, W, 3]` in 0-255 (uint8 or float) and `mask` is float `[H, W]` in [0, 1], the
    weight of each pixel. At most `max_colours` names are returned, the most dominant first. The
    tuple is empty when the mask is empty or no colour reaches `min_share`. Raises ValueError on
    mismatched shapes, `max_colours` below 1 or `min_share` outside [0, 1].
    """
    if max_colours < 1:
        raise ValueError(f"max_colours must be at least 1, got {max_colours}")
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must be in [0, 1], got {min_share}")
    shares = colour_shares(rgb, mask)
    return tuple(colour.name for colour in shares if colour.share >= min_share)[:max_colours]
