"""The `fashion-assistant` command: run the bot, try the demo, classify files, preview the weekly
digest, back up the database, check health, train and evaluate.

Training and evaluation import TensorFlow or Matplotlib only inside their subcommands, so
`run`, `demo` and `classify` work with the runtime dependencies alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.dataset import DEFAULT_DATA_DIR, DatasetNotFoundError
from classifier.inference import DEFAULT_MODEL_PATH

if TYPE_CHECKING:
    from bot.config import ConfigError
    from classifier.photo_training import PhotoTrainingOptions
    from insights.digest import DigestPeriod

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _configure_logging(verbose: bool, use_defaults: bool = False) -> None:
    """Apply FASHION_LOG_LEVEL and FASHION_LOG_JSON; -v means DEBUG whatever the variable is set to.

    `use_defaults` ignores both variables, for a command that reports their bad values itself.

    httpx logs every request URL at INFO, and Telegram request URLs carry the bot token, so
    `configure_logging` keeps httpx at WARNING and redacts the token from every line.
    """
    from dataclasses import replace

    from bot.config import load_logging_settings
    from bot.logging_setup import configure_logging

    settings = load_logging_settings({} if use_defaults else None)
    if verbose:
        settings = replace(settings, level="DEBUG")
    # The raw values, also when they are invalid: whatever is set must not reach a log.
    secrets = [
        os.environ.get("TELEGRAM_BOT_TOKEN", "").strip(),
        os.environ.get("FASHION_WEBHOOK_SECRET", "").strip(),
    ]
    configure_logging(settings, secrets)


def _default_model_path() -> Path:
    """Return FASHION_MODEL when it is set, else the model in the source tree."""
    value = os.environ.get("FASHION_MODEL", "").strip()
    return Path(value) if value else DEFAULT_MODEL_PATH


def _database_path(arguments: argparse.Namespace) -> Path:
    """Return --database, else FASHION_DATABASE, else the default data/fashion.db."""
    from bot.config import DEFAULT_DATABASE

    return arguments.database or Path(os.environ.get("FASHION_DATABASE", "").strip() or DEFAULT_DATABASE)


def _existing_database_path(arguments: argparse.Namespace) -> Path:
    """Return the database path as `_database_path` does; raise FileNotFoundError unless it is a file."""
    path = _database_path(arguments)
    if path.is_dir():
        raise FileNotFoundError(
            f"{path} is a folder, not a database file. Pass --database or set FASHION_DATABASE"
        )
    if not path.is_file():
        raise FileNotFoundError(f"database not found: {path}. Pass --database or set FASHION_DATABASE")
    return path


def _os_error_text(error: OSError) -> str:
    """Return "Permission denied: data/x.db" for an OSError that names its file, else the error."""
    if error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    return str(error)


def _command_run(arguments: argparse.Namespace) -> int:
    from bot.app import run
    from bot.config import load_settings

    run(load_settings(require_token=True))
    return 0


def _command_health(arguments: argparse.Namespace) -> int:
    from bot.health import check_health

    if not arguments.verbose:
        # Keep the output to the one line below; the model's "Loaded model" line is INFO.
        logging.disable(logging.INFO)
    try:
        report = check_health()
    finally:
        logging.disable(logging.NOTSET)
    print(report.message if report.healthy else f"unhealthy: {report.message}", flush=True)
    return 0 if report.healthy else 1


def _command_backup(arguments: argparse.Namespace) -> int:
    from storage.backup import backup_database_file

    source = _database_path(arguments)
    try:
        result = backup_database_file(source, arguments.path)
    except (sqlite3.Error, ValueError) as error:
        print(f"fashion-assistant: error: backup of {source} failed: {error}", file=sys.stderr)
        return 1
    except FileNotFoundError:
        # A missing database: main prints it as a usage error.
        raise
    except OSError as error:
        print(
            f"fashion-assistant: error: backup of {source} failed: {_os_error_text(error)}", file=sys.stderr
        )
        return 1
    print(f"Backed up {source} to {result.path}: {result.size_bytes} bytes, integrity check ok")
    return 0


def _command_demo(arguments: argparse.Namespace) -> int:
    import asyncio

    from bot.demo import run_demo
    from classifier.inference import GarmentClassifier

    if not arguments.verbose:
        # Keep the printed conversation readable; -v shows the bot's own log lines again. The
        # project's loggers have their own level, so lowering the root logger's would not do it.
        logging.disable(logging.INFO)
    try:
        # Loading the model once here turns a bad --model or FASHION_MODEL into one line, before
        # the emulator and the bot start.
        GarmentClassifier(arguments.model)
        asyncio.run(run_demo(model_path=arguments.model))
    finally:
        logging.disable(logging.NOTSET)
    return 0


def _command_classify(arguments: argparse.Namespace) -> int:
    from classifier.inference import GarmentClassifier
    from classifier.preprocess import ImageRejected

    classifier = GarmentClassifier(arguments.model)
    failures = 0
    for path in arguments.images:
        try:
            prediction = classifier.classify_photo(Path(path))
        except (ImageRejected, OSError) as error:
            failures += 1
            message = _os_error_text(error) if isinstance(error, OSError) else str(error)
            line = {"path": path, "error": message}
            print(json.dumps(line) if arguments.json else f"{path}: error: {message}", flush=True)
            continue
        if arguments.json:
            line = {
                "path": path,
                "label": prediction.label,
                "label_id": prediction.label_id,
                "confidence": round(prediction.confidence, 6),
                "top3": [[label, round(p, 6)] for label, p in prediction.top3],
                "status": prediction.status,
                "model_version": prediction.model_version,
            }
            print(json.dumps(line), flush=True)
        else:
            print(f"{path}: {prediction.label} ({prediction.confidence:.0%}, {prediction.status})")
    return 1 if failures else 0


def _command_export_feedback(arguments: argparse.Namespace) -> int:
    import asyncio

    from storage.export import export_feedback

    database_path = _existing_database_path(arguments)
    try:
        summary = asyncio.run(export_feedback(database_path, arguments.output))
    except OSError as error:
        print(
            f"fashion-assistant: error: --output {arguments.output}: cannot write: {_os_error_text(error)}",
            file=sys.stderr,
        )
        return 1
    print(
        f"{summary.rated} rated answers ({summary.corrected} corrected); {summary.with_images} with the "
        f"model's input written to {arguments.output}/feedback.npz, all listed in feedback.csv"
    )
    return 0


def _command_digest(arguments: argparse.Namespace) -> int:
    import asyncio

    from bot.config import load_digest_settings
    from insights.digest import requested_week, week_before

    settings = load_digest_settings()
    database_path = _existing_database_path(arguments)
    now = datetime.now(UTC)
    if arguments.week:
        try:
            period = requested_week(arguments.week, now, settings.timezone)
        except ValueError as error:
            print(f"fashion-assistant: error: --week: {error}", file=sys.stderr)
            return 2
    else:
        period = week_before(now, settings.timezone)

    staff = settings.staff_user_ids
    try:
        text, chart = asyncio.run(
            _preview_staff_digest(database_path, period, settings.staff_language, staff)
        )
    except sqlite3.DatabaseError as error:
        print(f"fashion-assistant: error: cannot read {database_path}: {error}", file=sys.stderr)
        return 1
    chart_path = arguments.output_dir / f"digest-{period.label}.png"
    if arguments.output_dir.exists() and not arguments.output_dir.is_dir():
        print(
            f"fashion-assistant: error: --output-dir: {arguments.output_dir} is a file, not a folder",
            file=sys.stderr,
        )
        return 1
    try:
        arguments.output_dir.mkdir(parents=True, exist_ok=True)
        chart_path.write_bytes(chart)
    except OSError as error:
        print(
            f"fashion-assistant: error: --output-dir: cannot write {chart_path}: {_os_error_text(error)}",
            file=sys.stderr,
        )
        return 1
    print(text)
    print(f"\nChart written to {chart_path}")
    # The bot reads the same setting, so a preview without it would count staff as customers.
    if staff:
        print(f"Left out as staff: {len(staff)} user(s) of FASHION_STAFF_CHAT_IDS")
    else:
        print("FASHION_STAFF_CHAT_IDS names no staff member here, so every user counts as a customer")
    return 0


async def _preview_staff_digest(
    database_path: Path, period: DigestPeriod, language: str, staff_user_ids: tuple[int, ...]
) -> tuple[str, bytes]:
    """Return the staff digest of `period` as plain text, and its chart as PNG bytes.

    The digest is read from a copy, because opening the file itself would switch it to WAL mode or
    migrate an older schema, and a preview changes nothing.
    """
    import tempfile

    from insights.digest import build_staff_digest, plain_text
    from storage import Database, check_database_file
    from storage.backup import backup_database_file

    check_database_file(database_path)
    with tempfile.TemporaryDirectory(prefix="fashion-preview-") as folder:
        copy = backup_database_file(database_path, Path(folder) / "preview.db").path
        database = await Database.open(copy, existing_only=True)
        try:
            digest = await build_staff_digest(database, period, language, staff_user_ids)
        finally:
            await database.close()
    return plain_text(digest.text), digest.chart


def _iso_week(text: str) -> str:
    """Validate an ISO week label such as 2026-W49 for argparse, and return it without spaces."""
    from insights.digest import parse_week_label

    try:
        parse_week_label(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text.strip()


def _filters(text: str) -> tuple[int, int, int]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"invalid filters {text!r}: expected three positive integers such as 32,96,192"
        )
    return values


def _check_real_photo_folder(folder: Path) -> None:
    """Raise FileNotFoundError unless `folder` contains photos in the garment folders that training reads."""
    from classifier.photo_data import list_photos

    if not folder.is_dir():
        raise FileNotFoundError(f"real-photo folder not found: {folder}")
    if not list_photos(folder):
        raise FileNotFoundError(
            f"no photos found in {folder}: expected garment folders such as {folder / 'dress'} with JPEG files"
        )


def _add_training_data_options(parser: argparse.ArgumentParser, subject: str) -> None:
    """Add the options that must match how a trained fashion network saw its data."""
    parser.add_argument(
        "--real-photos",
        type=Path,
        required=True,
        help=f"the real-photo training folder {subject} trained on",
    )
    parser.add_argument("--seed", type=int, default=42, help=f"the --seed {subject} trained with")
    parser.add_argument("--limit", type=int, default=0, help=f"the --limit {subject} trained with")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="Fashion-MNIST folder")


def _command_combine(arguments: argparse.Namespace) -> int:
    from classifier.photo_training import combine_fashion

    _check_real_photo_folder(arguments.real_photos)
    options = _training_data_options(arguments, arguments.output)

    def combine() -> dict:
        for member in arguments.members:
            _check_keras_file(member, "member", "train it with train --arch fashion")
        return combine_fashion(arguments.members, options)

    return _print_card(combine)


def _command_export(arguments: argparse.Namespace) -> int:
    from classifier.photo_training import export_fashion

    _check_real_photo_folder(arguments.real_photos)
    model = arguments.model
    options = _training_data_options(arguments, arguments.output or model.with_suffix(""))

    def export() -> dict:
        _check_keras_file(model, "model", "write it with combine or train --arch fashion")
        return export_fashion(model, options)

    return _print_card(export)


def _check_keras_file(path: Path, role: str, hint: str) -> None:
    """Raise unless `path` is a trained network's .keras file with its .json card beside it.

    A missing file or card raises FileNotFoundError with `hint` on how to make it. A file that is
    not a Keras archive, or is not named .keras, raises ValueError.
    """
    if path.suffix != ".keras":
        raise ValueError(f"invalid {role} {path}: expected a .keras file")
    if not path.is_file() or not path.with_suffix(".json").is_file():
        raise FileNotFoundError(f"{path} or its .json card not found; {hint}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"invalid {role} {path}: not a Keras archive")


def _training_data_options(arguments: argparse.Namespace, output: Path) -> PhotoTrainingOptions:
    """Return the PhotoTrainingOptions of the options that `_add_training_data_options` added."""
    from classifier.photo_training import PhotoTrainingOptions

    return PhotoTrainingOptions(
        real_photos_dir=arguments.real_photos,
        output=output,
        data_dir=arguments.data_dir,
        seed=arguments.seed,
        limit=arguments.limit,
    )


def _print_card(make_card: Callable[[], dict]) -> int:
    """Print the card that `make_card` returns, or its ValueError as one line; return the exit status."""
    try:
        card = make_card()
    except ValueError as error:
        print(f"fashion-assistant: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(card, indent=2))
    return 0


def _command_train(arguments: argparse.Namespace) -> int:
    if arguments.arch == "fashion":
        from classifier.photo_training import PhotoTrainingOptions, train_fashion

        if arguments.real_photos is None:
            raise FileNotFoundError("--arch fashion needs --real-photos DIR (the folder with train/ photos)")
        _check_real_photo_folder(arguments.real_photos)
        options = PhotoTrainingOptions(
            real_photos_dir=arguments.real_photos,
            output=arguments.output or Path("data/members/fashion"),
            data_dir=arguments.data_dir,
            seed=arguments.seed,
            model_seed=arguments.model_seed,
            limit=arguments.limit,
            **({"epochs": arguments.epochs} if arguments.epochs else {}),
            **({"filters": arguments.filters} if arguments.filters else {}),
        )
        card = train_fashion(options)
    else:
        from classifier.training import TrainingOptions, train

        options = TrainingOptions(
            arch=arguments.arch,
            batch_size=arguments.batch_size,
            seed=arguments.seed,
            data_dir=arguments.data_dir,
            output=arguments.output or Path("models/seed"),
            limit=arguments.limit,
            **({"epochs": arguments.epochs} if arguments.epochs else {}),
        )
        card = train(options)
    print(json.dumps(card, indent=2))
    return 0


def _command_evaluate(arguments: argparse.Namespace) -> int:
    from classifier.evaluation import evaluate_fashion_mnist, evaluate_real_photos

    if arguments.real_photos:
        _check_real_photo_folder(arguments.real_photos)
    output_dir = arguments.output_dir or Path("reports") / arguments.model.stem
    summary = evaluate_fashion_mnist(arguments.model, output_dir, arguments.data_dir)
    print(f"Fashion-MNIST test accuracy: {summary['test_accuracy']:.2%} ({summary['model_version']})")
    if arguments.real_photos:
        real = evaluate_real_photos(arguments.model, arguments.real_photos, output_dir)
        print(
            f"Real photos ({real['mapped_photos']} mapped): strict {real['strict_accuracy']:.1%}, "
            f"coarse {real['coarse_accuracy']:.1%}; confident answers cover "
            f"{real['confident_coverage']:.1%} at {real['confident_coarse_accuracy']:.1%} coarse; "
            f"unknown garments answered confidently: {real['unknown_confident_rate']:.1%} "
            f"of {real['unknown_photos']}"
        )
    print(f"Reports written to {output_dir}/")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fashion-assistant", description="Telegram bot that recognises garments in photos."
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log the project's DEBUG lines, as FASHION_LOG_LEVEL=DEBUG does",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run the bot (needs TELEGRAM_BOT_TOKEN): long polling, or a webhook server when "
        "FASHION_WEBHOOK_URL is set",
    )
    run.set_defaults(handler=_command_run)

    health = commands.add_parser(
        "health",
        help="exit 0 when the configuration loads, the model loads and the database responds to a query; "
        "else print the reason and exit 1",
    )
    health.set_defaults(handler=_command_health)

    backup = commands.add_parser(
        "backup", help="copy the database to PATH with SQLite's online backup; safe while the bot runs"
    )
    backup.add_argument(
        "path",
        type=Path,
        help="file to write (an existing file is replaced), or a folder to write it into under the database's name; missing folders are created",
    )
    backup.add_argument(
        "--database", type=Path, help="SQLite file (default: FASHION_DATABASE, else data/fashion.db)"
    )
    backup.set_defaults(handler=_command_backup)

    demo = commands.add_parser(
        "demo", help="run the bot on the built-in emulator with two simulated customers"
    )
    demo.add_argument(
        "--model",
        type=Path,
        default=_default_model_path(),
        help=".tflite model to serve (default: FASHION_MODEL, else the shipped model)",
    )
    demo.set_defaults(handler=_command_demo)

    classify = commands.add_parser("classify", help="classify image files and print one line each")
    classify.add_argument("images", nargs="+", help="image files")
    classify.add_argument("--json", action="store_true", help="print one JSON object per line")
    classify.add_argument(
        "--model",
        type=Path,
        default=_default_model_path(),
        help=".tflite model (default: FASHION_MODEL, else the shipped model)",
    )
    classify.set_defaults(handler=_command_classify)

    export = commands.add_parser(
        "export-feedback", help="write customers' confirmations and corrections as a labelled dataset"
    )
    export.add_argument(
        "--database", type=Path, help="SQLite file (default: FASHION_DATABASE, else data/fashion.db)"
    )
    export.add_argument(
        "--output", type=Path, default=Path("feedback"), help="output folder (default: feedback)"
    )
    export.set_defaults(handler=_command_export_feedback)

    digest = commands.add_parser(
        "digest", help="print the staff's weekly digest and write its chart, without sending anything"
    )
    digest.add_argument(
        "--preview",
        action="store_true",
        required=True,
        help="print the digest instead of sending it; required, because the running bot does the sending",
    )
    digest.add_argument(
        "--week",
        type=_iso_week,
        help=(
            "ISO week such as 2026-W49, in FASHION_TIMEZONE; the current week is shown up to now "
            "(default: the last full week)"
        ),
    )
    digest.add_argument(
        "--database", type=Path, help="SQLite file (default: FASHION_DATABASE, else data/fashion.db)"
    )
    digest.add_argument(
        "--output-dir", type=Path, default=Path("."), help="folder for digest-WEEK.png (default: .)"
    )
    digest.set_defaults(handler=_command_digest)

    train = commands.add_parser("train", help="train a model on Fashion-MNIST (needs the train extra)")
    train.add_argument(
        "--arch",
        default="seed",
        choices=["seed", "fashion"],
        help="seed: the research note's network; fashion: the shipped network for real photos",
    )
    train.add_argument(
        "--epochs",
        type=int,
        help="training epochs (default: 30 for seed, 26 for fashion)",
    )
    train.add_argument(
        "--real-photos",
        type=Path,
        help="real-photo training folder, one sub-folder per garment (fashion only)",
    )
    train.add_argument("--batch-size", type=int, default=64, help="images per training step (seed only)")
    train.add_argument("--seed", type=int, default=42, help="random seed")
    train.add_argument(
        "--model-seed",
        type=int,
        help="seed of the initial weights and batch order (fashion only; default: --seed)",
    )
    train.add_argument(
        "--filters",
        type=_filters,
        help="filters of the three blocks, as 32,96,192 (fashion only; default: 32,96,192)",
    )
    train.add_argument("--limit", type=int, default=0, help="train on the first N images only (0: all)")
    train.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="Fashion-MNIST folder")
    train.add_argument(
        "--output",
        type=Path,
        help=(
            "output path without suffix (default: models/seed for seed, data/members/fashion for one "
            "fashion network); .keras, .tflite and .json are written"
        ),
    )
    train.set_defaults(handler=_command_train)

    combine = commands.add_parser(
        "combine",
        help="average trained fashion networks into one calibrated model (needs the train extra)",
    )
    combine.add_argument("members", nargs="+", type=Path, help=".keras files written by train --arch fashion")
    _add_training_data_options(combine, "the members were")
    combine.add_argument(
        "--output",
        type=Path,
        default=Path("models/fashion"),
        help="output path without suffix (default: models/fashion); .keras, .tflite and .json are written",
    )
    combine.set_defaults(handler=_command_combine)

    export = commands.add_parser(
        "export",
        help=(
            "make a calibrated fashion model's 8-bit .tflite, threshold and card again, without "
            "training (needs the train extra)"
        ),
    )
    export.add_argument("model", type=Path, help=".keras file written by combine or train --arch fashion")
    _add_training_data_options(export, "the model was")
    export.add_argument(
        "--output",
        type=Path,
        help="output path without suffix (default: the model's own path); .keras, .tflite and .json are written",
    )
    export.set_defaults(handler=_command_export)

    evaluate = commands.add_parser("evaluate", help="score a .tflite model and write reports")
    evaluate.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help=".tflite model")
    evaluate.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="Fashion-MNIST folder")
    evaluate.add_argument(
        "--real-photos", type=Path, help="folder of real photos, one sub-folder per garment"
    )
    evaluate.add_argument("--output-dir", type=Path, help="where reports go (default: reports/MODEL)")
    evaluate.set_defaults(handler=_command_evaluate)
    return parser


def _print_config_error(error: ConfigError) -> None:
    """Print one error line for each bad variable."""
    for message in error.messages:
        print(f"fashion-assistant: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one subcommand; return the exit status."""
    arguments = _parser().parse_args(argv)
    from bot.analysis import ModelLoadError
    from bot.config import ConfigError
    from classifier.errors import InvalidModelError

    try:
        _configure_logging(arguments.verbose)
    except ConfigError as error:
        if arguments.handler not in (_command_run, _command_health):
            _print_config_error(error)
            return 2
        # run and health report these values with every other bad setting, from load_settings.
        _configure_logging(arguments.verbose, use_defaults=True)
    # PTB 22.8 warns each time it builds a RetryAfter (a flood-limit error) unless this opts in
    # to the timedelta durations of its next major version. The bot reads no other durations.
    os.environ.setdefault("PTB_TIMEDELTA", "1")

    try:
        status = arguments.handler(arguments)
        sys.stdout.flush()
        return status
    except ConfigError as error:
        _print_config_error(error)
        return 2
    except (DatasetNotFoundError, FileNotFoundError) as error:
        print(f"fashion-assistant: error: {error}", file=sys.stderr)
        return 2
    except (ModelLoadError, InvalidModelError) as error:
        print(f"fashion-assistant: error: {error}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as error:
        print(f"fashion-assistant: error: the database cannot be read: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of the output went away, as `| head` does. Python would report it again when
        # it flushes stdout at exit, so stdout now points at /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
