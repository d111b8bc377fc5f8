"""Scores: confusion matrix, per-class report, real-photo accuracy as the photo folder defines it."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.metrics import confusion_matrix, coverage_curve, per_class_report, real_photo_scores


def test_confusion_matrix_counts_pairs():
    matrix = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3, 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_per_class_report_values():
    matrix = np.array([[8, 2], [4, 6]])
    first, second = per_class_report(matrix, ["a", "b"])
    assert first.precision == pytest.approx(8 / 12)
    assert first.recall == pytest.approx(8 / 10)
    assert first.f1 == pytest.approx(2 * (8 / 12) * 0.8 / (8 / 12 + 0.8))
    assert second.support == 10


def test_real_photo_scores_strict_and_coarse():
    # longsleeve accepts Pullover (2) or Shirt (6) strictly; Coat (4) is only coarse-right.
    folders = ["longsleeve", "longsleeve", "longsleeve", "pants", "hat", "hat"]
    predicted = [2, 4, 1, 1, 0, 10]
    confident = [True, True, False, True, True, False]
    scores = real_photo_scores(folders, predicted, confident)
    assert scores.mapped_photos == 4
    assert scores.strict_accuracy == pytest.approx(2 / 4)
    assert scores.coarse_accuracy == pytest.approx(3 / 4)
    assert scores.unknown_confident_rate == pytest.approx(1 / 2)
    assert scores.confident_coverage == pytest.approx(3 / 4)
    assert scores.confident_coarse_accuracy == pytest.approx(1.0)


def test_coverage_curve_trades_coverage_for_accuracy():
    curve = coverage_curve([0.9, 0.8, 0.3, 0.2], [True, True, False, True], [0.0, 0.5])
    assert curve[0] == (0.0, 1.0, 0.75)
    assert curve[1] == (0.5, 0.5, 1.0)
