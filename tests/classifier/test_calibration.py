"""Calibration: the "not sure" threshold keeps confident predictions right often enough."""

from __future__ import annotations

import numpy as np

from classifier.calibration import accuracy_lower_bound, choose_threshold


def _photos(confident: int, confident_right: int, unsure: int) -> tuple[np.ndarray, np.ndarray]:
    """Return confidences and correctness: `confident` photos at 0.9, `unsure` wrong ones at 0.3."""
    confidences = np.concatenate([np.full(confident, 0.9), np.full(unsure, 0.3)])
    correct = np.concatenate([np.arange(confident) < confident_right, np.zeros(unsure, dtype=bool)])
    return confidences, correct


def test_lower_bound_is_below_observed_accuracy():
    assert accuracy_lower_bound(96, 100) < 0.96


def test_lower_bound_rises_with_more_photos():
    assert accuracy_lower_bound(960, 1000) > accuracy_lower_bound(96, 100)


def test_lower_bound_of_no_photos_is_zero():
    assert accuracy_lower_bound(0, 0) == 0.0


def test_threshold_keeps_reliable_confident_photos():
    confidences, correct = _photos(confident=900, confident_right=890, unsure=100)
    threshold = choose_threshold(confidences, correct, target_accuracy=0.95, min_coverage=0.7)
    assert 0.3 < threshold <= 0.9


def test_lucky_few_photos_do_not_lower_threshold():
    # 48 of 50 right is 96%, but 50 photos cannot show 95% with confidence, so the threshold
    # falls back to the one that keeps the minimum coverage.
    confidences, correct = _photos(confident=50, confident_right=48, unsure=0)
    confidences = confidences - np.linspace(0.0, 0.5, 50)
    threshold = choose_threshold(confidences, correct, target_accuracy=0.95, min_coverage=0.7)
    assert threshold == round(float(np.quantile(confidences, 0.3)), 2)
