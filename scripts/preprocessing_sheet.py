"""Draw a contact sheet to check the preprocessing by eye against Fashion-MNIST.

Each row is one garment folder of a real-photo set: the first 12 photos as the model sees them
(28x28, after `classifier.preprocess`), then 4 Fashion-MNIST test images of the matching class.
Only model inputs are drawn, never the photos themselves.
Run: .venv/bin/python scripts/preprocessing_sheet.py ../shared/data/real-photos/validation reports/preprocessing_check.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from classifier.dataset import load_fashion_mnist
from classifier.metrics import REAL_PHOTO_FOLDERS, UNKNOWN_FOLDERS
from classifier.photo_data import list_photos
from classifier.preprocess import preprocess_photo

PHOTOS_PER_ROW = 12
REFERENCES_PER_ROW = 4
SCALE = 2
LABEL_WIDTH = 90


def main(photos_dir: Path, output: Path) -> None:
    data = load_fashion_mnist()
    photos = list_photos(photos_dir)
    folders = (*REAL_PHOTO_FOLDERS, *UNKNOWN_FOLDERS)
    tile = 28 * SCALE
    width = LABEL_WIDTH + (PHOTOS_PER_ROW + REFERENCES_PER_ROW) * tile + tile // 2
    sheet = Image.new("L", (width, len(folders) * tile), 40)
    draw = ImageDraw.Draw(sheet)
    for row, folder in enumerate(folders):
        draw.text((4, row * tile + tile // 3), folder, fill=255)
        paths = [path for path, name in photos if name == folder][:PHOTOS_PER_ROW]
        for column, path in enumerate(paths):
            model_input = (preprocess_photo(path)[..., 0] * 255).astype(np.uint8)
            image = Image.fromarray(model_input).resize((tile, tile), Image.Resampling.NEAREST)
            sheet.paste(image, (LABEL_WIDTH + column * tile, row * tile))
        classes = sorted(REAL_PHOTO_FOLDERS[folder][0]) if folder in REAL_PHOTO_FOLDERS else []
        references = [i for i in range(len(data.test_labels)) if data.test_labels[i] in classes][
            :REFERENCES_PER_ROW
        ]
        for column, index in enumerate(references):
            image = Image.fromarray(data.test_images[index]).resize((tile, tile), Image.Resampling.NEAREST)
            x = LABEL_WIDTH + (PHOTOS_PER_ROW + column) * tile + tile // 2
            sheet.paste(image, (x, row * tile))
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output, optimize=True)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
