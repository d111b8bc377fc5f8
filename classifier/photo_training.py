"""Training of the shipped "fashion" model, the one that must be right on real phone photos.

The model averages the logits of several networks, each trained by `train_fashion` with the same
`seed` and its own filters and model seed, then calibrated as one by `combine_fashion`. The
commands are in the Makefile's train-fashion target and their measured times in models/README.md.
Recipe:
1. Data: Fashion-MNIST's training split (the last 5,000 images held out), the same garments drawn
   as photos on uneven backgrounds (`photo_data.synthetic_photo`), and the real training photos,
   each as a clean input plus augmented variants, all through the serving preprocessing. 15% of
   the real photos, stratified by folder, are held out for calibration.
2. Warm-up on Fashion-MNIST and the synthetic photos, then pseudo-labels for the folders that
   accept several classes (longsleeve: pullover or shirt; shoes: sandal, sneaker or ankle boot):
   each photo takes the accepted class the warm-up model finds most likely.
3. Main training on everything, with an eleventh class "Other garment" taught by the hat, shorts
   and skirt photos; shifts of up to 2 pixels on every input, and half the inputs mirrored.
4. Calibration on the held-out photos, of one network or of the average of several: a
   temperature (scaling the logits) and the confidence threshold under which the bot says it is
   not sure. Both are stored in the model: the temperature inside the exported 8-bit network,
   the threshold in the JSON card.
This module imports TensorFlow; the bot never imports it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifier.calibration import choose_threshold, fit_temperature
from classifier.dataset import DEFAULT_DATA_DIR, load_fashion_mnist
from classifier.inference import GarmentClassifier
from classifier.labels import FASHION_MNIST_CLASSES, OTHER_GARMENT_ID, coarse_group
from classifier.metrics import REAL_PHOTO_FOLDERS
from classifier.photo_data import folder_targets, list_photos, make_photo_samples, make_synthetic_samples
from classifier.training import export_tflite, shifted_batches

__all__ = [
    "PhotoTrainingOptions",
    "build_fashion_model",
    "combine_fashion",
    "export_fashion",
    "load_training_data",
    "train_fashion",
]

logger = logging.getLogger(__name__)

CLASSES = len(FASHION_MNIST_CLASSES) + 1
# Confident predictions must be right (coarse) this often on the calibration photos, counting the
# lower bound of a one-sided 95% interval, while at least this share of the photos gets one.
TARGET_CONFIDENT_ACCURACY = 0.95
MIN_CONFIDENT_COVERAGE = 0.72


@dataclass(frozen=True)
class PhotoTrainingOptions:
    """Settings of a "fashion" training run.

    Network B of the shipped model used the defaults. The Makefile's train-fashion target gives
    the options of every network.
    """

    real_photos_dir: Path
    output: Path = Path("models/fashion")
    data_dir: Path = DEFAULT_DATA_DIR
    cache_dir: Path = Path("data/cache")
    filters: tuple[int, int, int] = (32, 96, 192)
    epochs: int = 26
    warmup_epochs: int = 2
    batch_size: int = 128
    seed: int = 42
    # Seed of the weights' initialisation, dropout and batch order (default: `seed`). The data,
    # its augmented variants and the calibration split follow `seed` alone, so networks trained
    # with different model seeds share their calibration photos and can be combined.
    model_seed: int | None = None
    photo_variants: int = 8
    synthetic_per_class: int = 1500
    real_weight: float = 2.0
    calibration_share: float = 0.15
    # Use the first N Fashion-MNIST images and N real photos only (0 = all); for smoke runs.
    limit: int = 0


def build_fashion_model(
    filters: tuple[int, int, int] = (32, 96, 192), convolutions: tuple[int, int, int] = (2, 3, 3)
):
    """Return the network: three blocks of 3x3 convolutions with batch norm, then a dense head.

    `filters` gives each block's width and `convolutions` its count of convolutions. The output
    is logits for the ten Fashion-MNIST classes and "Other garment".
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for block, (width, count) in enumerate(zip(filters, convolutions, strict=True)):
        for _ in range(count):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.1 * (block + 1))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.4)(x)
    logits = layers.Dense(CLASSES, name="logits")(x)
    return keras.Model(inputs, logits, name="fashion")


def _with_probabilities(model, temperature: float):
    """Return the network with its logits divided by `temperature` and turned into probabilities."""
    import keras
    from keras import layers

    scaled = layers.Rescaling(1.0 / temperature, name="temperature")(model.output)
    probabilities = layers.Softmax(name="probabilities")(scaled)
    return keras.Model(model.input, probabilities, name="fashion_calibrated")


