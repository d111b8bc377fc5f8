"""Confidence calibration: temperature scaling and the threshold below which the bot is "not sure".

Pure NumPy. Both are fitted on held-out real photos from the training split, never on the
photos the model is reported on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["accuracy_lower_bound", "choose_threshold", "fit_temperature", "softmax"]

# Standard normal quantile for a one-sided 95% confidence bound.
ONE_SIDED_95_Z = 1.6449


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Return row-wise softmax probabilities of `logits / temperature`."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """Return the temperature that minimises the negative log-likelihood of soft `targets`.

    `targets` is `[N, K]` (one-hot, or spread over the classes a photo's folder accepts).
    A grid search over 0.5-5 is enough for one scalar and cannot diverge.
    """
    best_temperature, best_loss = 1.0, np.inf
    for temperature in np.arange(0.5, 5.0001, 0.05):
        probabilities = softmax(logits, temperature)
        # The likelihood of a photo is the probability mass on the classes its folder accepts.
        mass = (probabilities * (targets > 0)).sum(axis=1)
        loss = -np.log(np.clip(mass, 1e-12, None)).mean()
        if loss < best_loss:
            best_temperature, best_loss = float(temperature), loss
    return round(best_temperature, 2)


def accuracy_lower_bound(correct: int, total: int, z: float = ONE_SIDED_95_Z) -> float:
    """Return the Wilson score lower bound of an accuracy of `correct` out of `total`."""
    if total == 0:
        return 0.0
    share = correct / total
    centre = share + z * z / (2 * total)
    spread = z * np.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return float((centre - spread) / (1 + z * z / total))


def choose_threshold(
    confidences: Sequence[float], correct: Sequence[bool], target_accuracy: float, min_coverage: float
) -> float:
    """Return the lowest confidence threshold whose answered photos reach `target_accuracy`.

    The accuracy counted is the lower bound of its one-sided 95% Wilson interval, so a few
    hundred calibration photos that reach the target by luck do not set too low a threshold.
    If no threshold keeps `min_coverage` of the photos while reaching the target, the threshold
    that keeps exactly `min_coverage` is returned, trading accuracy for coverage.
    """
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    for threshold in np.arange(0.0, 1.0, 0.01):
        covered = confidences >= threshold
        if covered.mean() < min_coverage:
            break
        if accuracy_lower_bound(int(correct[covered].sum()), int(covered.sum())) >= target_accuracy:
            return round(float(threshold), 2)
    return round(float(np.quantile(confidences, 1.0 - min_coverage)), 2)
