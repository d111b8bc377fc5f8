"""JPEG files as cameras write them: the photo, with a small preview JPEG inside its EXIF data.

Pillow writes EXIF tags of IFD0 but not the IFD1 preview, so `exif_with_preview` builds the
block by hand: a big-endian TIFF header, IFD0 with the orientation, then IFD1 with the offset and
length of the preview, which follows. The tests and the performance benchmark both use it.
"""

from __future__ import annotations

import io
import struct

from PIL import Image

# TIFF field types.
SHORT = 3
LONG = 4
# One IFD entry: tag, type, count, and a 4-byte value.
ENTRY_SIZE = 12


def exif_with_preview(preview: bytes, orientation: int = 1) -> bytes:
    """Return an EXIF APP1 payload with `orientation` in IFD0 and `preview` as the IFD1 JPEG."""
    ifd0_offset = 8
    ifd1_offset = ifd0_offset + 2 + ENTRY_SIZE + 4
    preview_offset = ifd1_offset + 2 + 3 * ENTRY_SIZE + 4

    header = b"MM" + struct.pack(">HI", 42, ifd0_offset)
    ifd0 = struct.pack(">H", 1)
    ifd0 += struct.pack(">HHIHH", 0x0112, SHORT, 1, orientation, 0)
    ifd0 += struct.pack(">I", ifd1_offset)
    ifd1 = struct.pack(">H", 3)
    ifd1 += struct.pack(">HHIHH", 0x0103, SHORT, 1, 6, 0)  # compression: JPEG
    ifd1 += struct.pack(">HHII", 0x0201, LONG, 1, preview_offset)
    ifd1 += struct.pack(">HHII", 0x0202, LONG, 1, len(preview))
    ifd1 += struct.pack(">I", 0)  # no further IFD
    return b"Exif\x00\x00" + header + ifd0 + ifd1 + preview


def camera_jpeg(
    photo: Image.Image,
    preview: Image.Image | None = None,
    orientation: int = 1,
    quality: int = 90,
) -> bytes:
    """Encode `photo` as a JPEG whose EXIF contains `preview`, by default `photo` fitted in 160x160."""
    if preview is None:
        preview = photo.copy()
        preview.thumbnail((160, 160), Image.Resampling.LANCZOS)
    preview_buffer = io.BytesIO()
    preview.convert("RGB").save(preview_buffer, "JPEG", quality=80)

    buffer = io.BytesIO()
    exif = exif_with_preview(preview_buffer.getvalue(), orientation)
    photo.convert("RGB").save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()
