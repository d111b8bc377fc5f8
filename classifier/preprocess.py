"""Photo preprocessing: turns any image a customer sends into the model's 28x28 input.

This is the one path shared by serving, evaluation and training on real photos, so the three
cannot drift apart. It follows the conversion Zalando used to make Fashion-MNIST from product
photos: trim, fit the long side, sharpen, centre on a square, negate, grayscale. Phone photos
need one more step first, which product photos did not: finding the garment.

Steps:
1. Decode: any Pillow mode (alpha, palette, CMYK, 16-bit, grayscale), first frame of an
   animation, EXIF orientation applied, large JPEGs decoded at a reduced scale (draft mode, or
   `jpeg_scan` on two threads at 1/8 scale, with the same pixels).
   A camera file over 4 megapixels is read from the preview JPEG that the camera stored in its
   EXIF data, when that preview has the photo's aspect ratio. A HEIF photo is read from its
   embedded thumbnail when one covers the working size.
2. Find the garment: the alpha channel where the image has transparency, otherwise the pixels
   that differ from a background colour estimated on the image borders.
3. Draw it as Fashion-MNIST does: ink = 255 - luminance inside the garment, black elsewhere;
   crop to the garment, fit the long side to 28 pixels, sharpen, centre on a 28x28 square.

Nothing here talks to Telegram or the model; it only needs Pillow and NumPy.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageFilter, ImageOps, UnidentifiedImageError
from scipy import ndimage

from classifier import jpeg_scan
from classifier.errors import ImageRejected, RejectReason
from classifier.labels import MODEL_INPUT_SIZE

__all__ = [
    "MODEL_INPUT_SIZE",
    "ImageRejected",
    "PreparedPhoto",
    "RejectReason",
    "load_photo",
    "prepare_image",
    "prepare_photo",
    "preprocess_photo",
    "reject_blank",
]

logger = logging.getLogger(__name__)

try:  # HEIC/HEIF photos from iPhones, when pillow-heif is installed.
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - pillow-heif is a runtime dependency, but optional here
    register_heif_opener = None
else:
    register_heif_opener()

# Pixel budgets checked on the header, before any pixel is decoded. A JPEG is decoded at 1/8 scale
# or less when it is large (draft mode), so it may declare more pixels than other formats.
MAX_JPEG_PIXELS = 120_000_000
MAX_OTHER_PIXELS = 40_000_000
# Pillow names a JPEG file "MPO" when its MPF data (APP2) lists more than one image, as some
# cameras write with a second, smaller copy or a stereo pair. Its first image is a plain JPEG.
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
MIN_SIDE = 16

# A JPEG with more pixels than this is read from its EXIF preview when it has a usable one.
# Decoding a 12-megapixel file of 1.9 MB at 1/8 scale took 15.6 to 20.8 ms on one core of the
# 2-core machines measured, and 11.6 to 12.7 ms on two cores with `jpeg_scan`. The whole
# preprocessing from its preview took under 3.5 ms (benchmarks/performance.py). Below this size
# decoding is cheaper, and the photo's own pixels are safer than a preview that an editor may have
# left unchanged.
PREVIEW_FROM_PIXELS = 4_000_000
# The preview must have the photo's aspect ratio within this relative difference. This rejects
# previews padded with bars, or left over from before a crop.
PREVIEW_ASPECT_TOLERANCE = 0.02
# Image.transpose operation for each EXIF orientation from 2 to 8. Orientation 1, upright, needs none.
ORIENTATION_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Long side, in pixels, of the copy used to find the garment.
WORKING_SIZE = 128
# Width of the border band, as a share of the short side, that samples the background colour.
BORDER_SHARE = 0.05
# A pixel belongs to the garment when its colour is at least this far (Euclidean RGB distance,
# 0-441) from the background; Otsu's threshold is used when it is larger.
MIN_BACKGROUND_DISTANCE = 24.0
# A mask covering less or more than these shares of the image is taken as a failed segmentation,
# and the whole image is used instead.
MIN_GARMENT_SHARE = 0.02
MAX_GARMENT_SHARE = 0.97
# Background colours sampled on the borders, and the smallest share of border pixels that one
# background colour must cover.
BACKGROUND_CLUSTERS = 3
MIN_CLUSTER_SHARE = 0.12
# Contrast stretch: the garment's 99th-percentile ink maps to white, unless it is fainter than
# this, so a white shirt stays pale as it is in Fashion-MNIST.
MIN_INK_PEAK = 96.0
# A photo with no garment found whose luminance spans fewer levels than this, from its 1st to its
# 99th percentile, is taken as blank. The 3,409 real photos of the data folder span 45 or more.
BLANK_LUMINANCE_RANGE = 8.0


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready for the model, with the colour image and garment mask it was drawn from.

    `model_input` is float32 `[28, 28, 1]` in [0, 1]. `rgb` is the upright photo at working size,
    float32 `[H, W, 3]` in 0-255, with transparent pixels made white. `mask` is the garment, float
    `[H, W]` in [0, 1], or None when no garment stood out and the whole photo was used.
    """

    model_input: np.ndarray
    rgb: np.ndarray
    mask: np.ndarray | None

    @property
    def garment_found(self) -> bool:
        """Whether segmentation found a garment (otherwise the whole photo was used)."""
        return self.mask is not None


