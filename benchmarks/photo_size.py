"""Accuracy and preprocessing time by photo size: which Telegram photo size is enough.

Telegram offers each photo in several sizes (long side 90, 320, 800, 1280 pixels, as JPEG). This
re-encodes every real validation photo at a given long side (JPEG quality 87) and scores the
shipped model on it, so the bot can download the smallest size that keeps accuracy.

Run: .venv/bin/python benchmarks/photo_size.py [../shared/data/real-photos/validation]
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from classifier.inference import GarmentClassifier
from classifier.metrics import real_photo_scores
from classifier.photo_data import list_photos
from classifier.preprocess import preprocess_photo

LONG_SIDES = (None, 1280, 800, 320, 160)


def main(photos_dir: Path) -> None:
    classifier = GarmentClassifier()
    photos = list_photos(photos_dir)
    print(f"{'long side':<10} {'strict':>7} {'coarse':>7} {'confident':>10} {'right':>6} {'ms/photo':>9}")
    for side in LONG_SIDES:
        folders, predicted, confident, seconds = [], [], [], 0.0
        for path, folder in photos:
            image = Image.open(path).convert("RGB")
            if side:
                image.thumbnail((side, side), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=87)
            started = time.perf_counter()
            model_input = preprocess_photo(buffer.getvalue())
            seconds += time.perf_counter() - started
            prediction = classifier.classify_inputs(model_input[np.newaxis])[0]
            folders.append(folder)
            predicted.append(prediction.label_id)
            confident.append(prediction.status == "confident")
        scores = real_photo_scores(folders, predicted, confident)
        print(
            f"{side or 'original':<10} {scores.strict_accuracy:>7.1%} {scores.coarse_accuracy:>7.1%} "
            f"{scores.confident_coverage:>10.1%} {scores.confident_coarse_accuracy:>6.1%} "
            f"{seconds / len(photos) * 1000:>9.2f}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real-photos/validation"))
