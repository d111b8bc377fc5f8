"""Scores for a classifier: confusion matrix, per-class report, real-photo accuracy and coverage.

Pure NumPy, so the figures can be tested without TensorFlow or a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifier.labels import COARSE_GROUPS, coarse_group

__all__ = [
    "REAL_PHOTO_FOLDERS",
    "UNKNOWN_FOLDERS",
    "ClassReport",
    "confusion_matrix",
    "coverage_curve",
    "per_class_report",
    "real_photo_scores",
]

# Mapping of real-photo folders to Fashion-MNIST classes: the "strict" set of class ids counted
# as right, and the coarse group of the folder.
REAL_PHOTO_FOLDERS: dict[str, tuple[frozenset[int], str]] = {
    "t-shirt": (frozenset({0}), "top"),
    "longsleeve": (frozenset({2, 6}), "top"),
    "shirt": (frozenset({6}), "top"),
    "outwear": (frozenset({4}), "top"),
    "pants": (frozenset({1}), "bottom"),
    "dress": (frozenset({3}), "dress"),
    "shoes": (frozenset({5, 7, 9}), "footwear"),
}
# Garments with no Fashion-MNIST class: the right answer is "not sure" or "unknown garment".
UNKNOWN_FOLDERS = ("hat", "shorts", "skirt")

assert {group for _, group in REAL_PHOTO_FOLDERS.values()} <= set(COARSE_GROUPS)


@dataclass(frozen=True)
class ClassReport:
    """Precision, recall and F1 of one class, and how many true examples it has."""

    name: str
    precision: float
    recall: float
    f1: float
    support: int


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Return counts `[rows, columns]`: entry (i, j) is how often true class i was predicted j."""
    matrix = np.zeros((rows, columns), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true), np.asarray(predicted)), 1)
    return matrix


def per_class_report(matrix: np.ndarray, names: Sequence[str]) -> list[ClassReport]:
    """Return precision, recall and F1 for each row of a square confusion matrix."""
    reports = []
    for index, name in enumerate(names):
        true_positive = float(matrix[index, index])
        predicted = float(matrix[:, index].sum())
        actual = float(matrix[index, :].sum())
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        reports.append(ClassReport(name, precision, recall, f1, int(actual)))
    return reports


@dataclass(frozen=True)
class RealPhotoScores:
    """Accuracy on the mapped real-photo folders and behaviour on the unknown ones."""

    mapped_photos: int
    strict_accuracy: float
    coarse_accuracy: float
    unknown_photos: int
    # Share of hat/shorts/skirt photos answered confidently as a known Fashion-MNIST class.
    unknown_confident_rate: float
    # Share of mapped photos answered confidently, and the coarse accuracy of those answers.
    confident_coverage: float
    confident_coarse_accuracy: float


def real_photo_scores(
    folders: Sequence[str], predicted: Sequence[int], confident: Sequence[bool]
) -> RealPhotoScores:
    """Score predictions on real photos, given each photo's folder name."""
    strict_hits = coarse_hits = mapped = 0
    unknown = unknown_confident = 0
    answered = answered_right = 0
    for folder, label_id, is_confident in zip(folders, predicted, confident, strict=True):
        if folder in REAL_PHOTO_FOLDERS:
            strict_set, group = REAL_PHOTO_FOLDERS[folder]
            mapped += 1
            coarse_right = coarse_group(label_id) == group
            strict_hits += label_id in strict_set
            coarse_hits += coarse_right
            if is_confident:
                answered += 1
                answered_right += coarse_right
        elif folder in UNKNOWN_FOLDERS:
            unknown += 1
            unknown_confident += is_confident
    return RealPhotoScores(
        mapped_photos=mapped,
        strict_accuracy=strict_hits / mapped if mapped else 0.0,
        coarse_accuracy=coarse_hits / mapped if mapped else 0.0,
        unknown_photos=unknown,
        unknown_confident_rate=unknown_confident / unknown if unknown else 0.0,
        confident_coverage=answered / mapped if mapped else 0.0,
        confident_coarse_accuracy=answered_right / answered if answered else 0.0,
    )


def coverage_curve(
    confidences: Sequence[float], correct: Sequence[bool], thresholds: Sequence[float]
) -> list[tuple[float, float, float]]:
    """Return (threshold, coverage, accuracy of the covered answers) for each threshold."""
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    curve = []
    for threshold in thresholds:
        covered = confidences >= threshold
        coverage = float(covered.mean()) if covered.size else 0.0
        accuracy = float(correct[covered].mean()) if covered.any() else 0.0
        curve.append((float(threshold), coverage, accuracy))
    return curve
