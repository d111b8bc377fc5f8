"""Training data that looks like what customers send, made through the serving preprocessing.

Two sources, both drawn with `preprocess.prepare_image`, the function the bot uses:
- real photos (one sub-folder per garment, as in the real-photo data set), each decoded once and
  then augmented the way phone photos vary: framing, rotation, mirror, light, colour, blur, noise;
- synthetic photos: Fashion-MNIST garments negated back into product photos and laid on uneven,
  noisy backgrounds, so every class (bags and sandals too, which have no real photos) is seen
  with the artefacts that segmentation leaves on real photos.

The arrays are cached under `data/cache/` keyed by the options and the preprocessing source, so a
second training run with the same settings skips this step. Pillow and NumPy only.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from classifier import preprocess
from classifier.labels import OTHER_GARMENT_ID
from classifier.metrics import REAL_PHOTO_FOLDERS, UNKNOWN_FOLDERS
from classifier.preprocess import ImageRejected, load_photo, prepare_image

__all__ = ["PhotoSamples", "augment_photo", "list_photos", "make_photo_samples", "synthetic_photo"]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class PhotoSamples:
    """Model inputs `[N, 28, 28, 1]` with, for each, its source photo index and folder name."""

    inputs: np.ndarray
    photo_index: np.ndarray
    folders: tuple[str, ...]


def list_photos(root: Path, seed: int = 0) -> list[tuple[Path, str]]:
    """Return (path, folder) for every photo in the known folders under `root`, in a fixed order."""
    photos = []
    for folder in (*REAL_PHOTO_FOLDERS, *UNKNOWN_FOLDERS):
        for path in sorted((root / folder).glob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                photos.append((path, folder))
    return photos


def folder_targets(folder: str, classes: int) -> np.ndarray:
    """Return a target row spread evenly over the classes a folder accepts."""
    target = np.zeros(classes, dtype=np.float32)
    if folder in REAL_PHOTO_FOLDERS:
        accepted = sorted(REAL_PHOTO_FOLDERS[folder][0])
    else:
        accepted = [OTHER_GARMENT_ID]
    target[accepted] = 1.0 / len(accepted)
    return target


def augment_photo(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Return a variant of an RGBA photo as another phone, hand or room might have taken it."""
    width, height = image.size
    rgb = image.convert("RGB")
    edge = tuple(int(v) for v in np.median(np.asarray(rgb)[[0, -1]].reshape(-1, 3), axis=0))

    # Framing: keep 80-100% of each side, anywhere in the frame.
    keep_w, keep_h = (rng.uniform(0.8, 1.0, 2) * (width, height)).astype(int)
    left, top = rng.integers(0, width - keep_w + 1), rng.integers(0, height - keep_h + 1)
    rgb = rgb.crop((left, top, left + keep_w, top + keep_h))
    if rng.random() < 0.7:
        rgb = rgb.rotate(rng.uniform(-15, 15), Image.Resampling.BILINEAR, fillcolor=edge)
    if rng.random() < 0.5:
        rgb = ImageOps.mirror(rgb)

    rgb = ImageEnhance.Brightness(rgb).enhance(rng.uniform(0.7, 1.3))
    rgb = ImageEnhance.Contrast(rgb).enhance(rng.uniform(0.7, 1.3))
    rgb = ImageEnhance.Color(rgb).enhance(rng.uniform(0.6, 1.4))
    if rng.random() < 0.3:
        rgb = rgb.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.3:
        small = rgb.resize((max(16, rgb.width // 3), max(16, rgb.height // 3)), Image.Resampling.BILINEAR)
        rgb = small.resize(rgb.size, Image.Resampling.BILINEAR)
    pixels = np.asarray(rgb, dtype=np.float32)
    if rng.random() < 0.4:
        pixels = pixels + rng.normal(0, rng.uniform(2, 10), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB").convert("RGBA")


def synthetic_photo(garment: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Draw a Fashion-MNIST image (light garment on black) as a photo on an uneven background."""
    size = int(rng.integers(96, 160))
    margin = int(size * rng.uniform(0.05, 0.35))
    canvas = size + 2 * margin

    # The garment's own colour: Fashion-MNIST ink is darkness, so ink 255 becomes `dark`.
    dark = rng.uniform(0, 120, 3)
    ink = (
        np.asarray(Image.fromarray(garment).resize((size, size), Image.Resampling.BICUBIC), np.float32) / 255
    )
    background = rng.uniform(120, 255, 3)
    gradient = np.linspace(-1, 1, canvas)[:, np.newaxis, np.newaxis] * rng.uniform(-30, 30, 3)
    pixels = np.broadcast_to(background, (canvas, canvas, 3)) + gradient
    pixels = pixels + rng.normal(0, rng.uniform(2, 14), (canvas, canvas, 3))
    paper = np.broadcast_to(rng.uniform(180, 255, 3), (size, size, 3))
    # Where the garment has no ink, the photo shows its pale fabric; the mask keeps its outline.
    garment_rgb = paper * (1 - ink[..., np.newaxis]) + dark * ink[..., np.newaxis]
    mask = (ink > 0.02)[..., np.newaxis]
    window = pixels[margin : margin + size, margin : margin + size]
    pixels[margin : margin + size, margin : margin + size] = np.where(mask, garment_rgb, window)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB").convert("RGBA")


def _real_photo_variants(task: tuple[str, int, int]) -> list[np.ndarray]:
    path, variants, seed = task
    rng = np.random.default_rng(seed)
    try:
        image = load_photo(Path(path))
    except ImageRejected:
        return []
    inputs = [prepare_image(image).model_input]
    for _ in range(variants):
        inputs.append(prepare_image(augment_photo(image, rng)).model_input)
    return inputs


def _synthetic_inputs(task: tuple[np.ndarray, int]) -> list[np.ndarray]:
    garments, seed = task
    rng = np.random.default_rng(seed)
    return [prepare_image(synthetic_photo(garment, rng)).model_input for garment in garments]


def _cache_key(*parts: object) -> str:
    digest = hashlib.sha256(inspect.getsource(preprocess).encode())
    digest.update(inspect.getsource(augment_photo).encode())
    digest.update(inspect.getsource(synthetic_photo).encode())
    digest.update(repr(parts).encode())
    return digest.hexdigest()[:16]


def make_photo_samples(
    photos: Sequence[tuple[Path, str]], variants: int, seed: int, cache_dir: Path, workers: int = 2
) -> PhotoSamples:
    """Return the clean input (variant 0) and `variants` augmented inputs of each photo."""
    cache = cache_dir / f"photos-{_cache_key([str(p) for p, _ in photos], variants, seed)}.npz"
    if cache.is_file():
        stored = np.load(cache)
        return PhotoSamples(stored["inputs"], stored["photo_index"], tuple(stored["folders"]))

    tasks = [(str(path), variants, seed * 100_003 + index) for index, (path, _) in enumerate(photos)]
    inputs, photo_index, folders = [], [], []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for index, result in enumerate(pool.map(_real_photo_variants, tasks, chunksize=16)):
            inputs.extend(result)
            photo_index.extend([index] * len(result))
            folders.extend([photos[index][1]] * len(result))
    samples = PhotoSamples(np.stack(inputs), np.array(photo_index), tuple(folders))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, inputs=samples.inputs, photo_index=samples.photo_index, folders=folders)
    logger.info("Prepared %d inputs from %d real photos", len(inputs), len(photos))
    return samples


def make_synthetic_samples(images: np.ndarray, seed: int, cache_dir: Path, workers: int = 2) -> np.ndarray:
    """Return Fashion-MNIST `images` drawn as photos and preprocessed, `[N, 28, 28, 1]`."""
    cache = cache_dir / f"synthetic-{_cache_key(images.shape, int(images.sum()), seed)}.npz"
    if cache.is_file():
        return np.load(cache)["inputs"]
    chunks = [(images[i : i + 256], seed * 7919 + i) for i in range(0, len(images), 256)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        inputs = np.stack([x for chunk in pool.map(_synthetic_inputs, chunks) for x in chunk])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, inputs=inputs)
    logger.info("Prepared %d synthetic photo inputs", len(inputs))
    return inputs
