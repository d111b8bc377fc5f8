"""Serving benchmark: LiteRT model time per image on one core, and preprocessing time per photo.

Prints a table and a JSON line. The photos are made here, so the benchmark needs no data set:
a garment drawn on a textured floor, saved as a 1280-pixel JPEG (the largest size Telegram sends
for a photo) and as a 12-megapixel 4000x3000 JPEG (a phone camera file sent as a document),
both with sensor-like noise so the JPEG decoder has real work.

Run: .venv/bin/python benchmarks/serving.py [--model models/fashion.tflite] [--repeat 200]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from classifier.inference import DEFAULT_MODEL_PATH, GarmentClassifier
from classifier.preprocess import preprocess_photo


def make_photo(width: int, height: int, seed: int = 0) -> bytes:
    """Return a JPEG of a dark T-shirt on a noisy wooden-looking floor."""
    rng = np.random.default_rng(seed)
    stripes = (np.sin(np.linspace(0, 60, height))[:, np.newaxis] * 20 + 160).repeat(width, axis=1)
    floor = np.stack([stripes + 30, stripes + 5, stripes - 30], axis=2)
    floor += rng.normal(0, 6, floor.shape)
    image = Image.fromarray(np.clip(floor, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    w, h = width, height
    draw.polygon(
        [
            (0.35 * w, 0.2 * h),
            (0.65 * w, 0.2 * h),
            (0.85 * w, 0.35 * h),
            (0.75 * w, 0.45 * h),
            (0.66 * w, 0.4 * h),
            (0.66 * w, 0.85 * h),
            (0.34 * w, 0.85 * h),
            (0.34 * w, 0.4 * h),
            (0.25 * w, 0.45 * h),
            (0.15 * w, 0.35 * h),
        ],
        fill=(40, 50, 110),
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def time_calls(function, repeat: int) -> list[float]:
    """Return the wall time of each of `repeat` calls, in milliseconds, after two warm-up calls."""
    function()
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 4),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 4),
        "mean_ms": round(statistics.fmean(ordered), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help=".tflite model")
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per figure")
    arguments = parser.parse_args()

    classifier = GarmentClassifier(arguments.model, num_threads=1)
    one = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
    telegram_photo = make_photo(1280, 960)
    camera_file = make_photo(4000, 3000)

    results = {
        "model": arguments.model.name,
        "model_version": classifier.model_version,
        "cpu_count": os.cpu_count(),
        "litert_one_image_one_thread": summary(
            time_calls(lambda: classifier.predict_probabilities(one), arguments.repeat * 5)
        ),
        "preprocess_1280px_jpeg": summary(
            time_calls(lambda: preprocess_photo(telegram_photo), arguments.repeat)
        ),
        "preprocess_12mp_jpeg": summary(
            time_calls(lambda: preprocess_photo(camera_file), arguments.repeat // 4)
        ),
        "jpeg_sizes_bytes": {"1280px": len(telegram_photo), "12mp": len(camera_file)},
    }

    print(f"{'figure':<36} {'median ms':>10} {'p95 ms':>10}")
    for key in ("litert_one_image_one_thread", "preprocess_1280px_jpeg", "preprocess_12mp_jpeg"):
        print(f"{key:<36} {results[key]['median_ms']:>10.3f} {results[key]['p95_ms']:>10.3f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
