"""Accuracy and preprocessing time by photo size: which Telegram photo size is enough.

Telegram offers each photo in several sizes (long side 90, 320, 800, 1280 pixels, as JPEG). This
re-encodes every real validation photo at a given long side (JPEG quality 87) and scores the
shipped model on it, so the bot can download the smallest size that keeps accuracy.

Two more rows show what reading a camera file from its EXIF preview costs. Each photo is enlarged
to a long side of 4000 pixels (12 megapixels at 4:3) and saved as a camera does, with a 160 px
preview in its EXIF data, and again without the preview. The preprocessing reads the first from
its preview and decodes the second. Both files carry the same enlarged pixels, so the two rows
differ only by the path through the preprocessing. The last two rows do the same for a HEIC of
1000 px, with a 320 px thumbnail and without one.

Run: .venv/bin/python benchmarks/photo_size.py [../shared/data/real-photos/validation]
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from classifier.inference import GarmentClassifier
from classifier.metrics import real_photo_scores
from classifier.photo_data import list_photos
from classifier.preprocess import preprocess_photo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.camera_files import camera_jpeg  # noqa: E402

LONG_SIDES = (None, 1280, 800, 320, 160)
CAMERA_LONG_SIDE = 4000
JPEG_QUALITY = 87
# Smaller than a camera's HEIC, because HEVC encoding of 12 megapixels takes about 10 s a photo.
HEIC_LONG_SIDE = 1000


def reencoded(side: int | None) -> Callable[[Image.Image], bytes]:
    """Return an encoder that fits a photo in `side` pixels (None: as it is) and saves a JPEG."""

    def encode(image: Image.Image) -> bytes:
        if side:
            image = image.copy()
            image.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
        return buffer.getvalue()

    return encode


def resized(image: Image.Image, long_side: int) -> Image.Image:
    """Return `image` scaled up or down so that its long side is `long_side` pixels."""
    scale = long_side / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.BICUBIC)


def camera_file(with_preview: bool) -> Callable[[Image.Image], bytes]:
    """Return an encoder that enlarges a photo to a camera's size and saves it as a camera JPEG."""

    def encode(image: Image.Image) -> bytes:
        photo = resized(image, CAMERA_LONG_SIDE)
        if with_preview:
            return camera_jpeg(photo, quality=JPEG_QUALITY)
        buffer = io.BytesIO()
        photo.save(buffer, "JPEG", quality=JPEG_QUALITY)
        return buffer.getvalue()

    return encode


def heic_file(with_thumbnail: bool) -> Callable[[Image.Image], bytes]:
    """Return an encoder that resizes a photo to `HEIC_LONG_SIDE` and saves it as a HEIC."""

    def encode(image: Image.Image) -> bytes:
        buffer = io.BytesIO()
        thumbnails = [320] if with_thumbnail else []
        resized(image, HEIC_LONG_SIDE).save(buffer, "HEIF", quality=80, thumbnails=thumbnails)
        return buffer.getvalue()

    return encode


def main(photos_dir: Path) -> None:
    classifier = GarmentClassifier()
    photos = list_photos(photos_dir)
    rows = [(str(side or "original"), reencoded(side)) for side in LONG_SIDES]
    rows.append(("12 MP camera file, read from its 160 px preview", camera_file(with_preview=True)))
    rows.append(("12 MP camera file without a preview", camera_file(with_preview=False)))
    rows.append(("1000 px HEIC, read from its 320 px thumbnail", heic_file(with_thumbnail=True)))
    rows.append(("1000 px HEIC without a thumbnail", heic_file(with_thumbnail=False)))

    print(f"{'long side':<48} {'strict':>7} {'coarse':>7} {'confident':>10} {'right':>6} {'ms/photo':>9}")
    for name, encode in rows:
        folders, predicted, confident, seconds = [], [], [], 0.0
        for path, folder in photos:
            data = encode(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
            started = time.perf_counter()
            model_input = preprocess_photo(data)
            seconds += time.perf_counter() - started
            prediction = classifier.classify_inputs(model_input[np.newaxis])[0]
            folders.append(folder)
            predicted.append(prediction.label_id)
            confident.append(prediction.status == "confident")
        scores = real_photo_scores(folders, predicted, confident)
        print(
            f"{name:<48} {scores.strict_accuracy:>7.1%} {scores.coarse_accuracy:>7.1%} "
            f"{scores.confident_coverage:>10.1%} {scores.confident_coarse_accuracy:>6.1%} "
            f"{seconds / len(photos) * 1000:>9.2f}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real-photos/validation"))
