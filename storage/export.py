"""Export of customers' feedback as a labelled dataset for retraining.

Writes `feedback.npz` (images uint8 `[N, 28, 28]`, the model input the customer rated; labels,
the confirmed or corrected class; predicted, what the model said) for the rows whose input was
kept, and `feedback.csv` listing every rated answer.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storage.database import Database

__all__ = ["ExportSummary", "export_feedback"]


@dataclass(frozen=True)
class ExportSummary:
    """How many rated answers were exported, and how many carried the model's input."""

    rated: int
    corrected: int
    with_images: int


async def export_feedback(database_path: Path, output_dir: Path) -> ExportSummary:
    """Write the dataset files into `output_dir` and return what they hold."""
    if not Path(database_path).is_file():
        raise FileNotFoundError(f"database not found: {database_path}")
    database = await Database.open(database_path, existing_only=True)
    try:
        rows = await database.feedback_rows()
    finally:
        await database.close()

    output_dir.mkdir(parents=True, exist_ok=True)
    images, labels, predicted = [], [], []
    with (output_dir / "feedback.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["classification_id", "predicted_label_id", "verdict", "label_id", "model_version", "has_image"]
        )
        for row in rows:
            label = row.corrected_label_id if row.verdict == "corrected" else row.label_id
            has_image = row.model_input is not None and len(row.model_input) == 28 * 28
            writer.writerow(
                [row.classification_id, row.label_id, row.verdict, label, row.model_version, has_image]
            )
            if has_image:
                images.append(np.frombuffer(row.model_input, dtype=np.uint8).reshape(28, 28))
                labels.append(label)
                predicted.append(row.label_id)
    np.savez_compressed(
        output_dir / "feedback.npz",
        images=np.array(images, dtype=np.uint8).reshape(-1, 28, 28),
        labels=np.array(labels, dtype=np.int64),
        predicted=np.array(predicted, dtype=np.int64),
    )
    corrected = sum(row.verdict == "corrected" for row in rows)
    return ExportSummary(rated=len(rows), corrected=corrected, with_images=len(images))
