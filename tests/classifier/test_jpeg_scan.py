"""The two-thread JPEG reader: the same pixels as Pillow's draft mode, or None to leave a file to Pillow."""

from __future__ import annotations

import io
import random
import shutil
import struct
import subprocess

import numpy as np
import pytest
from PIL import Image

from classifier import jpeg_scan
from classifier.preprocess import ImageRejected, RejectReason, load_photo, prepare_photo
from tests.conftest import encode, garment_photo

# Over 2048 pixels on both sides, so Pillow's draft mode decodes at 1/8 scale. Neither side is a
# multiple of 16, so the last MCUs are cut off as in many photos.
LARGE_SIZE = (2100, 2060)


def noisy_garment_photo(size: tuple[int, int] = LARGE_SIZE, seed: int = 0, noise: float = 8.0) -> Image.Image:
    """A garment on a floor with sensor-like noise, so the scan is large enough to be split."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(garment_photo(size=size), dtype=np.float64)
    rows = np.linspace(0, 40, size[1])[:, np.newaxis, np.newaxis]
    pixels = pixels - 30 * np.sin(rows) + rng.normal(0, noise, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def pillow_draft(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (256, 256))
    image.load()
    return image


def assert_same_pixels(image: Image.Image, expected: Image.Image) -> None:
    assert image.mode == expected.mode
    assert image.size == expected.size
    assert np.array_equal(np.asarray(image), np.asarray(expected))


@pytest.fixture(autouse=True)
def built_module():
    if not jpeg_scan.available():
        pytest.fail("classifier._jpeg_scan is not built: run `pip install -e .` (needs gcc)")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    "options",
    [
        {"subsampling": 2, "quality": 90},
        {"subsampling": 1, "quality": 85},
        {"subsampling": 0, "quality": 95},
        {"subsampling": 2, "quality": 60, "optimize": True},
        {"subsampling": 2, "quality": 90, "restart_marker_rows": 1},
        {"subsampling": 0, "quality": 85, "restart_marker_blocks": 7},
    ],
    ids=["4:2:0", "4:2:2", "4:4:4", "optimized-tables", "restart-every-row", "restart-every-7-mcus"],
)
def test_pixels_equal_pillow_draft(options, threads):
    data = encode(noisy_garment_photo(), "JPEG", **options)
    assert_same_pixels(jpeg_scan.decode_eighth_scale(data, threads), pillow_draft(data))


def test_fifteen_zero_run_keeps_coefficient():
    # Optimized tables give short codes to a run of 15 zeros followed by a coefficient, which
    # lands in a subsampled chroma block's 2x2 output as often as strong noise makes it.
    data = encode(noisy_garment_photo((2048, 2048), noise=20), "JPEG", quality=90, optimize=True)
    assert_same_pixels(jpeg_scan.decode_eighth_scale(data), pillow_draft(data))


@pytest.fixture
def cjpeg() -> str:
    path = shutil.which("cjpeg")
    if path is None:
        pytest.skip("cjpeg not installed (apt-get install libjpeg-turbo-progs); Pillow writes only 3 layouts")
    return path


@pytest.mark.parametrize("restart_rows", ["0", "1"], ids=["no-restarts", "restart-every-row"])
@pytest.mark.parametrize(
    "sampling",
    ["4x1,1x1,1x1", "1x2,1x1,1x1", "3x1,1x1,1x1", "4x2,1x1,1x1", "2x2,1x2,1x1", "2x1,1x2,1x1", "1x4,1x1,1x1"],
)
def test_other_sampling_layouts_equal_pillow_draft(cjpeg, sampling, restart_rows):
    ppm = encode(noisy_garment_photo(), "PPM")
    command = [cjpeg, "-quality", "90", "-sample", sampling, "-restart", restart_rows]
    data = subprocess.run(command, input=ppm, capture_output=True, check=True).stdout
    for threads in (1, 2):
        assert_same_pixels(jpeg_scan.decode_eighth_scale(data, threads), pillow_draft(data))


@pytest.mark.parametrize("restart_rows", [0, 2])
def test_grayscale_pixels_equal_pillow_draft(restart_rows):
    photo = noisy_garment_photo((2300, 2111)).convert("L")
    data = encode(photo, "JPEG", quality=90, restart_marker_rows=restart_rows)
    image = jpeg_scan.decode_eighth_scale(data)
    assert image.mode == "L"
    assert_same_pixels(image, pillow_draft(data))


@pytest.mark.parametrize("restart_rows", [0, 1], ids=["no-restarts", "restart-every-row"])
def test_large_scan_uses_two_threads(restart_rows):
    data = encode(noisy_garment_photo((4000, 3000)), "JPEG", quality=90, restart_marker_rows=restart_rows)
    scan = jpeg_scan._read_scan(data)
    planes, split = jpeg_scan.read_planes(scan, threads=2)
    alone, alone_split = jpeg_scan.read_planes(scan, threads=1)
    assert split
    assert not alone_split
    assert planes == alone


def _with_restart_interval(data: bytes) -> bytes:
    """Insert a DRI segment before the scan header, and leave the scan without restart markers."""
    return _before_scan_header(data, b"\xff\xdd" + struct.pack(">HH", 4, 16))


def _before_scan_header(data: bytes, segment: bytes) -> bytes:
    scan_header = data.index(b"\xff\xda")
    return data[:scan_header] + segment + data[scan_header:]


def _with_overfull_huffman_table(data: bytes) -> bytes:
    """Add an AC table, unused by the scan, with 40 codes of length 1 where only 2 fit."""
    table = bytes([0x13, 40]) + bytes(15) + bytes(range(1, 41))
    return _before_scan_header(data, b"\xff\xc4" + struct.pack(">H", len(table) + 2) + table)


def _with_second_frame_header(data: bytes) -> bytes:
    frame_header = data.index(b"\xff\xc0")
    length = struct.unpack(">H", data[frame_header + 2 : frame_header + 4])[0]
    return _before_scan_header(data, data[frame_header : frame_header + 2 + length])


def _with_restart_markers_swapped(data: bytes) -> bytes:
    """Swap the first two restart markers of a scan, RST0 and RST1."""
    first = data.index(b"\xff\xd0")
    second = data.index(b"\xff\xd1")
    swapped = bytearray(data)
    swapped[first + 1], swapped[second + 1] = 0xD1, 0xD0
    return bytes(swapped)


@pytest.mark.parametrize(
    "make_file",
    [
        lambda: encode(noisy_garment_photo(), "JPEG", quality=90, progressive=True),
        lambda: encode(noisy_garment_photo().convert("CMYK"), "JPEG", quality=90),
        lambda: encode(noisy_garment_photo(), "JPEG", quality=90, keep_rgb=True),
        lambda: _with_restart_interval(encode(noisy_garment_photo(), "JPEG", quality=90)),
        lambda: _with_restart_markers_swapped(
            encode(noisy_garment_photo(), "JPEG", quality=90, restart_marker_rows=1)
        ),
        lambda: _with_overfull_huffman_table(encode(noisy_garment_photo(), "JPEG", quality=90)),
        lambda: _with_second_frame_header(encode(noisy_garment_photo(), "JPEG", quality=90)),
        lambda: encode(noisy_garment_photo(), "JPEG", quality=90)[:-300_000],
        lambda: encode(noisy_garment_photo(), "PNG"),
    ],
    ids=[
        "progressive",
        "cmyk",
        "rgb-components",
        "restart-interval-without-markers",
        "restart-markers-out-of-order",
        "overfull-huffman-table",
        "two-frame-headers",
        "cut-off",
        "not-a-jpeg",
    ],
)
def test_other_files_are_left_to_pillow(make_file):
    assert jpeg_scan.decode_eighth_scale(make_file()) is None


def _damaged(data: bytes, rng: random.Random) -> bytes:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        damaged[rng.randrange(2, len(damaged))] = rng.randrange(256)
    return bytes(damaged)


def test_damaged_file_gives_image_or_none():
    data = encode(noisy_garment_photo(), "JPEG", quality=80)
    expected_size = ((LARGE_SIZE[0] + 7) // 8, (LARGE_SIZE[1] + 7) // 8)
    rng = random.Random(7)
    results = [jpeg_scan.decode_eighth_scale(_damaged(data, rng), rng.choice([1, 2])) for _ in range(80)]
    for image in results:
        assert image is None or (image.size == expected_size and image.mode == "RGB")
    # Both outcomes occur: a changed byte either breaks a Huffman code or changes a value.
    assert any(image is None for image in results)
    assert any(image is not None for image in results)


def _without_reader(monkeypatch) -> None:
    monkeypatch.setattr(jpeg_scan, "_jpeg_scan", None)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_photo_preprocessing_is_unchanged(orientation, monkeypatch):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(noisy_garment_photo(), "JPEG", quality=90, exif=exif)
    read_scans = []
    original_read_planes = jpeg_scan.read_planes

    def counting_read_planes(scan, threads=None):
        read_scans.append(scan)
        return original_read_planes(scan, threads)

    monkeypatch.setattr(jpeg_scan, "read_planes", counting_read_planes)
    prepared = prepare_photo(data)
    assert len(read_scans) == 1, "the photo was not read by jpeg_scan"
    _without_reader(monkeypatch)
    from_pillow = prepare_photo(data)
    assert np.array_equal(prepared.model_input, from_pillow.model_input)
    assert np.array_equal(prepared.rgb, from_pillow.rgb)
    assert np.array_equal(prepared.mask, from_pillow.mask)


def test_progressive_photo_is_still_decoded():
    data = encode(noisy_garment_photo(), "JPEG", quality=90, progressive=True)
    assert load_photo(data).size == (128, 126)


def test_cut_off_photo_is_still_corrupt():
    data = encode(noisy_garment_photo(), "JPEG", quality=90)
    with pytest.raises(ImageRejected) as rejected:
        load_photo(data[: len(data) // 2])
    assert rejected.value.reason is RejectReason.CORRUPT


def test_photo_from_a_file_is_read_whole(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(noisy_garment_photo(), "JPEG", quality=90))
    with path.open("rb") as stream:
        from_stream = np.asarray(load_photo(stream))
    assert np.array_equal(np.asarray(load_photo(path)), from_stream)
    assert np.array_equal(from_stream, np.asarray(load_photo(path.read_bytes())))
