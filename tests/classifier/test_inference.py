"""The shipped model and the committed candidate through LiteRT: the model contract, and accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.cli import main
from classifier.inference import GarmentClassifier
from classifier.labels import FASHION_MNIST_CLASSES
from tests.conftest import CANDIDATE_MODEL, DEMO_PHOTOS_DIR, encode, garment_photo


@pytest.fixture(params=["shipped", "candidate"])
def fashion_model(request, shipped_model):
    return shipped_model if request.param == "shipped" else CANDIDATE_MODEL


def test_fashion_model_meets_contract(fashion_model):
    classifier = GarmentClassifier(fashion_model)
    probabilities = classifier.predict_probabilities(np.random.default_rng(0).random((4, 28, 28, 1)))
    assert probabilities.shape[0] == 4
    assert probabilities.shape[1] >= 10
    # Both models' softmax runs in float32, though their other layers are 8-bit.
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert classifier.class_names[:10] == FASHION_MNIST_CLASSES
    card = json.loads(fashion_model.with_suffix(".json").read_text(encoding="utf-8"))
    assert classifier.model_version == card["version"]
    assert classifier.confidence_threshold == card["confidence_threshold"]


def test_fashion_model_on_fashion_mnist_sample(fashion_model, fashion_mnist_dir):
    from classifier.dataset import load_fashion_mnist

    data = load_fashion_mnist(fashion_mnist_dir)
    inputs = (data.test_images[:1000].astype(np.float32) / 255.0)[..., np.newaxis]
    predictions = GarmentClassifier(fashion_model).classify_inputs(inputs)
    accuracy = np.mean([p.label_id == y for p, y in zip(predictions, data.test_labels[:1000], strict=True)])
    assert accuracy > 0.88


def test_demo_photos_are_recognised(fashion_model):
    classifier = GarmentClassifier(fashion_model)
    expected = {"dress": "Dress", "sneaker": "Sneaker", "trouser": "Trouser", "bag": "Bag", "coat": "Coat"}
    for name, label in expected.items():
        assert classifier.classify_photo(DEMO_PHOTOS_DIR / f"{name}.jpg").label == label, name


def test_prediction_top3_is_sorted(shipped_model):
    prediction = GarmentClassifier(shipped_model).classify_photo(encode(garment_photo()))
    probabilities = [p for _, p in prediction.top3]
    assert probabilities == sorted(probabilities, reverse=True)
    assert prediction.confidence == probabilities[0]
    assert prediction.label == prediction.top3[0][0]


def test_classify_json_reports_errors_and_continues(tmp_path, capsys, shipped_model):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"definitely not a jpeg")
    missing = tmp_path / "missing.png"
    photo = DEMO_PHOTOS_DIR / "sneaker.jpg"

    status = main(["classify", "--json", str(broken), str(missing), str(photo)])

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1
    assert [line["path"] for line in lines] == [str(broken), str(missing), str(photo)]
    assert "error" in lines[0]
    assert "error" in lines[1]
    assert lines[2]["label"] == "Sneaker"
    assert set(lines[2]) >= {"path", "label", "label_id", "confidence", "top3"}
    assert len(lines[2]["top3"]) == 3


def test_classify_rejects_non_model_file(tmp_path, capsys):
    notes = tmp_path / "notes.tflite"
    notes.write_text("shopping list")

    status = main(["classify", "--model", str(notes), str(DEMO_PHOTOS_DIR / "sneaker.jpg")])

    error = capsys.readouterr().err
    assert status == 1
    assert "notes.tflite: not a LiteRT model file" in error
    assert "give the .tflite file" in error
    assert "Traceback" not in error
    assert len(error.splitlines()) == 1


def test_evaluate_rejects_bad_photo_folder(tmp_path, capsys, shipped_model):
    missing = tmp_path / "missing"
    status = main(["evaluate", "--model", str(shipped_model), "--real-photos", str(missing)])
    assert status == 2
    assert f"real-photo folder not found: {missing}" in capsys.readouterr().err

    empty = tmp_path / "empty"
    (empty / "dress").mkdir(parents=True)
    status = main(["evaluate", "--model", str(shipped_model), "--real-photos", str(empty)])
    assert status == 2
    assert f"no photos found in {empty}" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()
