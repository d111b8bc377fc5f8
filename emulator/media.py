"""Image handling with Pillow: photo size ladders, image inspection and sample media.

Telegram stores every received photo in several JPEG sizes and lists them in a
message's ``photo`` array from smallest to largest. build_photo_sizes makes the
same ladder from a test's image so that a bot picking ``message.photo[-1]``
gets the largest size, as it would in production.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "PHOTO_LONG_SIDES",
    "ImageInfo",
    "PhotoSizeImage",
    "build_photo_sizes",
    "inspect_image",
    "make_sticker_image",
]

# Long sides of the stored photo sizes. An image is never upscaled, so a 28x28
# image yields one size and a 1000x500 image yields 90, 320, 800 and 1000.
PHOTO_LONG_SIDES = (90, 320, 800, 1280)
_JPEG_QUALITY = 87


@dataclass(frozen=True)
class ImageInfo:
    """Format and pixel size of an image, read from its header."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class PhotoSizeImage:
    """One JPEG rendition of a photo."""

    width: int
    height: int
    jpeg_bytes: bytes


def inspect_image(data: bytes) -> ImageInfo | None:
    """Return the format and size of an image, or None when Pillow cannot identify it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return ImageInfo(format=image.format or "", width=image.width, height=image.height)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


# Benchmarks send the same few photos thousands of times; the ladder of each is built once.
@lru_cache(maxsize=32)
def build_photo_sizes(data: bytes) -> tuple[PhotoSizeImage, ...]:
    """Resize an image to each long side of PHOTO_LONG_SIDES that fits, as JPEG.

    The tuple runs from smallest to largest. Its last entry has the original size,
    or a long side of 1280 for a larger image. Raises ValueError when the bytes
    are not an image Pillow can decode. The EXIF orientation is applied first,
    because Telegram's photos arrive upright and without EXIF data.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"photo bytes are not a decodable image: {error}") from error

    long_side = max(image.width, image.height)
    largest = min(long_side, PHOTO_LONG_SIDES[-1])
    targets = [side for side in PHOTO_LONG_SIDES if side < largest] + [largest]

    sizes: list[PhotoSizeImage] = []
    for target in targets:
        scale = target / long_side
        width = max(1, round(image.width * scale))
        height = max(1, round(image.height * scale))
        resized = (
            image
            if (width, height) == image.size
            else image.resize((width, height), Image.Resampling.LANCZOS)
        )
        buffer = io.BytesIO()
        resized.save(buffer, format="JPEG", quality=_JPEG_QUALITY)
        sizes.append(PhotoSizeImage(width=width, height=height, jpeg_bytes=buffer.getvalue()))
    return tuple(sizes)


def make_sticker_image(size: int = 512) -> bytes:
    """Draw a plain square WEBP image to stand in for a sticker file."""
    image = Image.new("RGBA", (size, size), (255, 196, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP")
    return buffer.getvalue()
