"""Shared fixtures: paths to data that may be absent, and small images made on the fly."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from classifier.dataset import DEFAULT_DATA_DIR
from classifier.inference import DEFAULT_MODEL_PATH

REPOSITORY = Path(__file__).resolve().parent.parent
REAL_PHOTOS_DIR = REPOSITORY.parent / "shared" / "data" / "real-photos"
DEMO_PHOTOS_DIR = REPOSITORY / "bot" / "demo_photos"
# A model that an operator can serve through FASHION_MODEL in place of the shipped one.
CANDIDATE_MODEL = REPOSITORY / "models" / "candidates" / "fashion-ab.tflite"


@pytest.fixture
def fashion_mnist_dir() -> Path:
    if not (DEFAULT_DATA_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(
            f"Fashion-MNIST not installed in {DEFAULT_DATA_DIR} (apt-get install dataset-fashion-mnist)"
        )
    return DEFAULT_DATA_DIR


@pytest.fixture
def real_photos_dir() -> Path:
    if not REAL_PHOTOS_DIR.is_dir():
        pytest.skip(f"real photos not found at {REAL_PHOTOS_DIR}; they are kept outside the repository")
    return REAL_PHOTOS_DIR


@pytest.fixture
def shipped_model() -> Path:
    return DEFAULT_MODEL_PATH


def garment_photo(
    size: tuple[int, int] = (400, 300),
    garment: tuple[int, int, int] = (30, 40, 120),
    background: tuple[int, int, int] = (235, 235, 230),
) -> Image.Image:
    """Draw a T-shirt-like shape in `garment` colour on a plain background."""
    width, height = size
    image = Image.new("RGB", size, background)
    pixels = np.asarray(image).copy()
    top, bottom = height // 5, height * 4 // 5
    left, right = width // 3, width * 2 // 3
    pixels[top:bottom, left:right] = garment
    pixels[top : top + height // 6, width // 5 : width * 4 // 5] = garment  # sleeves
    return Image.fromarray(pixels)


def encode(image: Image.Image, image_format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def other_program_database(path: Path) -> bytes:
    """Write a SQLite file of another program (one table, no `classifications`) and return its bytes."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE orders (id INTEGER)")
    connection.execute("INSERT INTO orders VALUES (1)")
    connection.commit()
    connection.close()
    return path.read_bytes()
