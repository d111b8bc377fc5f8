"""JPEG decoding time of a 12-megapixel photo by file size: where the preprocessing time goes.

The serving benchmark's 4000x3000 camera file is saved again at several JPEG qualities. For each,
this prints the file size, the decoding time as `load_photo` decodes (jpeg_scan, 1/8 scale, two
threads), the time of Pillow's draft mode (1/8 scale, one thread) and of a full-size decode for
comparison, and the whole preprocessing time. The last file has a restart marker after every MCU
row, as encoders can write (libjpeg's `-restart` option). At 1/8 scale only a few coefficients of
each block are used, but every entropy-coded coefficient must still be read, so decoding time
follows the file size.

Run: .venv/bin/python benchmarks/jpeg_decoding.py [--repeat 40]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
from pathlib import Path

from PIL import Image

from classifier import jpeg_scan
from classifier.preprocess import WORKING_SIZE, preprocess_photo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import make_photo, time_calls  # noqa: E402

# (JPEG quality, restart interval in MCU rows, 0 for none). jpeg_scan splits a file with restart
# markers at one of them, instead of matching block boundaries.
VARIANTS = ((75, 0), (85, 0), (90, 0), (95, 0), (90, 1))


def decode(data: bytes, draft: bool) -> None:
    image = Image.open(io.BytesIO(data))
    if draft:
        image.draft("RGB", (WORKING_SIZE * 2, WORKING_SIZE * 2))
    image.load()


def median_ms(function, repeat: int) -> float:
    return statistics.median(time_calls(function, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="timed calls per figure")
    arguments = parser.parse_args()

    camera = Image.open(io.BytesIO(make_photo(4000, 3000)))
    camera.load()
    print(
        "12-megapixel JPEG      size MB   jpeg_scan ms   draft decode ms   full decode ms   preprocessing ms"
    )
    for quality, restart_rows in VARIANTS:
        buffer = io.BytesIO()
        camera.save(buffer, "JPEG", quality=quality, restart_marker_rows=restart_rows)
        data = buffer.getvalue()
        label = f"quality {quality}" + (", restarts" if restart_rows else "")
        two_threads = median_ms(lambda data=data: jpeg_scan.decode_eighth_scale(data), arguments.repeat)
        draft = median_ms(lambda data=data: decode(data, draft=True), arguments.repeat)
        full = median_ms(lambda data=data: decode(data, draft=False), max(5, arguments.repeat // 4))
        whole = median_ms(lambda data=data: preprocess_photo(data), arguments.repeat)
        print(
            f"  {label:<20} {len(data) / 1e6:7.2f} {two_threads:14.1f} {draft:17.1f}"
            f" {full:16.1f} {whole:18.1f}"
        )


if __name__ == "__main__":
    main()
