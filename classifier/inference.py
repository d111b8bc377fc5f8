"""Garment classification with a `.tflite` model served by LiteRT; TensorFlow is never imported.

The model file follows this contract: input float32 `[N, 28, 28, 1]` in [0, 1] (a light garment
on black, as in Fashion-MNIST), output `[N, K]` probabilities, K >= 10, whose first ten columns
are Fashion-MNIST's classes. A model with an 8-bit softmax gives multiples of 1/256, but the
shipped model keeps its softmax in float32. A JSON file beside the model (same stem) may add a
version, the confidence threshold below which a prediction is reported as "not sure", and notes
from training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from classifier.errors import InvalidModelError
from classifier.labels import MODEL_INPUT_SIZE, OTHER_GARMENT_ID, class_names

__all__ = ["DEFAULT_MODEL_PATH", "GarmentClassifier", "Prediction", "model_version"]

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "fashion.tflite"


@dataclass(frozen=True)
class Prediction:
    """One classified image.

    `status` is "confident" when the answer can be given as it is, "unsure" when the top
    probability is under the model's threshold, and "unknown_garment" when the model's extra
    column (a garment outside Fashion-MNIST's classes) wins.
    """

    label: str
    label_id: int
    confidence: float
    top3: tuple[tuple[str, float], ...]
    model_version: str
    status: str = "confident"


class GarmentClassifier:
    """A loaded model; `classify_*` methods are thread-safe and blocking (run them off the loop)."""

    def __init__(self, model_path: Path = DEFAULT_MODEL_PATH, num_threads: int = 1) -> None:
        model_path = Path(model_path)
        if model_path.is_dir():
            raise InvalidModelError(f"{model_path} is a folder, not a .tflite model file")
        if not model_path.is_file():
            raise FileNotFoundError(f"model file not found: {model_path}")
        self.model_path = model_path
        metadata = _read_metadata(model_path)
        self.model_version = model_version(model_path)
        self.confidence_threshold = float(metadata.get("confidence_threshold", 0.0))

        # Imported here, so that a process that only unpickles predictions does not load LiteRT.
        from ai_edge_litert.interpreter import Interpreter

        # NOTE: LiteRT writes "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." to stderr
        # here, outside Python's logging. Its Python package has no setting that silences it
        # (google-ai-edge/LiteRT issue 7420).
        try:
            self._interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
        except ValueError as error:
            # LiteRT raises ValueError for a missing file and for one that is not a model.
            raise InvalidModelError(
                f"{model_path}: not a LiteRT model file ({error}); "
                "give the .tflite file that train, combine or export wrote"
            ) from error
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        expected = (MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 1)
        if tuple(self._input["shape"][1:]) != expected:
            raise InvalidModelError(
                f"{model_path}: input shape {tuple(self._input['shape'])} does not match "
                f"[N, {MODEL_INPUT_SIZE}, {MODEL_INPUT_SIZE}, 1]"
            )
        self.class_names = class_names(int(self._output["shape"][-1]))
        self._batch_size = int(self._input["shape"][0])
        # A LiteRT interpreter must not be invoked from two threads at once.
        self._lock = threading.Lock()
        logger.info("Loaded model %s (version %s)", model_path.name, self.model_version)

    def predict_probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Run the model on float32 `[N, 28, 28, 1]` inputs and return `[N, K]` probabilities."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        with self._lock:
            if batch.shape[0] != self._batch_size:
                self._interpreter.resize_tensor_input(self._input["index"], batch.shape)
                self._interpreter.allocate_tensors()
                self._batch_size = batch.shape[0]
            self._interpreter.set_tensor(self._input["index"], batch)
            self._interpreter.invoke()
            return self._interpreter.get_tensor(self._output["index"]).copy()

    def classify_inputs(self, batch: np.ndarray) -> list[Prediction]:
        """Classify preprocessed inputs, float32 `[N, 28, 28, 1]`."""
        return [self._to_prediction(row) for row in self.predict_probabilities(batch)]

    def classify_photo(self, source: bytes | Path | str | BinaryIO) -> Prediction:
        """Preprocess one photo and classify it; raises `ImageRejected` for unusable input."""
        from classifier.preprocess import prepare_photo, reject_blank

        prepared = prepare_photo(source)
        reject_blank(prepared)
        return self.classify_inputs(prepared.model_input[np.newaxis])[0]

    def _to_prediction(self, probabilities: np.ndarray) -> Prediction:
        order = np.argsort(probabilities)[::-1]
        best = int(order[0])
        confidence = float(probabilities[best])
        if best == OTHER_GARMENT_ID:
            status = "unknown_garment"
        elif confidence < self.confidence_threshold:
            status = "unsure"
        else:
            status = "confident"
        top3 = tuple((self.class_names[int(i)], float(probabilities[i])) for i in order[:3])
        return Prediction(
            label=self.class_names[best],
            label_id=best,
            confidence=confidence,
            top3=top3,
            model_version=self.model_version,
            status=status,
        )


def model_version(model_path: Path) -> str:
    """Return the version of a model file as GarmentClassifier reports it, without loading the model."""
    return _read_metadata(model_path).get("version") or _default_version(model_path)


def _read_metadata(model_path: Path) -> dict:
    metadata_path = model_path.with_suffix(".json")
    if not metadata_path.is_file():
        return {}
    with metadata_path.open(encoding="utf-8") as stream:
        return json.load(stream)


def _default_version(model_path: Path) -> str:
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()[:8]
    return f"{model_path.stem}-{digest}"
