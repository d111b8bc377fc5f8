"""Fashion-MNIST loader: reads the four IDX `.gz` files of Debian's `dataset-fashion-mnist` package.

Each image is 28x28 8-bit grayscale, a light garment on a black background; labels are 0-9 in
the order of `classifier.labels.FASHION_MNIST_CLASSES`.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_DATA_DIR", "DatasetNotFoundError", "FashionMnist", "load_fashion_mnist", "read_idx"]

DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")

_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# IDX type codes from the MNIST file format; Fashion-MNIST uses only 0x08 (unsigned byte).
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetNotFoundError(FileNotFoundError):
    """The Fashion-MNIST folder or one of its files is missing."""


@dataclass(frozen=True)
class FashionMnist:
    """The four arrays of Fashion-MNIST: images are uint8 `[N, 28, 28]`, labels uint8 `[N]`."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def read_idx(path: Path) -> np.ndarray:
    """Read one gzip-compressed IDX file into an array of its stored shape."""
    with gzip.open(path, "rb") as stream:
        raw = stream.read()
    if len(raw) < 4 or raw[0:2] != b"\x00\x00":
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{type_code:02x}")
    header_end = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header_end])
    array = np.frombuffer(raw, dtype=_IDX_DTYPES[type_code], offset=header_end)
    expected = int(np.prod(shape))
    if array.size != expected:
        raise ValueError(f"{path}: holds {array.size} values, but its header declares {expected}")
    return array.reshape(shape)


def load_fashion_mnist(data_dir: Path = DEFAULT_DATA_DIR) -> FashionMnist:
    """Load the training and test splits from `data_dir`."""
    data_dir = Path(data_dir)
    missing = [name for name in _FILES.values() if not (data_dir / name).is_file()]
    if missing:
        raise DatasetNotFoundError(
            f"Fashion-MNIST not found in {data_dir} (missing: {', '.join(missing)}). "
            "Install Debian's package with `apt-get install dataset-fashion-mnist`, "
            "or pass --data-dir with a folder that holds the four IDX .gz files."
        )
    arrays = {key: read_idx(data_dir / name) for key, name in _FILES.items()}
    return FashionMnist(**arrays)
