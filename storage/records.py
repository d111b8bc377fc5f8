"""Rows of the classification log, the feedback table, subscribers and digest deliveries, as frozen
dataclasses.

The allowed values of the text columns are listed here and checked before writing, so a bad
value raises ValueError naming the value instead of an SQLite constraint error.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from storage.timestamps import parse_timestamp

__all__ = [
    "CLASSIFICATION_STATUSES",
    "DELIVERY_KINDS",
    "DELIVERY_STATUSES",
    "FEEDBACK_VERDICTS",
    "MODEL_INPUT_SIDE",
    "ClassificationRecord",
    "DeliveryRecord",
    "FeedbackRow",
    "Subscriber",
]

# Status of a classification above the confidence threshold, which summaries count as a garment.
CONFIDENT = "confident"
CLASSIFICATION_STATUSES = (CONFIDENT, "unsure", "unknown_garment")
FEEDBACK_VERDICTS = ("confirmed", "corrected")
# Side of the grayscale image the model reads, so a stored model input has 28 * 28 bytes.
MODEL_INPUT_SIDE = 28
DELIVERY_KINDS = ("staff", "customer")
DELIVERY_STATUSES = ("sent", "blocked", "failed")

# The columns that `classification_from_row` reads, in its order.
CLASSIFICATION_COLUMNS = """
    id, user_id, chat_id, message_id, file_unique_id, label, label_id, confidence, top3,
    model_version, created_at, status, colours, media_group_id
"""


@dataclass(frozen=True)
class ClassificationRecord:
    """One answer the bot gave: who sent what, and what the model said."""

    user_id: int
    chat_id: int
    message_id: int
    file_unique_id: str
    label: str
    label_id: int
    confidence: float
    top3: tuple[tuple[str, float], ...]
    model_version: str
    created_at: datetime
    # One of CLASSIFICATION_STATUSES.
    status: str = CONFIDENT
    # Colour names in the photo, most dominant first.
    colours: tuple[str, ...] = ()
    # Telegram's album id, None for a photo sent on its own.
    media_group_id: str | None = None
    # Row id, filled when read from the database. Equality ignores it, so a record read back
    # equals the record that was written.
    id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FeedbackRow:
    """A customer's verdict on one classification, joined with it, for exporting training data."""

    classification_id: int
    # The model's prediction for that classification.
    label: str
    label_id: int
    # One of FEEDBACK_VERDICTS.
    verdict: str
    # The label the customer chose, None when they confirmed the prediction.
    corrected_label_id: int | None
    # The 28x28 uint8 image the model saw, row by row (784 bytes), when it was kept.
    model_input: bytes | None
    model_version: str
    created_at: datetime


@dataclass(frozen=True)
class Subscriber:
    """A user subscribed to the weekly summary, with the two fields that set its language."""

    user_id: int
    # Telegram's language code as last seen, such as "it-IT", or None.
    language: str | None
    # The language chosen with /language, or None to follow `language`.
    language_override: str | None


@dataclass(frozen=True)
class DeliveryRecord:
    """The outcome of the attempts to send one digest to one chat."""

    chat_id: int
    # One of DELIVERY_STATUSES, from the last attempt.
    status: str
    attempts: int


def require_choice(value: str, allowed: Collection[str], name: str) -> None:
    """Raise ValueError unless `value` is one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"invalid {name} {value!r}; expected one of {', '.join(allowed)}")


def validate_feedback(verdict: str, corrected_label_id: int | None, model_input: bytes | None) -> None:
    """Raise ValueError unless the values make a valid feedback row.

    The verdict is one of FEEDBACK_VERDICTS, `corrected_label_id` is None exactly when the
    verdict is 'confirmed', and `model_input` is None or has MODEL_INPUT_SIDE ** 2 bytes.
    """
    require_choice(verdict, FEEDBACK_VERDICTS, "verdict")
    if (verdict == "confirmed") != (corrected_label_id is None):
        raise ValueError(
            f"corrected_label_id must be None exactly when the verdict is 'confirmed', "
            f"got verdict {verdict!r} with corrected_label_id {corrected_label_id!r}"
        )
    expected_size = MODEL_INPUT_SIDE * MODEL_INPUT_SIDE
    if model_input is not None and len(model_input) != expected_size:
        raise ValueError(f"model_input must have {expected_size} bytes, got {len(model_input)}")


def classification_from_row(row: tuple) -> ClassificationRecord:
    """Build a record from a row selected with `CLASSIFICATION_COLUMNS`."""
    top3 = tuple((label, float(p)) for label, p in json.loads(row[8]))
    return ClassificationRecord(
        id=row[0],
        user_id=row[1],
        chat_id=row[2],
        message_id=row[3],
        file_unique_id=row[4],
        label=row[5],
        label_id=row[6],
        confidence=row[7],
        top3=top3,
        model_version=row[9],
        created_at=parse_timestamp(row[10]),
        status=row[11],
        colours=tuple(json.loads(row[12])),
        media_group_id=row[13],
    )


def feedback_from_row(row: tuple) -> FeedbackRow:
    """Build a feedback row from the columns that `Database.feedback_rows` selects."""
    return FeedbackRow(
        classification_id=row[0],
        label=row[1],
        label_id=row[2],
        verdict=row[3],
        corrected_label_id=row[4],
        model_input=row[5],
        model_version=row[6],
        created_at=parse_timestamp(row[7]),
    )
