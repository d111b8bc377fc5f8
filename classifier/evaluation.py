"""Evaluation of a shipped `.tflite` model through LiteRT, the same path the bot serves.

For the Fashion-MNIST test set it writes what the research note showed: test accuracy, a
confusion matrix image, a grid of test images with predicted and true class, and a per-class
precision/recall/F1 report as text and JSON. For a folder of real photos (one sub-folder per
garment, as in the real-photo data set) it adds strict and coarse accuracy, the rate of unknown
garments answered confidently, and the coverage/accuracy curve. Plots need Matplotlib.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np

from classifier.dataset import DEFAULT_DATA_DIR, load_fashion_mnist
from classifier.inference import GarmentClassifier
from classifier.labels import FASHION_MNIST_CLASSES, OTHER_GARMENT_ID, coarse_group
from classifier.metrics import (
    REAL_PHOTO_FOLDERS,
    UNKNOWN_FOLDERS,
    confusion_matrix,
    coverage_curve,
    per_class_report,
    real_photo_scores,
)
from classifier.preprocess import ImageRejected, preprocess_photo

__all__ = ["evaluate_fashion_mnist", "evaluate_real_photos"]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif", ".tiff"}
COVERAGE_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.0, 1.0, 0.05))


def evaluate_fashion_mnist(model_path: Path, output_dir: Path, data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    """Score the model on the Fashion-MNIST test set and write the report files."""
    classifier = GarmentClassifier(model_path)
    data = load_fashion_mnist(data_dir)
    inputs = (data.test_images.astype(np.float32) / 255.0)[..., np.newaxis]
    probabilities = np.concatenate(
        [classifier.predict_probabilities(inputs[i : i + 500]) for i in range(0, len(inputs), 500)]
    )
    # Fashion-MNIST has no "other garment" images, so its score uses the ten known columns.
    predicted = probabilities[:, : len(FASHION_MNIST_CLASSES)].argmax(axis=1)
    true = data.test_labels.astype(np.int64)
    accuracy = float((predicted == true).mean())
    classes = len(FASHION_MNIST_CLASSES)
    matrix = confusion_matrix(true, predicted, classes, classes)
    reports = per_class_report(matrix, FASHION_MNIST_CLASSES)

    output_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "model": model_path.name,
        "model_version": classifier.model_version,
        "test_images": int(len(true)),
        "test_accuracy": round(accuracy, 4),
        "per_class": [asdict(report) for report in reports],
        "confusion_matrix": matrix.tolist(),
    }
    (output_dir / "fashion_mnist_report.json").write_text(json.dumps(summary, indent=2) + "\n")
    (output_dir / "fashion_mnist_report.txt").write_text(
        _format_report(f"Fashion-MNIST test set, {classifier.model_version}", accuracy, reports)
    )
    _plot_confusion(
        matrix,
        FASHION_MNIST_CLASSES,
        FASHION_MNIST_CLASSES,
        f"Fashion-MNIST test set: accuracy {accuracy:.2%}",
        output_dir / "fashion_mnist_confusion.png",
    )
    _plot_samples(data.test_images, true, predicted, output_dir / "fashion_mnist_samples.png")
    return summary


def evaluate_real_photos(model_path: Path, photos_dir: Path, output_dir: Path) -> dict:
    """Score the model on a folder of real photos and write the report files."""
    classifier = GarmentClassifier(model_path)
    folders, label_ids, confidences, confident, unreadable = [], [], [], [], []
    known = (*REAL_PHOTO_FOLDERS, *UNKNOWN_FOLDERS)
    for folder in known:
        for path in sorted((photos_dir / folder).glob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                prediction = classifier.classify_inputs(preprocess_photo(path)[np.newaxis])[0]
            except ImageRejected as rejected:
                unreadable.append(f"{path.name}: {rejected}")
                continue
            folders.append(folder)
            label_ids.append(prediction.label_id)
            confidences.append(0.0 if prediction.label_id == OTHER_GARMENT_ID else prediction.confidence)
            confident.append(prediction.status == "confident")

    scores = real_photo_scores(folders, label_ids, confident)
    mapped = [i for i, folder in enumerate(folders) if folder in REAL_PHOTO_FOLDERS]
    correct = [coarse_group(label_ids[i]) == REAL_PHOTO_FOLDERS[folders[i]][1] for i in mapped]
    curve = coverage_curve([confidences[i] for i in mapped], correct, COVERAGE_THRESHOLDS)

    columns = classifier.class_names
    matrix = confusion_matrix(
        [known.index(folder) for folder in folders], label_ids, len(known), len(columns)
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "model_version": classifier.model_version,
        "photos_dir": photos_dir.name,
        "confidence_threshold": classifier.confidence_threshold,
        **asdict(scores),
        "coverage_curve": [
            {"threshold": t, "coverage": round(c, 4), "coarse_accuracy": round(a, 4)} for t, c, a in curve
        ],
        "folders": list(known),
        "confusion_matrix": matrix.tolist(),
        "unreadable": unreadable,
    }
    (output_dir / "real_photos_report.json").write_text(json.dumps(summary, indent=2) + "\n")
    _plot_confusion(
        matrix,
        known,
        columns,
        f"Real photos: strict {scores.strict_accuracy:.1%}, coarse {scores.coarse_accuracy:.1%}",
        output_dir / "real_photos_confusion.png",
    )
    _plot_coverage(curve, output_dir / "real_photos_coverage.png")
    return summary


def _format_report(title: str, accuracy: float, reports) -> str:
    lines = [title, f"accuracy {accuracy:.4f}", "", f"{'class':<12} precision  recall  f1-score  support"]
    for report in reports:
        lines.append(
            f"{report.name:<12} {report.precision:9.4f} {report.recall:7.4f} {report.f1:9.4f} "
            f"{report.support:8d}"
        )
    return "\n".join(lines) + "\n"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def _plot_confusion(matrix, row_names, column_names, title: str, path: Path) -> None:
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(6.5, 5.5), dpi=80)
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(column_names)), column_names, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(row_names)), row_names, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title, fontsize=10)
    peak = matrix.max() or 1
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if count > peak / 2 else "black"
            axes.text(column, row, str(count), ha="center", va="center", fontsize=6, color=colour)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _plot_samples(images: np.ndarray, true: np.ndarray, predicted: np.ndarray, path: Path) -> None:
    pyplot = _pyplot()
    figure, grid = pyplot.subplots(4, 6, figsize=(7.5, 6), dpi=80)
    for index, axes in enumerate(grid.flat):
        axes.imshow(images[index], cmap="gray")
        right = predicted[index] == true[index]
        axes.set_title(
            f"{FASHION_MNIST_CLASSES[predicted[index]]}\n(true: {FASHION_MNIST_CLASSES[true[index]]})",
            fontsize=7,
            color="green" if right else "red",
        )
        axes.axis("off")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def _plot_coverage(curve, path: Path) -> None:
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(5, 4), dpi=80)
    coverage = [c for _, c, _ in curve]
    accuracy = [a for _, _, a in curve]
    axes.plot(coverage, accuracy, marker="o", markersize=3)
    for threshold, c, a in curve[::4]:
        axes.annotate(f"{threshold:.2f}", (c, a), fontsize=7)
    axes.set_xlabel("coverage (share of mapped photos answered)")
    axes.set_ylabel("coarse accuracy of the answers")
    axes.set_title("Real photos: coverage against accuracy", fontsize=10)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