def load_photo(source: bytes | Path | str | BinaryIO) -> Image.Image:
    """Decode an image into RGBA at a working resolution, upright, with limits checked first."""
    if isinstance(source, str | Path):
        # Read the file whole. A photo read from its EXIF preview or by jpeg_scan is never loaded
        # by Pillow, which would otherwise leave the file it opened open.
        source = Path(source).read_bytes()
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        with warnings.catch_warnings():
            # The pixel budget below replaces Pillow's warning, which fires between 89 and 179
            # megapixels; above that Pillow raises DecompressionBombError itself.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
    except UnidentifiedImageError as error:
        raise ImageRejected(RejectReason.NOT_AN_IMAGE, "no image format recognised") from error
    except Image.DecompressionBombError as error:
        raise ImageRejected(RejectReason.TOO_MANY_PIXELS, str(error)) from error

    width, height = image.size
    limit = MAX_JPEG_PIXELS if image.format in JPEG_FORMATS else MAX_OTHER_PIXELS
    if width * height > limit:
        raise ImageRejected(
            RejectReason.TOO_MANY_PIXELS, f"{width}x{height} pixels is over the limit of {limit}"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(RejectReason.TOO_SMALL, f"{width}x{height} is under {MIN_SIDE} pixels")

    try:
        if image.format in JPEG_FORMATS:
            preview = _camera_preview(image)
            if preview is not None:
                return _to_rgba(preview)
            eighth = _eighth_scale(image)
            if eighth is not None:
                return _to_rgba(_upright(eighth, image))
            # Decode at the smallest DCT scale that still covers the working size.
            image.draft("RGB", (WORKING_SIZE * 2, WORKING_SIZE * 2))
        elif image.format == "HEIF":
            _draft_heif_thumbnail(image)
        image.seek(0)
        image = ImageOps.exif_transpose(image)
        return _to_rgba(image)
    except (OSError, ValueError, SyntaxError) as error:
        # Pillow reports truncated or damaged data as OSError, and some broken headers as
        # ValueError or SyntaxError.
        raise ImageRejected(RejectReason.CORRUPT, str(error)) from error


def _camera_preview(image: Image.Image) -> Image.Image | None:
    """Decode the upright EXIF preview of a large JPEG, or return None when it has no usable one.

    A camera JPEG can carry a small JPEG of the same picture in EXIF (IFD1, often 160x120
    pixels), and decoding it takes a small fraction of the time the photo takes. The preview is used only
    when the photo is over `PREVIEW_FROM_PIXELS`, when the preview has the photo's aspect ratio and
    a long side of at least `WORKING_SIZE`, and when it decodes cleanly. The photo's own data is
    then never read, so a file cut off after its preview is still classified.

    NOTE: a preview that an editor left unchanged after changing the picture but not its shape is
    used all the same. Only size and aspect ratio are checked, because comparing the preview with
    the photo would need the full decoding that the preview saves.
    """
    width, height = image.size
    if width * height <= PREVIEW_FROM_PIXELS:
        return None
    data = _exif_thumbnail(image)
    if data is None:
        return None

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            preview = Image.open(io.BytesIO(data), formats=["JPEG"])
        if not _preview_fits_photo(preview.size, image.size):
            return None
        preview.draft("RGB", (WORKING_SIZE * 2, WORKING_SIZE * 2))
        preview.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        # UnidentifiedImageError is an OSError. The photo itself is decoded instead.
        logger.debug("EXIF preview not used: %s", error)
        return None

    logger.debug("JPEG of %dx%d read from its %dx%d EXIF preview", width, height, *preview.size)
    # A preview is stored the way the photo is, so the photo's orientation applies to it.
    return _upright(preview, image)


def _eighth_scale(image: Image.Image) -> Image.Image | None:
    """Decode a large JPEG at 1/8 scale on two threads, or return None to leave it to Pillow.

    Pillow's draft mode below picks 1/8 scale for the same photos, those at least 8 times the
    draft size on both sides, and `jpeg_scan` gives the same pixels. It reads the entropy-coded
    data on two cores, which halves the decoding time of a 12-megapixel photo without an EXIF
    preview.
    """
    width, height = image.size
    draft_side = WORKING_SIZE * 2
    if min(width // draft_side, height // draft_side) < jpeg_scan.EIGHTH_SCALE or not jpeg_scan.available():
        return None
    image.fp.seek(0)
    return jpeg_scan.decode_eighth_scale(image.fp.read())


def _upright(decoded: Image.Image, image: Image.Image) -> Image.Image:
    """Turn a decoded copy of `image` upright by the EXIF orientation of `image`."""
    transpose = ORIENTATION_TRANSPOSES.get(image.getexif().get(ExifTags.Base.Orientation))
    return decoded if transpose is None else decoded.transpose(transpose)


def _draft_heif_thumbnail(image: Image.Image) -> None:
    """Make a HEIF photo decode from its embedded thumbnail when one covers the working size.

    HEVC decoding is slow: the benchmark's 12-megapixel photo as a HEIC took 420 to 475 ms to
    preprocess on one core of an AMD EPYC (CPU family 25), against 24 ms as a JPEG. A HEIF file
    can carry thumbnails of its image. pillow-heif's `draft` (1.9) picks the smallest thumbnail that covers
    the requested size and is a scaled copy of the photo, with the same aspect ratio, crop,
    rotation and colour profile, and otherwise leaves the photo to be decoded whole. Unlike a
    JPEG's EXIF preview, a thumbnail is used at any photo size, because HEVC decoding costs about
    40 ms per megapixel.
    """
    width, height = image.size
    scale = WORKING_SIZE / max(width, height)
    working_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.draft("RGB", working_size) is not None:
        logger.debug("HEIF of %dx%d read from its %dx%d thumbnail", width, height, *image.size)


def _exif_thumbnail(image: Image.Image) -> bytes | None:
    """Return the JPEG bytes that the photo's EXIF IFD1 points to, or None when there are none."""
    try:
        thumbnail_tags = image.getexif().get_ifd(ExifTags.IFD.IFD1)
    except (OSError, ValueError, SyntaxError, struct.error) as error:
        # The photo is decoded instead, as when it has no preview.
        logger.debug("EXIF IFD1 not readable: %s", error)
        return None
    offset = thumbnail_tags.get(ExifTags.Base.JpegIFOffset)
    length = thumbnail_tags.get(ExifTags.Base.JpegIFByteCount)
    if not isinstance(offset, int) or not isinstance(length, int) or offset <= 0 or length <= 0:
        return None

    # The offset counts from the TIFF header, which follows "Exif\0\0" in the APP1 segment.
    segment = image.info.get("exif", b"")
    start = offset + (6 if segment.startswith(b"Exif\x00\x00") else 0)
    data = segment[start : start + length]
    return data if len(data) == length else None


def _preview_fits_photo(preview_size: tuple[int, int], photo_size: tuple[int, int]) -> bool:
    """Return whether a preview of this size can replace the photo.

    The preview must be at most a quarter of the photo's pixels, reach the working size on its long
    side, and have the photo's aspect ratio.
    """
    preview_width, preview_height = preview_size
    photo_width, photo_height = photo_size
    if max(preview_size) < WORKING_SIZE or min(preview_size) < MIN_SIDE:
        return False
    if preview_width * preview_height * 4 > photo_width * photo_height:
        return False
    preview_ratio = preview_width / preview_height
    photo_ratio = photo_width / photo_height
    return abs(preview_ratio - photo_ratio) <= PREVIEW_ASPECT_TOLERANCE * photo_ratio


def _to_rgba(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGBA, scaling 16-bit and float images to 8 bits."""
    if image.mode in {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}:
        values = np.asarray(image, dtype=np.float64)
        peak = float(values.max()) if values.size else 0.0
        if image.mode.startswith("I;16") or peak > 255:
            values = values / 257.0
        elif image.mode == "F" and peak <= 1.0:
            values = values * 255.0
        image = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("PA")
    if image.mode == "RGB":
        # Shrinking before adding the opaque alpha channel gives the same pixels, and Pillow
        # resizes RGB without the premultiplying round trip it makes for RGBA.
        image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BILINEAR, reducing_gap=2.0)
        return image.convert("RGBA")
    image = image.convert("RGBA")
    image.thumbnail((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _otsu_threshold(values: np.ndarray) -> float:
    """Return Otsu's threshold of a set of values in [0, 442)."""
    histogram, edges = np.histogram(values, bins=128, range=(0.0, 442.0))
    weights = histogram.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(weights)
    above = below[-1] - below
    sum_below = np.cumsum(weights * centres)
    mean_below = np.divide(sum_below, below, out=np.zeros_like(sum_below), where=below > 0)
    mean_above = np.divide(sum_below[-1] - sum_below, above, out=np.zeros_like(sum_below), where=above > 0)
    between = below * above * (mean_below - mean_above) ** 2
    return float(centres[int(np.argmax(between))])


def _background_colours(border: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Cluster border pixels into at most `BACKGROUND_CLUSTERS` colours (k-means, fixed start).

    A floor, a wall and a bed sheet around one garment give several background colours. A
    cluster is dropped when it covers less than `MIN_CLUSTER_SHARE` of the border, or more of the
    image's centre (`centre`, pixels `[N, 3]`) than of its border. Either way it is more likely
    the garment touching the edge than background, as with a dress that fills the frame.
    """
    # A few hundred evenly spaced border pixels describe the background as well as all of them.
    border = border[:: max(1, len(border) // 400)]
    order = np.argsort(border @ np.array([0.299, 0.587, 0.114], dtype=np.float32))
    centres = border[order[np.linspace(0, len(order) - 1, BACKGROUND_CLUSTERS).astype(int)]]
    for _ in range(6):
        distances = _squared_distances(border, centres)
        nearest = distances.argmin(axis=1)
        for cluster in range(len(centres)):
            members = border[nearest == cluster]
            if len(members):
                centres[cluster] = members.mean(axis=0)
    shares = np.bincount(nearest, minlength=len(centres)) / len(border)
    centre = centre[:: max(1, len(centre) // 400)]
    centre_nearest = _squared_distances(centre, centres).argmin(axis=1)
    centre_shares = np.bincount(centre_nearest, minlength=len(centres)) / len(centre)
    keep = (shares >= MIN_CLUSTER_SHARE) & (centre_shares <= shares)
    if not keep.any():
        # Every colour fills the centre more than the border: keep the border's commonest one.
        keep = shares == shares.max()
    return centres[keep]


def _squared_distance(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Return the squared RGB distance of each pixel `[..., 3]` to one colour, shape `[...]`."""
    difference = pixels - colour
    difference *= difference
    # Adding the three channels by hand is several times faster than sum(axis=-1) on so short
    # an axis, and adds them in the same order.
    return difference[..., 0] + difference[..., 1] + difference[..., 2]


def _squared_distances(pixels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Return the squared RGB distance of each pixel `[..., 3]` to each colour, shape `[..., K]`."""
    return np.stack([_squared_distance(pixels, colour) for colour in colours], axis=-1)


def _nearest_colour_distance(pixels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Return the RGB distance of each pixel `[..., 3]` to the nearest of `colours`, shape `[...]`.

    It equals `sqrt(_squared_distances(...).min(axis=-1))`, but a running minimum over the colours
    is about three times faster than a minimum along an axis of two or three values.
    """
    nearest = _squared_distance(pixels, colours[0])
    for colour in colours[1:]:
        np.minimum(nearest, _squared_distance(pixels, colour), out=nearest)
    return np.sqrt(nearest, out=nearest)


def _square_filter(mask: np.ndarray, size: int, combine: np.ufunc) -> np.ndarray:
    """Erode (`np.logical_and`) or dilate (`np.logical_or`) a boolean mask by a `size` x `size` square.

    Pixels outside the image count as background, so the result equals SciPy's `binary_erosion`
    and `binary_dilation` with `np.ones((size, size))` and `border_value=0`, for odd `size`. It is
    several times faster on a working-size mask, because a square splits into one pass along the
    rows and one along the columns.
    """
    height, width = mask.shape
    radius = size // 2
    padded = np.pad(mask, radius, constant_values=False)
    rows = padded[:, :width].copy()
    for shift in range(1, size):
        combine(rows, padded[:, shift : shift + width], out=rows)
    result = rows[:height].copy()
    for shift in range(1, size):
        combine(result, rows[shift : shift + height], out=result)
    return result


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill the holes of a boolean mask: background regions that do not reach the image border.

    The result equals SciPy's `binary_fill_holes` with its default 4-connected structure, but
    labelling the background once is about twice as fast as that function's repeated dilation.
    """
    labels, _ = ndimage.label(~mask)
    outside = np.zeros(labels.max() + 1, dtype=bool)
    outside[labels[0]] = outside[labels[-1]] = True
    outside[labels[:, 0]] = outside[labels[:, -1]] = True
    # Label 0 is the mask itself, which is never background.
    outside[0] = False
    return ~outside[labels]


def _central_components(mask: np.ndarray) -> np.ndarray:
    """Keep the connected region nearest the centre that is large, plus regions of similar size.

    Two shoes or a garment split by a belt stay together; a chair leg at the edge goes.
    """
    labels, count = ndimage.label(mask)
    if count <= 1:
        return mask
    index = np.arange(1, count + 1)
    areas = ndimage.sum_labels(mask, labels, index)
    centroids = np.array(ndimage.center_of_mass(mask, labels, index))
    height, width = mask.shape
    offsets = (centroids - [height / 2, width / 2]) / [height / 2, width / 2]
    scores = areas * (1.5 - np.clip(np.hypot(offsets[:, 0], offsets[:, 1]), 0, 1.5))
    best = int(np.argmax(scores))
    keep = index[(areas >= areas[best] * 0.3) | (index == best + 1)]
    return np.isin(labels, keep)


def _garment_mask(rgba: np.ndarray) -> np.ndarray | None:
    """Return a float mask in [0, 1] of the garment, or None when no garment stands out."""
    alpha = rgba[..., 3]
    if (alpha < 250).mean() > 0.01:
        mask = alpha / 255.0
    else:
        rgb = ndimage.uniform_filter(rgba[..., :3], size=(3, 3, 1))
        band = max(1, round(min(rgb.shape[:2]) * BORDER_SHARE))
        border = np.concatenate(
            [
                rgb[:band].reshape(-1, 3),
                rgb[-band:].reshape(-1, 3),
                rgb[:, :band].reshape(-1, 3),
                rgb[:, -band:].reshape(-1, 3),
            ]
        )
        height, width = rgb.shape[:2]
        centre = rgb[height // 4 : height - height // 4, width // 4 : width - width // 4].reshape(-1, 3)
        colours = _background_colours(border, centre)
        distance = _nearest_colour_distance(rgb, colours)
        threshold = max(MIN_BACKGROUND_DISTANCE, _otsu_threshold(distance))
        hard = distance > threshold
        # An opening (erode, then dilate by 3x3) removes specks. A closing (dilate, then erode by
        # 5x5) joins the garment's parts. Then holes, such as a print the colour of the floor, are filled.
        hard = _square_filter(hard, 3, np.logical_and)
        hard = _square_filter(hard, 3, np.logical_or)
        hard = _square_filter(hard, 5, np.logical_or)
        hard = _square_filter(hard, 5, np.logical_and)
        hard = _fill_holes(hard)
        if hard.any():
            hard = _central_components(hard)
        mask = ndimage.gaussian_filter(hard.astype(np.float64), 0.7)

    share = float((mask > 0.5).mean())
    if not MIN_GARMENT_SHARE <= share <= MAX_GARMENT_SHARE:
        return None
    return mask


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Return (left, top, right, bottom) around the mask, ignoring 1% stray pixels on each side."""
    rows, cols = np.nonzero(mask > 0.5)
    top, bottom = np.percentile(rows, [1, 99])
    left, right = np.percentile(cols, [1, 99])
    return int(left), int(top), int(right) + 1, int(bottom) + 1


def _fit_to_square(ink: Image.Image) -> np.ndarray:
    """Fit the long side to 28 pixels, sharpen, and centre on a black 28x28 square."""
    width, height = ink.size
    scale = MODEL_INPUT_SIZE / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    fitted = ink.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    fitted = fitted.filter(ImageFilter.SHARPEN)
    square = Image.new("L", (MODEL_INPUT_SIZE, MODEL_INPUT_SIZE), 0)
    square.paste(fitted, ((MODEL_INPUT_SIZE - size[0]) // 2, (MODEL_INPUT_SIZE - size[1]) // 2))
    return np.asarray(square, dtype=np.float32) / 255.0


def reject_blank(prepared: PreparedPhoto) -> None:
    """Raise ImageRejected when a prepared photo is one flat colour, such as a blank wall or a covered lens.

    The training data contains no such photos, so the model would only guess. The check reads the
    prepared photo and changes nothing, so training and serving still share one preprocessing path.
    """
    if prepared.mask is not None:
        return
    luminance = prepared.rgb @ np.array([0.299, 0.587, 0.114])
    low, high = np.percentile(luminance, [1, 99])
    if high - low < BLANK_LUMINANCE_RANGE:
        raise ImageRejected(
            RejectReason.BLANK, f"luminance spans {high - low:.1f} levels, under {BLANK_LUMINANCE_RANGE}"
        )


def prepare_photo(source: bytes | Path | str | BinaryIO) -> PreparedPhoto:
    """Decode a photo, find the garment and draw it as a Fashion-MNIST image."""
    return prepare_image(load_photo(source))


def prepare_image(image: Image.Image) -> PreparedPhoto:
    """Find the garment in an RGBA image from `load_photo` and draw it as a Fashion-MNIST image."""
    rgba = np.asarray(image, dtype=np.float32)
    mask = _garment_mask(rgba)

    # Transparent pixels become white before the grayscale step, so the colour hidden under them
    # never changes the result. An opaque image, as every JPEG is, skips the blend, which would
    # leave its values unchanged.
    if rgba[..., 3].min() == 255:
        rgb = rgba[..., :3].copy()
    else:
        alpha = rgba[..., 3:4] / 255.0
        rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    luminance = rgb @ np.array([0.299, 0.587, 0.114])
    ink = 255.0 - luminance

    if mask is None:
        box = (0, 0, ink.shape[1], ink.shape[0])
    else:
        ink = ink * mask
        box = _bounding_box(mask)
    # Stretch the contrast so a pale garment is as visible as a dark one.
    garment = ink[box[1] : box[3], box[0] : box[2]]
    peak = max(float(np.percentile(garment, 99)), MIN_INK_PEAK)
    garment = np.clip(garment * (255.0 / peak), 0, 255).astype(np.uint8)

    model_input = _fit_to_square(Image.fromarray(garment, mode="L"))
    return PreparedPhoto(model_input=model_input[..., np.newaxis], rgb=rgb.astype(np.float32), mask=mask)


def preprocess_photo(source: bytes | Path | str | BinaryIO) -> np.ndarray:
    """Return the model input, float32 `[28, 28, 1]` in [0, 1], for one photo."""
    return prepare_photo(source).model_input