def _split_calibration(folders: list[str], share: float, seed: int) -> np.ndarray:
    """Return a boolean mask of photos held out for calibration, `share` of each folder."""
    rng = np.random.default_rng(seed)
    held_out = np.zeros(len(folders), dtype=bool)
    for folder in sorted(set(folders)):
        members = np.flatnonzero(np.array(folders) == folder)
        chosen = rng.choice(members, size=max(1, round(len(members) * share)), replace=False)
        held_out[chosen] = True
    return held_out


def _pseudo_labels(model, samples, photo_folder: np.ndarray) -> np.ndarray:
    """Label each real input: the folder's class, or the likeliest accepted one for a folder with several."""
    logits = model.predict(samples.inputs, batch_size=512, verbose=0)
    labels = np.empty(len(samples.inputs), dtype=np.int64)
    clean = {}
    for row, (index, folder) in enumerate(zip(samples.photo_index, samples.folders, strict=True)):
        if folder not in REAL_PHOTO_FOLDERS:
            labels[row] = OTHER_GARMENT_ID
            continue
        accepted = sorted(REAL_PHOTO_FOLDERS[folder][0])
        # The first input of each photo is its clean one; its variants share its label.
        if index not in clean:
            clean[index] = accepted[int(np.argmax(logits[row, accepted]))]
        labels[row] = clean[index]
    return labels


@dataclass(frozen=True)
class TrainingData:
    """Every input of a "fashion" run, split as in the recipe above; the same for every model seed."""

    fashion_mnist: object
    x_fashion: np.ndarray
    y_fashion: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_synthetic: np.ndarray
    y_synthetic: np.ndarray
    real: object
    calibration: object
    training_photos: int

    def all_inputs(self) -> np.ndarray:
        """Fashion-MNIST, synthetic and real training inputs, in that order."""
        return np.concatenate([self.x_fashion, self.x_synthetic, self.real.inputs])


