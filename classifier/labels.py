"""Garment classes: Fashion-MNIST's ten in their standard order, and the groups used to score real photos.

The model contract puts these ten classes in the first ten output columns. A model may add an
eleventh column, `OTHER_GARMENT`, trained on garments Fashion-MNIST does not have (hats, shorts,
skirts); the bot then says it does not know that garment.
"""

from __future__ import annotations

__all__ = [
    "MODEL_INPUT_SIZE",
    "FASHION_MNIST_CLASSES",
    "OTHER_GARMENT",
    "OTHER_GARMENT_ID",
    "COARSE_GROUPS",
    "class_names",
    "coarse_group",
]

# Side of the square grayscale images the models take, as in Fashion-MNIST.
MODEL_INPUT_SIZE = 28

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

OTHER_GARMENT = "Other garment"
OTHER_GARMENT_ID = len(FASHION_MNIST_CLASSES)

# Coarse groups as the real-photo data set defines them: a prediction is "coarse right" when its
# group matches the group of the photo's folder.
COARSE_GROUPS: dict[str, frozenset[int]] = {
    "top": frozenset({0, 2, 4, 6}),
    "bottom": frozenset({1}),
    "dress": frozenset({3}),
    "footwear": frozenset({5, 7, 9}),
    "bag": frozenset({8}),
}


def class_names(output_width: int) -> tuple[str, ...]:
    """Return the class names for a model with `output_width` output columns (10 or 11)."""
    if output_width == len(FASHION_MNIST_CLASSES):
        return FASHION_MNIST_CLASSES
    if output_width == len(FASHION_MNIST_CLASSES) + 1:
        return (*FASHION_MNIST_CLASSES, OTHER_GARMENT)
    raise ValueError(
        f"unsupported model output width {output_width}: expected 10 Fashion-MNIST classes, "
        "or 11 with the extra 'Other garment' column"
    )


def coarse_group(label_id: int) -> str | None:
    """Return the coarse group of a class id, or None for the 'Other garment' column."""
    for group, members in COARSE_GROUPS.items():
        if label_id in members:
            return group
    return None
