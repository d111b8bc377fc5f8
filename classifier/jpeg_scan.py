"""Large JPEGs decoded at 1/8 scale on two cores, with the pixels of Pillow's draft mode.

`load_photo` decodes a JPEG at 1/8 scale when that still covers the working size. Pillow's
decoder, libjpeg, then reads the whole entropy-coded scan on one core, even though 1/8 scale
needs only a few coefficients of each 8x8 block. That took 18.9 to 20.8 ms for the benchmark's
12-megapixel photo on the machines measured. The C module `classifier._jpeg_scan` reads the scan
on two threads and keeps only those coefficients. This module parses the JPEG's headers for it.
It then upsamples the samples and converts them from YCbCr to RGB as libjpeg does, so the pixels
equal Pillow's and preprocessing gives the same model input either way.

It handles the JPEGs that cameras and phones write: baseline or extended sequential Huffman
coding, 8-bit samples, one interleaved scan, YCbCr or grayscale, with or without restart
markers. For
any other file, and for a file whose scan does not decode, `decode_eighth_scale` returns None and
the caller decodes with Pillow as before, so damaged files get the same result either way.

Nothing here talks to Telegram or the model.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

try:
    from classifier import _jpeg_scan
except ImportError:  # pragma: no cover - the extension is built by `pip install`
    _jpeg_scan = None

__all__ = ["EIGHTH_SCALE", "available", "decode_eighth_scale"]

logger = logging.getLogger(__name__)

EIGHTH_SCALE = 8
# Position in natural (row-major) order of each of the 64 quantization values, which DQT stores
# in zigzag order.
ZIGZAG_TO_NATURAL = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip
# Start-of-frame markers of sequential Huffman coding, baseline and extended. The other SOF
# markers, 0xC2 to 0xCF except DHT (0xC4), are codings that this module leaves to Pillow.
SEQUENTIAL_HUFFMAN = frozenset({0xC0, 0xC1})
OTHER_CODINGS = frozenset(range(0xC2, 0xD0)) - {0xC4}


@dataclass(frozen=True)
class _Component:
    identifier: int
    horizontal: int
    vertical: int
    quant_table: int


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    components: tuple[_Component, ...]

    @property
    def max_horizontal(self) -> int:
        return max(component.horizontal for component in self.components)

    @property
    def max_vertical(self) -> int:
        return max(component.vertical for component in self.components)


@dataclass(frozen=True)
class _Scan:
    """The headers and data of a JPEG's only scan, as the C module reads it and `_draw` draws it."""

    frame: _Frame
    # The whole file, and where the scan's entropy-coded data starts in it.
    data: bytes
    start: int
    huffman_tables: tuple[tuple[bytes, bytes] | None, ...]
    quant_tables: tuple[tuple[int, ...], ...]
    # One (frame component index, DC table, AC table) per scan component, in scan order.
    components: tuple[tuple[int, int, int], ...]
    # MCUs per restart interval, or 0 when the scan has no restart markers.
    restart_interval: int


class _Unsupported(Exception):
    """The file uses something this module leaves to Pillow."""


def available() -> bool:
    """Return whether the C module is built, so that large JPEGs take the two-thread path."""
    return _jpeg_scan is not None


def decode_eighth_scale(data: bytes, threads: int | None = None) -> Image.Image | None:
    """Return the JPEG in `data` at 1/8 scale as Pillow's draft mode decodes it, or None.

    None means the file is one this module leaves to Pillow (see the module docstring), or that
    the C module is not built. The image is "RGB" or "L", not yet turned upright.
    """
    if _jpeg_scan is None:
        return None
    try:
        scan = _read_scan(data)
        planes, _ = read_planes(scan, threads)
    except _Unsupported as reason:
        logger.debug("JPEG left to Pillow: %s", reason)
        return None
    except ValueError as error:
        logger.debug("JPEG scan left to Pillow: %s", error)
        return None
    return _draw(scan, planes)


def read_planes(scan: _Scan, threads: int | None = None) -> tuple[tuple[bytes, ...], bool]:
    """Run the C module on a scan: one plane of samples per component, and whether two threads
    shared the reading. Raises ValueError when the scan does not decode, and _Unsupported for an
    MCU layout that this module leaves to Pillow."""
    if threads is None:
        threads = min(2, len(os.sched_getaffinity(0)))
    blocks, mcus_wide, mcus_high = _block_layout(scan)
    return _jpeg_scan.eighth_scale_planes(
        scan.data,
        scan.start,
        scan.huffman_tables,
        scan.quant_tables,
        blocks,
        mcus_wide,
        mcus_high,
        scan.restart_interval,
        threads,
    )


