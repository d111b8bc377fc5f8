"""Reasons an image cannot be classified, in a module light enough for the bot's process to import.

The analysis worker raises `ImageRejected`, and the exception crosses to the bot's process by
pickling, which imports the module that defines it.
"""

from __future__ import annotations

import enum

__all__ = ["ImageRejected", "InvalidModelError", "RejectReason"]


class RejectReason(enum.Enum):
    """Reason an image cannot be classified. The bot turns each reason into a message for the customer."""

    NOT_AN_IMAGE = "not_an_image"
    CORRUPT = "corrupt"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_SMALL = "too_small"
    BLANK = "blank"


class ImageRejected(ValueError):
    """The input is not an image the classifier can use."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self):
        # Rebuilt from both fields when it crosses from the analysis worker process to the bot.
        return type(self), (self.reason, self.detail)


class InvalidModelError(ValueError):
    """The model file cannot be served: it is not a LiteRT model, or it breaks the model contract."""
