"""Fashion-MNIST loading: IDX parsing, and a clear error naming the Debian package."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from classifier.dataset import DatasetNotFoundError, load_fashion_mnist, read_idx


def _write_idx(path, array: np.ndarray) -> None:
    header = b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_round_trip(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28) % 256
    _write_idx(tmp_path / "images.gz", images)
    assert np.array_equal(read_idx(tmp_path / "images.gz"), images)


def test_read_idx_rejects_bad_magic(tmp_path):
    with gzip.open(tmp_path / "bad.gz", "wb") as stream:
        stream.write(b"PK\x03\x04not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "bad.gz")


def test_read_idx_rejects_short_data(tmp_path):
    with gzip.open(tmp_path / "short.gz", "wb") as stream:
        stream.write(b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x01\x02")
    with pytest.raises(ValueError, match="declares 10"):
        read_idx(tmp_path / "short.gz")


def test_missing_folder_names_the_package(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="dataset-fashion-mnist"):
        load_fashion_mnist(tmp_path / "absent")


def test_installed_dataset_shapes(fashion_mnist_dir):
    data = load_fashion_mnist(fashion_mnist_dir)
    assert data.train_images.shape == (60_000, 28, 28)
    assert data.test_images.shape == (10_000, 28, 28)
    assert set(np.unique(data.test_labels)) == set(range(10))
