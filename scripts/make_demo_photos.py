"""Write the demo's customer photos: Fashion-MNIST test images redrawn as product photos.

Each image is negated (dark garment on white, as the original product photo was), upscaled to
480 pixels and framed by a white margin, then saved as JPEG in bot/demo_photos/.
Run: .venv/bin/python scripts/make_demo_photos.py (after `make setup`, which installs the project)
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from classifier.dataset import load_fashion_mnist
from classifier.labels import FASHION_MNIST_CLASSES

# The first test image of each of these classes is used.
DEMO_CLASSES = ("Dress", "Sneaker", "Trouser", "Bag", "Coat")
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "bot" / "demo_photos"


def main() -> None:
    data = load_fashion_mnist()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in DEMO_CLASSES:
        index = int((data.test_labels == FASHION_MNIST_CLASSES.index(name)).argmax())
        garment = Image.fromarray(255 - data.test_images[index], mode="L")
        photo = ImageOps.expand(garment.resize((480, 480), Image.Resampling.BICUBIC), 80, fill=255)
        file_name = name.lower().replace(" ", "-") + ".jpg"
        photo.convert("RGB").save(OUTPUT_DIR / file_name, "JPEG", quality=88)
        print(f"{file_name}: Fashion-MNIST test image {index} ({name})")


if __name__ == "__main__":
    main()