def _read_scan(data: bytes) -> _Scan:
    """Read the headers up to the first scan, and that scan's data with its stuffing removed."""
    if not data.startswith(b"\xff\xd8"):
        raise _Unsupported("no start-of-image marker")
    huffman: dict[tuple[int, int], tuple[bytes, bytes]] = {}
    quant: dict[int, tuple[int, ...]] = {}
    frame = None
    saw_jfif = False
    adobe_transform = None
    restart_interval = 0
    position = 2
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise _Unsupported("the headers end before a scan")
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before a marker
            position += 1
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        payload = data[position + 4 : position + 2 + length]
        if length < 2 or len(payload) != length - 2:
            raise _Unsupported(f"a cut-off segment (marker 0x{marker:02X})")
        if marker in SEQUENTIAL_HUFFMAN:
            if frame is not None:
                raise _Unsupported("a second frame header")
            frame = _read_frame(payload)
        elif marker in OTHER_CODINGS:
            raise _Unsupported(f"coding of marker 0x{marker:02X}")
        elif marker == 0xC4:
            huffman.update(_read_huffman_tables(payload))
        elif marker == 0xDB:
            quant.update(_read_quant_tables(payload))
        elif marker == 0xDD:
            if len(payload) != 2:
                raise _Unsupported("an invalid restart interval segment")
            restart_interval = int.from_bytes(payload, "big")
        elif marker == 0xE0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
            # libjpeg counts an APP0 segment as JFIF only from 14 bytes on (APP0_DATA_LEN).
            saw_jfif = True
        elif marker == 0xEE and payload.startswith(b"Adobe") and len(payload) >= 12:
            adobe_transform = payload[11]
        elif marker == 0xDA:
            if frame is None:
                raise _Unsupported("a scan before the frame header")
            _check_colour_space(frame, saw_jfif, adobe_transform)
            start = position + 2 + length
            return _Scan(
                frame=frame,
                data=data,
                start=start,
                huffman_tables=tuple(
                    huffman.get((table_class, index)) for table_class in (0, 1) for index in range(4)
                ),
                quant_tables=tuple(_quant_table(quant, component) for component in frame.components),
                components=_read_scan_components(payload, frame),
                restart_interval=restart_interval,
            )
        elif marker in {0xD9, 0x01} or 0xD0 <= marker <= 0xD7:
            raise _Unsupported(f"marker 0x{marker:02X} before the scan")
        position += 2 + length


def _read_frame(payload: bytes) -> _Frame:
    if len(payload) < 6:
        raise _Unsupported("a short frame header")
    precision = payload[0]
    height = int.from_bytes(payload[1:3], "big")
    width = int.from_bytes(payload[3:5], "big")
    count = payload[5]
    if precision != 8:
        raise _Unsupported(f"{precision}-bit samples")
    if width == 0 or height == 0:
        raise _Unsupported("a height given after the scan (DNL)")
    if count not in (1, 3):
        raise _Unsupported(f"{count} components")
    if len(payload) != 6 + 3 * count:
        raise _Unsupported("a frame header of the wrong length")
    components = []
    for index in range(count):
        identifier, sampling, quant_table = payload[6 + 3 * index : 9 + 3 * index]
        horizontal, vertical = sampling >> 4, sampling & 15
        if not (1 <= horizontal <= 4 and 1 <= vertical <= 4) or quant_table > 3:
            raise _Unsupported("invalid sampling factors or quantization table")
        components.append(_Component(identifier, horizontal, vertical, quant_table))
    if len({component.identifier for component in components}) != count:
        raise _Unsupported("repeated component identifiers")
    return _Frame(width, height, tuple(components))


def _read_huffman_tables(payload: bytes) -> dict[tuple[int, int], tuple[bytes, bytes]]:
    tables = {}
    position = 0
    while position < len(payload):
        table_class, index = payload[position] >> 4, payload[position] & 15
        counts = payload[position + 1 : position + 17]
        total = sum(counts)
        values = payload[position + 17 : position + 17 + total]
        if table_class > 1 or index > 3 or len(counts) != 16 or len(values) != total or total > 256:
            raise _Unsupported("an invalid Huffman table")
        tables[table_class, index] = (bytes(counts), bytes(values))
        position += 17 + total
    return tables


def _read_quant_tables(payload: bytes) -> dict[int, tuple[int, ...]]:
    tables = {}
    position = 0
    while position < len(payload):
        wide, index = payload[position] >> 4, payload[position] & 15
        size = 128 if wide else 64
        raw = payload[position + 1 : position + 1 + size]
        if wide > 1 or index > 3 or len(raw) != size:
            raise _Unsupported("an invalid quantization table")
        zigzag = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, 128, 2)] if wide else list(raw)
        natural = [0] * 64
        for order, value in enumerate(zigzag):
            natural[ZIGZAG_TO_NATURAL[order]] = value
        tables[index] = tuple(natural)
        position += 1 + size
    return tables


def _quant_table(tables: dict[int, tuple[int, ...]], component: _Component) -> tuple[int, ...]:
    if component.quant_table not in tables:
        raise _Unsupported("a missing quantization table")
    return tables[component.quant_table]


