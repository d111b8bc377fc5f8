"""Tiny training runs: the train command writes a .keras, a .tflite that LiteRT serves, and a card.

CI trains only these smoke models, one per architecture. The shipped weights are trained by hand
(see models/README.md).
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bot.cli import main
from classifier.inference import GarmentClassifier
from classifier.metrics import REAL_PHOTO_FOLDERS, UNKNOWN_FOLDERS
from classifier.photo_training import PhotoTrainingOptions
from classifier.preprocess import prepare_photo

pytestmark = [
    pytest.mark.training,
    pytest.mark.skipif(
        importlib.util.find_spec("tensorflow") is None,
        reason="TensorFlow is not installed (pip install -e '.[train]')",
    ),
]

REPOSITORY_CACHE_DIR = Path(__file__).resolve().parents[2] / PhotoTrainingOptions.cache_dir


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


# Each drawn garment is a union of boxes (left, top, right, bottom) in percent of the photo's size.
GARMENT_BOXES: dict[str, list[tuple[int, int, int, int]]] = {
    "t-shirt": [(25, 20, 75, 85), (8, 20, 92, 38)],
    "longsleeve": [(28, 15, 72, 85), (8, 15, 28, 80), (72, 15, 92, 80)],
    "shirt": [(28, 15, 72, 85), (8, 15, 28, 80), (72, 15, 92, 80), (40, 8, 60, 15)],
    "outwear": [(22, 10, 78, 92), (8, 10, 22, 85), (78, 10, 92, 85)],
    "pants": [(28, 8, 72, 30), (28, 30, 47, 93), (53, 30, 72, 93)],
    "dress": [(38, 8, 62, 40), (20, 40, 80, 93)],
    "shoes": [(8, 50, 40, 78), (40, 64, 92, 78)],
    "hat": [(30, 30, 70, 60), (8, 60, 92, 68)],
    "shorts": [(25, 30, 75, 45), (25, 45, 47, 66), (53, 45, 75, 66)],
    "skirt": [(30, 30, 70, 45), (22, 45, 78, 72)],
}
PHOTOS_PER_FOLDER = 3
PHOTO_SIZE = (96, 128)


def draw_garment(folder: str, rng: np.random.Generator) -> Image.Image:
    """Draw `folder`'s garment in a random dark colour on a random light background."""
    width, height = PHOTO_SIZE
    background = tuple(int(v) for v in rng.integers(200, 250, 3))
    garment = tuple(int(v) for v in rng.integers(20, 140, 3))
    image = Image.new("RGB", PHOTO_SIZE, background)
    draw = ImageDraw.Draw(image)
    for left, top, right, bottom in GARMENT_BOXES[folder]:
        draw.rectangle(
            (left * width // 100, top * height // 100, right * width // 100, bottom * height // 100),
            fill=garment,
        )
    return image


@pytest.fixture
def tiny_real_photos(tmp_path) -> Path:
    """Write a few small JPEGs into every folder that the fashion trainer reads."""
    folders = (*REAL_PHOTO_FOLDERS, *UNKNOWN_FOLDERS)
    assert set(GARMENT_BOXES) == set(folders), "GARMENT_BOXES must draw every folder the trainer reads"

    root = tmp_path / "real-photos"
    rng = np.random.default_rng(0)
    for folder in folders:
        (root / folder).mkdir(parents=True)
        for index in range(PHOTOS_PER_FOLDER):
            draw_garment(folder, rng).save(root / folder / f"{index}.jpg", "JPEG", quality=90)
    return root


def test_fashion_smoke_training_exports_servable_model(
    fashion_mnist_dir, tiny_real_photos, tmp_path, monkeypatch, capsys
):
    # The trainer caches its inputs under the relative path data/cache, so run it from tmp_path.
    monkeypatch.chdir(tmp_path)
    cache_before = {path.name for path in REPOSITORY_CACHE_DIR.glob("*")}
    output = tmp_path / "fashion"

    status = main(
        [
            "train",
            "--arch",
            "fashion",
            "--real-photos",
            str(tiny_real_photos),
            "--epochs",
            "1",
            "--limit",
            "300",
            "--data-dir",
            str(fashion_mnist_dir),
            "--output",
            str(output),
        ]
    )

    assert status == 0
    assert output.with_suffix(".keras").is_file()
    assert output.with_suffix(".tflite").is_file()
    # The command prints the card after Keras's epoch lines.
    printed = capsys.readouterr().out
    card = json.loads(output.with_suffix(".json").read_text())
    assert json.loads(printed[printed.rindex("\n{\n") + 1 :]) == card
    assert card["arch"] == "fashion"
    assert card["epochs"] == 1
    assert len(card["classes"]) == 11
    assert 0 < card["temperature"]
    # After one epoch the model is near chance, so `choose_threshold` falls back to a quantile of
    # the calibration confidences, which is 0 when "Other garment" (confidence 0) comes first often.
    assert 0 <= card["confidence_threshold"] < 1
    # 300 images minus the 30 held out; one photo of each of the ten folders goes to calibration.
    assert card["data"]["fashion_mnist_training_images"] == 270
    assert card["data"]["real_training_photos"] == 20
    assert card["data"]["calibration_photos"] == 10

    # Another training run started from the repository may add its own files to the repository's
    # cache meanwhile, so the check is that none of this run's files went there.
    smoke_cache = {path.name for path in (tmp_path / PhotoTrainingOptions.cache_dir).glob("*")}
    new_in_repository = {path.name for path in REPOSITORY_CACHE_DIR.glob("*")} - cache_before
    assert smoke_cache
    assert not smoke_cache & new_in_repository

    classifier = GarmentClassifier(output.with_suffix(".tflite"))
    assert classifier.model_version == card["version"]
    assert classifier.confidence_threshold == card["confidence_threshold"]
    assert classifier.class_names == tuple(card["classes"])
    inputs = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probabilities = classifier.predict_probabilities(inputs)
    assert probabilities.shape == (3, 11)
    # The served file is 8-bit up to the class scores, which stay float32: an 8-bit softmax
    # would give only multiples of 1/256.
    assert "int8" in tensor_types(output.with_suffix(".tflite"))
    assert not np.allclose(probabilities * 256, np.round(probabilities * 256), atol=1e-3)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert all(0 <= prediction.label_id < 11 for prediction in classifier.classify_inputs(inputs))

    # The bot's path for a customer's photo: JPEG bytes, preprocessing, then the classifier.
    buffer = io.BytesIO()
    draw_garment("dress", np.random.default_rng(1)).save(buffer, "JPEG", quality=90)
    prepared = prepare_photo(buffer.getvalue())
    assert prepared.garment_found
    prediction = classifier.classify_inputs(prepared.model_input[np.newaxis])[0]
    assert prediction.label in card["classes"]
    assert 0 <= prediction.confidence <= 1
    assert prediction.status in {"confident", "unsure", "unknown_garment"}
    assert prediction.model_version == card["version"]


def tensor_types(model: Path) -> set[str]:
    """Return the names of the element types of a .tflite file's tensors."""
    from ai_edge_litert.interpreter import Interpreter

    return {
        np.dtype(tensor["dtype"]).name for tensor in Interpreter(model_path=str(model)).get_tensor_details()
    }


def train_tiny_member(fashion_mnist_dir: Path, photos: Path, output: Path, *extra: str) -> dict:
    """Train a one-epoch "fashion" network on 300 images and return its card."""
    arguments = ["--real-photos", str(photos), "--epochs", "1", "--limit", "300"]
    arguments += ["--data-dir", str(fashion_mnist_dir), "--output", str(output), *extra]
    assert main(["train", "--arch", "fashion", *arguments]) == 0
    return json.loads(output.with_suffix(".json").read_text())


def combine_arguments(fashion_mnist_dir: Path, photos: Path) -> list[str]:
    """Return the options of `combine` that match `train_tiny_member`'s data."""
    return ["--real-photos", str(photos), "--limit", "300", "--data-dir", str(fashion_mnist_dir)]


def test_combine_averages_member_logits(fashion_mnist_dir, tiny_real_photos, tmp_path, monkeypatch, capsys):
    import keras

    monkeypatch.chdir(tmp_path)
    small = train_tiny_member(
        fashion_mnist_dir, tiny_real_photos, tmp_path / "small", "--filters", "4,8,16", "--model-seed", "7"
    )
    wide = train_tiny_member(fashion_mnist_dir, tiny_real_photos, tmp_path / "wide", "--filters", "8,16,32")
    assert (small["filters"], small["model_seed"]) == ([4, 8, 16], 7)
    assert (wide["filters"], wide["model_seed"]) == ([8, 16, 32], 42)
    capsys.readouterr()

    output = tmp_path / "combined"
    members = [str(tmp_path / "small.keras"), str(tmp_path / "wide.keras")]
    arguments = combine_arguments(fashion_mnist_dir, tiny_real_photos)
    assert main(["combine", *members, *arguments, "--output", str(output)]) == 0

    card = json.loads(output.with_suffix(".json").read_text())
    assert [member["version"] for member in card["members"]] == [small["version"], wide["version"]]
    assert card["members"][0]["convolution_filters"] == [4, 4, 8, 8, 8, 16, 16, 16]
    assert [member["model_seed"] for member in card["members"]] == [7, 42]
    assert card["data"]["calibration_photos"] == small["data"]["calibration_photos"] == 10
    # The combined network averages its members' logits, then applies its own temperature.
    inputs = np.random.default_rng(2).random((4, 28, 28, 1), dtype=np.float32)
    logits = [
        keras.Model(model.input, model.get_layer("logits").output).predict(inputs, verbose=0)
        for model in (keras.models.load_model(path) for path in members)
    ]
    expected = np.exp(np.mean(logits, axis=0) / card["temperature"])
    expected /= expected.sum(axis=1, keepdims=True)
    combined = keras.models.load_model(output.with_suffix(".keras")).predict(inputs, verbose=0)
    assert np.allclose(combined, expected, atol=1e-5)

    classifier = GarmentClassifier(output.with_suffix(".tflite"))
    assert classifier.model_version == card["version"]
    probabilities = classifier.predict_probabilities(inputs)
    assert probabilities.shape == (4, 11)
    assert np.allclose(probabilities, expected, atol=0.05)
    # The average and the temperature stay float32 too.
    assert "int8" in tensor_types(output.with_suffix(".tflite"))
    assert not np.allclose(probabilities * 256, np.round(probabilities * 256), atol=1e-3)


def test_combine_rejects_member_of_other_seed(
    fashion_mnist_dir, tiny_real_photos, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    member = tmp_path / "member"
    train_tiny_member(fashion_mnist_dir, tiny_real_photos, member, "--filters", "4,8,16", "--seed", "5")
    capsys.readouterr()

    arguments = combine_arguments(fashion_mnist_dir, tiny_real_photos)
    status = main(
        ["combine", str(member.with_suffix(".keras")), *arguments, "--output", str(tmp_path / "out")]
    )
    assert status == 2
    assert "trained with --seed 5, not 42" in capsys.readouterr().err
    assert not (tmp_path / "out.tflite").exists()

    other_limit = ["--real-photos", str(tiny_real_photos), "--limit", "200", "--seed", "5"]
    status = main(
        ["combine", str(member.with_suffix(".keras")), *other_limit, "--output", str(tmp_path / "out")]
    )
    assert status == 2
    assert "trained with --limit 300, not 200" in capsys.readouterr().err

    status = main(["combine", str(member.with_suffix(".json")), *arguments])
    assert status == 2
    error = capsys.readouterr().err
    assert "invalid member" in error
    assert "member.json" in error

    missing_photos = ["--real-photos", str(tmp_path / "no-photos"), "--data-dir", str(fashion_mnist_dir)]
    status = main(["combine", str(member.with_suffix(".keras")), *missing_photos])
    assert status == 2
    assert "real-photo folder not found" in capsys.readouterr().err

    status = main(["combine", str(tmp_path / "missing.keras"), *arguments])
    assert status == 2
    assert "missing.keras or its .json card not found" in capsys.readouterr().err


def test_export_remakes_same_8bit_file(fashion_mnist_dir, tiny_real_photos, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    member = tmp_path / "member"
    trained = train_tiny_member(fashion_mnist_dir, tiny_real_photos, member, "--filters", "4,8,16")
    capsys.readouterr()

    output = tmp_path / "again"
    arguments = combine_arguments(fashion_mnist_dir, tiny_real_photos)
    assert main(["export", str(member.with_suffix(".keras")), *arguments, "--output", str(output)]) == 0
    card = json.loads(output.with_suffix(".json").read_text())
    assert card["temperature"] == trained["temperature"]
    assert card["confidence_threshold"] == trained["confidence_threshold"]
    assert card["filters"] == [4, 8, 16]
    assert "exported_at" in card
    assert "exported_at" not in trained
    # The same network and the same data give the same 8-bit file as training did.
    inputs = np.random.default_rng(3).random((6, 28, 28, 1), dtype=np.float32)
    first = GarmentClassifier(member.with_suffix(".tflite")).predict_probabilities(inputs)
    again = GarmentClassifier(output.with_suffix(".tflite")).predict_probabilities(inputs)
    assert np.allclose(first, again, atol=1e-6)

    other_seed = [*arguments, "--seed", "5"]
    assert main(["export", str(member.with_suffix(".keras")), *other_seed, "--output", str(output)]) == 2
    assert "trained with --seed 42, not 5" in capsys.readouterr().err
    assert main(["export", str(member.with_suffix(".tflite")), *arguments]) == 2
    assert "invalid model" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.keras"), *arguments]) == 2
    assert "missing.keras or its .json card not found" in capsys.readouterr().err
    notes = tmp_path / "notes.keras"
    notes.write_text("shopping list")
    notes.with_suffix(".json").write_text(member.with_suffix(".json").read_text())
    assert main(["export", str(notes), *arguments]) == 2
    assert "invalid model" in capsys.readouterr().err
    seed_model = Path(__file__).resolve().parents[2] / "models" / "seed.keras"
    assert main(["export", str(seed_model), *arguments, "--output", str(tmp_path / "seed")]) == 2
    assert "is a 'seed' model, not a 'fashion' one" in capsys.readouterr().err
    assert not (tmp_path / "seed.keras").exists()
    (tmp_path / "no-photos" / "dress").mkdir(parents=True)
    no_photos = ["--real-photos", str(tmp_path / "no-photos"), "--data-dir", str(fashion_mnist_dir)]
    assert main(["export", str(member.with_suffix(".keras")), *no_photos]) == 2
    assert "no photos found" in capsys.readouterr().err
    # The rejected runs left the first export as it was.
    assert json.loads(output.with_suffix(".json").read_text()) == card


def test_fashion_training_repeats_same_weights(fashion_mnist_dir, tiny_real_photos, tmp_path, monkeypatch):
    import keras

    monkeypatch.chdir(tmp_path)
    runs = [("first", "7"), ("second", "7"), ("other_seed", "8")]
    for name, model_seed in runs:
        train_tiny_member(
            fashion_mnist_dir,
            tiny_real_photos,
            tmp_path / name,
            "--filters",
            "4,8,16",
            "--model-seed",
            model_seed,
        )
    weights = {name: keras.models.load_model(tmp_path / f"{name}.keras").get_weights() for name, _ in runs}

    assert all(np.array_equal(a, b) for a, b in zip(weights["first"], weights["second"], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(weights["first"], weights["other_seed"], strict=True))
    # Only the weights move with the model seed. The photo inputs are cached under a key of the
    # photos and the seed, so all three runs read one training set and one calibration set.
    assert len(list((tmp_path / PhotoTrainingOptions.cache_dir).glob("photos-*.npz"))) == 2