def load_training_data(options: PhotoTrainingOptions) -> TrainingData:
    """Load Fashion-MNIST and the real photos and split them; photo inputs come from the cache."""
    started = time.monotonic()
    data = load_fashion_mnist(options.data_dir)
    images, labels = data.train_images, data.train_labels.astype(np.int64)
    photos = list_photos(options.real_photos_dir)
    if options.limit:
        images, labels = images[: options.limit], labels[: options.limit]
        photos = photos[:: max(1, len(photos) // options.limit)]
    holdout = min(5000, len(images) // 10)
    x_fashion = (images[:-holdout].astype(np.float32) / 255.0)[..., np.newaxis]
    y_fashion = labels[:-holdout]

    rng = np.random.default_rng(options.seed)
    synthetic_index = np.concatenate(
        [rng.permutation(np.flatnonzero(y_fashion == c))[: options.synthetic_per_class] for c in range(10)]
    )
    x_synthetic = make_synthetic_samples(images[synthetic_index], options.seed, options.cache_dir)

    held_out = _split_calibration([folder for _, folder in photos], options.calibration_share, options.seed)
    training_photos = [photo for photo, hold in zip(photos, held_out, strict=True) if not hold]
    calibration_photos = [photo for photo, hold in zip(photos, held_out, strict=True) if hold]
    real = make_photo_samples(training_photos, options.photo_variants, options.seed, options.cache_dir)
    calibration = make_photo_samples(calibration_photos, 0, options.seed, options.cache_dir)
    logger.info(
        "Data ready after %.0f s: %d Fashion-MNIST, %d synthetic, %d real inputs from %d photos, "
        "%d calibration photos",
        time.monotonic() - started,
        len(x_fashion),
        len(x_synthetic),
        len(real.inputs),
        len(training_photos),
        len(calibration_photos),
    )
    return TrainingData(
        fashion_mnist=data,
        x_fashion=x_fashion,
        y_fashion=y_fashion,
        x_valid=(images[-holdout:].astype(np.float32) / 255.0)[..., np.newaxis],
        y_valid=labels[-holdout:],
        x_synthetic=x_synthetic,
        y_synthetic=y_fashion[synthetic_index],
        real=real,
        calibration=calibration,
        training_photos=len(training_photos),
    )


def train_fashion(options: PhotoTrainingOptions) -> dict:
    """Train, calibrate and export one "fashion" network; return the figures of its card."""
    import keras
    import tensorflow as tf

    model_seed = options.seed if options.model_seed is None else options.model_seed
    keras.utils.set_random_seed(model_seed)
    tf.config.experimental.enable_op_determinism()
    started = time.monotonic()
    data = load_training_data(options)
    x_fashion, y_fashion = data.x_fashion, data.y_fashion
    x_synthetic, y_synthetic, real = data.x_synthetic, data.y_synthetic, data.real

    model = build_fashion_model(options.filters)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    warmup_x = np.concatenate([x_fashion, x_synthetic])
    warmup_y = np.concatenate([y_fashion, y_synthetic])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=["accuracy"])
    model.fit(
        shifted_batches(
            warmup_x,
            warmup_y,
            np.ones(len(warmup_y), np.float32),
            options.batch_size,
            model_seed,
            mirror=True,
        ),
        epochs=options.warmup_epochs,
        shuffle=False,
        verbose=2,
    )

    y_real = _pseudo_labels(model, real, real.photo_index)
    x_all = data.all_inputs()
    y_all = np.concatenate([y_fashion, y_synthetic, y_real])
    weights = np.concatenate(
        [
            np.ones(len(x_fashion) + len(x_synthetic), np.float32),
            np.full(len(y_real), options.real_weight, np.float32),
        ]
    )
    steps = options.epochs * int(np.ceil(len(x_all) / options.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps, alpha=0.02)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
    model.fit(
        shifted_batches(x_all, y_all, weights, options.batch_size, model_seed + 1, mirror=True),
        validation_data=(data.x_valid, data.y_valid),
        epochs=options.epochs,
        shuffle=False,
        verbose=2,
    )

    card = _calibrate_and_export(model, data, options.output)
    card.update(
        filters=list(options.filters),
        epochs=options.epochs,
        augmentation="shifts of up to 2 pixels, half the inputs mirrored",
        warmup_epochs=options.warmup_epochs,
        batch_size=options.batch_size,
        seed=options.seed,
        model_seed=model_seed,
        limit=options.limit,
        photo_variants=options.photo_variants,
        synthetic_per_class=options.synthetic_per_class,
        real_weight=options.real_weight,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training_seconds=round(time.monotonic() - started),
        data=_data_counts(data),
    )
    _write_card(options.output, card)
    return card


def combine_fashion(members: list[Path], options: PhotoTrainingOptions) -> dict:
    """Average the logits of trained "fashion" networks, then calibrate and export them as one model.

    Each member is a `.keras` file written by `train_fashion` with the same `seed`, so all of
    them held out the same calibration photos and the same Fashion-MNIST images.
    """
    started = time.monotonic()
    cards = [json.loads(path.with_suffix(".json").read_text(encoding="utf-8")) for path in members]
    for path, card in zip(members, cards, strict=True):
        _check_card(
            path,
            card,
            options,
            "Members must share their seed and limit, so that they hold out the same photos.",
        )
    # Keras loads after the checks, because importing it takes seconds and logs TensorFlow's lines.
    import keras

    # Members load before the data, so that a damaged file fails before the data preparation.
    networks = [keras.models.load_model(path) for path in members]
    data = load_training_data(options)

    inputs = keras.Input(shape=(28, 28, 1))
    outputs, described = [], []
    for index, (member, card) in enumerate(zip(networks, cards, strict=True)):
        network = keras.Model(member.input, member.get_layer("logits").output, name=f"member_{index}")
        outputs.append(network(inputs))
        described.append(
            {
                "version": card.get("version"),
                "convolution_filters": [
                    layer.filters for layer in member.layers if isinstance(layer, keras.layers.Conv2D)
                ],
                # Cards written before --model-seed existed trained with their --seed.
                "model_seed": card.get("model_seed", card.get("seed")),
                "training_seconds": card.get("training_seconds"),
            }
        )
    logits = keras.layers.Average(name="logits")(outputs) if len(outputs) > 1 else outputs[0]
    card = _calibrate_and_export(keras.Model(inputs, logits, name="fashion_ensemble"), data, options.output)
    card.update(
        members=described,
        seed=options.seed,
        limit=options.limit,
        combined_at=datetime.now(UTC).isoformat(timespec="seconds"),
        combining_seconds=round(time.monotonic() - started),
        data=_data_counts(data),
    )
    _write_card(options.output, card)
    return card


def export_fashion(model_path: Path, options: PhotoTrainingOptions) -> dict:
    """Remake the 8-bit LiteRT file of a calibrated "fashion" model, without training.

    `model_path` is a `.keras` file written by `train_fashion` or `combine_fashion`, with its card
    beside it. Its float32 network and temperature stay as they are. The 8-bit file, its
    threshold and its figures are made anew by the current export, as `combine_fashion` would.
    """
    card = json.loads(model_path.with_suffix(".json").read_text(encoding="utf-8"))
    _check_card(
        model_path,
        card,
        options,
        "Export it with its training options, so that it is measured on the photos it held out.",
    )
    import keras

    # The model loads before the data, so that a damaged file fails before the data preparation.
    model = keras.models.load_model(model_path)
    data = load_training_data(options)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    if options.output.with_suffix(".keras").resolve() != model_path.resolve():
        model.save(options.output.with_suffix(".keras"))
    card.update(_export_and_measure(model, data, options.output))
    card["exported_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_card(options.output, card)
    return card


def _check_card(path: Path, card: dict, options: PhotoTrainingOptions, advice: str) -> None:
    """Raise ValueError unless the card shows a "fashion" model trained with the options' seed and limit.

    The seed and the limit choose the held-out photos and images, so any other value would
    calibrate or measure on photos that the model was trained on.
    """
    if card.get("arch") != "fashion":
        raise ValueError(
            f"{path} is a {card.get('arch')!r} model, not a 'fashion' one. Only fashion models are "
            "calibrated on real photos, and train --arch seed exports the seed network itself."
        )
    # Cards written before "limit" was recorded come from full runs.
    trained = {"seed": card.get("seed"), "limit": card.get("limit", 0)}
    for option, value in trained.items():
        if value != getattr(options, option):
            raise ValueError(
                f"{path} was trained with --{option} {value}, not {getattr(options, option)}. {advice}"
            )


def _write_card(output: Path, card: dict) -> None:
    output.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def _data_counts(data: TrainingData) -> dict:
    return {
        "fashion_mnist_training_images": int(len(data.x_fashion)),
        "synthetic_photo_inputs": int(len(data.x_synthetic)),
        "real_training_photos": data.training_photos,
        "real_training_inputs": int(len(data.real.inputs)),
        "calibration_photos": int(len(data.calibration.inputs)),
    }


def _calibrate_and_export(model, data: TrainingData, output: Path) -> dict:
    """Fit the temperature on the calibration photos, then save and export the calibrated model.

    `model` maps inputs to logits. The returned card holds the temperature and the figures of
    `_export_and_measure`.
    """
    calibration = data.calibration
    logits = model.predict(calibration.inputs, batch_size=512, verbose=0)
    targets = np.stack([folder_targets(folder, CLASSES) for folder in calibration.folders])
    temperature = fit_temperature(logits, targets)

    exported = _with_probabilities(model, temperature)
    output.parent.mkdir(parents=True, exist_ok=True)
    exported.save(output.with_suffix(".keras"))
    card = _export_and_measure(exported, data, output)
    card["temperature"] = temperature
    logger.info("Calibration: temperature %.2f, threshold %.2f", temperature, card["confidence_threshold"])
    return card


def _export_and_measure(exported, data: TrainingData, output: Path) -> dict:
    """Export the 8-bit file, choose the threshold on its outputs, and return the card's figures.

    `exported` maps inputs to calibrated probabilities. Every 50th training input sets the ranges
    of the 8-bit export: Fashion-MNIST, synthetic and real photos in their training proportions.
    """
    calibration = data.calibration
    tflite_path = output.with_suffix(".tflite")
    export_tflite(exported, tflite_path, data.all_inputs()[::50])
    served = GarmentClassifier(tflite_path)
    probabilities = served.predict_probabilities(calibration.inputs)

    mapped = np.array([folder in REAL_PHOTO_FOLDERS for folder in calibration.folders])
    predicted = probabilities.argmax(axis=1)
    confidence = np.where(predicted == OTHER_GARMENT_ID, 0.0, probabilities.max(axis=1))
    correct = np.array(
        [
            coarse_group(p) == REAL_PHOTO_FOLDERS[f][1] if f in REAL_PHOTO_FOLDERS else False
            for p, f in zip(predicted, calibration.folders, strict=True)
        ]
    )
    threshold = choose_threshold(
        confidence[mapped], correct[mapped], TARGET_CONFIDENT_ACCURACY, MIN_CONFIDENT_COVERAGE
    )

    fashion_mnist = data.fashion_mnist
    x_test = (fashion_mnist.test_images.astype(np.float32) / 255.0)[..., np.newaxis]
    test_probabilities = exported.predict(x_test, batch_size=1000, verbose=0)
    test_accuracy = float((test_probabilities[:, :10].argmax(axis=1) == fashion_mnist.test_labels).mean())
    valid_probabilities = served.predict_probabilities(data.x_valid)
    valid_accuracy = float((valid_probabilities[:, :10].argmax(axis=1) == data.y_valid).mean())
    return {
        "version": f"{output.name}-{datetime.now(UTC):%Y%m%d-%H%M}",
        "arch": "fashion",
        "classes": [*FASHION_MNIST_CLASSES, "Other garment"],
        "confidence_threshold": threshold,
        "keras_test_accuracy": round(test_accuracy, 4),
        "holdout_accuracy": round(valid_accuracy, 4),
        "calibration_coarse_accuracy": round(float(correct[mapped].mean()), 4),
        "quantization": (
            "8-bit weights and activations up to the class scores; logits, their average, "
            "temperature and softmax in float32; float32 input and output"
        ),
    }