def _check_colour_space(frame: _Frame, saw_jfif: bool, adobe_transform: int | None) -> None:
    """Reject a 3-component JPEG that libjpeg would read as RGB rather than YCbCr (jdapimin.c)."""
    if len(frame.components) != 3 or saw_jfif:
        return
    if adobe_transform == 0:
        raise _Unsupported("RGB components (Adobe transform 0)")
    identifiers = tuple(component.identifier for component in frame.components)
    if adobe_transform is None and identifiers == (0x52, 0x47, 0x42):
        raise _Unsupported("RGB components (identifiers R, G, B)")


def _read_scan_components(payload: bytes, frame: _Frame) -> tuple[tuple[int, int, int], ...]:
    count = payload[0] if payload else 0
    if count != len(frame.components) or len(payload) != 4 + 2 * count:
        raise _Unsupported("a scan that does not hold every component")
    start, end, approximation = payload[1 + 2 * count : 4 + 2 * count]
    if (start, end, approximation) != (0, 63, 0):
        raise _Unsupported("a scan with spectral selection or successive approximation")
    index_of = {component.identifier: index for index, component in enumerate(frame.components)}
    components = []
    for position in range(count):
        identifier, tables = payload[1 + 2 * position : 3 + 2 * position]
        if identifier not in index_of or (tables >> 4) > 3 or (tables & 15) > 3:
            raise _Unsupported("a scan component that is not in the frame")
        components.append((index_of.pop(identifier), tables >> 4, tables & 15))
    return tuple(components)


def _scaled_size(frame: _Frame, component: _Component) -> int:
    """Return libjpeg's inverse DCT size for a component at 1/8 scale (jdmaster.c), 1 or 2.

    A subsampled component gets a larger inverse DCT instead of being upsampled afterwards, as
    far as the largest sampling factors divide evenly.
    """
    size = 1
    while (
        size < 8
        and frame.max_horizontal % (component.horizontal * size * 2) == 0
        and frame.max_vertical % (component.vertical * size * 2) == 0
    ):
        size *= 2
    if size > 2:
        raise _Unsupported("a component subsampled 4 times in both directions")
    return size


def _mcu_counts(scan: _Scan) -> tuple[int, int]:
    """Return the number of MCUs across and down the scan."""
    frame = scan.frame
    if len(scan.components) == 1:
        # One component is coded block by block, over its own size.
        return -(-frame.width // 8), -(-frame.height // 8)
    return -(-frame.width // (8 * frame.max_horizontal)), -(-frame.height // (8 * frame.max_vertical))


def _block_layout(scan: _Scan) -> tuple[tuple[tuple[int, ...], ...], int, int]:
    """Return the C module's layout of the blocks of one MCU, and the MCUs across and down."""
    frame = scan.frame
    mcus_wide, mcus_high = _mcu_counts(scan)
    if len(scan.components) == 1:
        index, dc_table, ac_table = scan.components[0]
        return ((index, dc_table, ac_table, 1, 0, 0),), mcus_wide, mcus_high
    blocks = []
    for index, dc_table, ac_table in scan.components:
        component = frame.components[index]
        size = _scaled_size(frame, component)
        if frame.max_vertical % (component.vertical * size) or frame.max_horizontal % (
            component.horizontal * size
        ):
            raise _Unsupported("sampling factors that do not divide evenly")
        for row in range(component.vertical):
            blocks += [
                (index, dc_table, ac_table, size, row, column) for column in range(component.horizontal)
            ]
    if len(blocks) > 10:
        raise _Unsupported("more than 10 blocks in an MCU")
    return tuple(blocks), mcus_wide, mcus_high


def _draw(scan: _Scan, planes: tuple[bytes, ...]) -> Image.Image:
    """Turn the C module's planes into an RGB or grayscale image of 1/8 the size."""
    frame = scan.frame
    width = -(-frame.width // EIGHTH_SCALE)
    height = -(-frame.height // EIGHTH_SCALE)
    mcus_wide, mcus_high = _mcu_counts(scan)
    if len(frame.components) == 1:
        plane = np.frombuffer(planes[0], dtype=np.uint8).reshape(mcus_high, mcus_wide)
        return Image.fromarray(np.ascontiguousarray(plane[:height, :width]), mode="L")

    full_size = []
    for component, data in zip(frame.components, planes, strict=True):
        size = _scaled_size(frame, component)
        across, down = component.horizontal * size, component.vertical * size
        plane = np.frombuffer(data, dtype=np.uint8).reshape(mcus_high * down, mcus_wide * across)
        # What the inverse DCT did not cover is upsampled by repeating samples, as libjpeg does
        # at this scale: it upsamples smoothly ("fancy") only from 2x2 inverse DCT outputs up.
        # _block_layout has checked that the sampling factors divide evenly.
        stretch_down = frame.max_vertical // down
        stretch_across = frame.max_horizontal // across
        if stretch_down > 1 or stretch_across > 1:
            plane = plane.repeat(stretch_down, axis=0).repeat(stretch_across, axis=1)
        full_size.append(np.ascontiguousarray(plane[:height, :width]))
    rgb = _jpeg_scan.ycbcr_to_rgb(*full_size)
    return Image.frombytes("RGB", (width, height), rgb)
