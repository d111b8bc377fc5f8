"""A tiny training run: the train command writes a .keras, a .tflite that LiteRT serves, and a card.

CI trains only this smoke model; the shipped weights are trained by hand (see models/README.md).
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from bot.cli import main
from classifier.inference import GarmentClassifier

pytestmark = [
    pytest.mark.training,
    pytest.mark.skipif(
        importlib.util.find_spec("tensorflow") is None,
        reason="TensorFlow is not installed (pip install -e '.[train]')",
    ),
]


def test_seed_smoke_training_exports_a_servable_model(fashion_mnist_dir, tmp_path, capsys):
    output = tmp_path / "smoke"
    status = main(
        [
            "train",
            "--arch",
            "seed",
            "--epochs",
            "1",
            "--limit",
            "2000",
            "--data-dir",
            str(fashion_mnist_dir),
            "--output",
            str(output),
        ]
    )
    assert status == 0
    assert output.with_suffix(".keras").is_file()
    card = json.loads(output.with_suffix(".json").read_text())
    assert card["arch"] == "seed"
    assert card["training_images"] == 1800
    assert card["epochs_run"] == 1

    classifier = GarmentClassifier(output.with_suffix(".tflite"))
    probabilities = classifier.predict_probabilities(np.zeros((3, 28, 28, 1), np.float32))
    assert probabilities.shape == (3, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
