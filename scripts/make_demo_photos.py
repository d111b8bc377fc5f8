"""Write the demo's customer photos: Fashion-MNIST test images redrawn as product photos.

Each image is negated (dark garment on white, as the original product photo was), upscaled to
480 pixels and framed by a white margin, then saved as JPEG in bot/demo_photos/. For each class
the first test image that the shipped model answers confidently is used, so the demo shows the
usual path; ambiguous images (a coat the model takes for a pullover) would show "not sure".
Run: .venv/bin/python scripts/make_demo_photos.py (after `make setup`, which installs the project)
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from classifier.dataset import load_fashion_mnist
from classifier.inference import GarmentClassifier
from classifier.labels import FASHION_MNIST_CLASSES

DEMO_CLASSES = ("Dress", "Sneaker", "Trouser", "Bag", "Coat")
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "bot" / "demo_photos"


def main() -> None:
    data = load_fashion_mnist()
    classifier = GarmentClassifier()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in DEMO_CLASSES:
        label_id = FASHION_MNIST_CLASSES.index(name)
        for index in (int(i) for i in (data.test_labels == label_id).nonzero()[0]):
            garment = Image.fromarray(255 - data.test_images[index])
            photo = ImageOps.expand(garment.resize((480, 480), Image.Resampling.BICUBIC), 80, fill=255)
            buffer = io.BytesIO()
            photo.convert("RGB").save(buffer, "JPEG", quality=88)
            prediction = classifier.classify_photo(buffer.getvalue())
            if prediction.label_id == label_id and prediction.status == "confident":
                break
        file_name = name.lower().replace(" ", "-") + ".jpg"
        (OUTPUT_DIR / file_name).write_bytes(buffer.getvalue())
        print(f"{file_name}: Fashion-MNIST test image {index} ({name}, {prediction.confidence:.0%})")


if __name__ == "__main__":
    main()
