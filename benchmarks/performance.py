"""Performance benchmark: the model, the preprocessing and the whole bot, in one run.

Prints a table and, on its last line, the same figures as JSON:
1. model time per image (batch of one) for LiteRT and for three ways of calling the same network
   in Keras: `model(x)`, a `tf.function` and `model.predict`, with their ratios to LiteRT.
   TensorFlow runs in a child process with its default thread pools, as a bot would use it;
   LiteRT runs on one thread.
2. preprocessing time per photo: a 1280 px Telegram photo, and a 12-megapixel JPEG twice: as a
   camera writes it, with a 160x120 preview in its EXIF data, and without a preview. The one
   without a preview also gets its JPEG decoding time alone (jpeg_scan, on two threads), its
   preprocessing time with the process held to one core, and Pillow's one-thread decoding time
   for comparison. It also times the same photo as a HEIC, with a 320 px thumbnail and without one.
3. the real bot, started as `fashion-assistant run` in its own process against the emulator on
   127.0.0.1, which runs in this process with the simulated customers:
   - the time from the bot's start to its first reply (one photo is waiting when it starts);
   - resident memory (the bot's process and its analysis worker together) after a warm-up of
     2,000 photos, then after every further 2,000 photos;
   - latency from update to reply (p50/p95/p99) while photos arrive at a fixed rate;
   - throughput at saturation: photos queued faster than the bot replies to them.
   Each customer sends a photo at most every few seconds, under the bot's flood limit.
   CPU milliseconds per photo are printed for the bot's process, its analysis worker and this
   process (emulator and customers), which share the machine's cores.

Run: .venv/bin/python benchmarks/performance.py [--photos 10000] [--rate 50]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from PIL import Image

from classifier import jpeg_scan
from classifier.inference import DEFAULT_MODEL_PATH, GarmentClassifier
from classifier.preprocess import WORKING_SIZE, preprocess_photo
from emulator import BotApiEmulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serving import make_photo, summary, time_calls  # noqa: E402

from tests.camera_files import camera_jpeg  # noqa: E402

TOKEN = "123456:BENCH-token-for-the-emulator"
REPOSITORY = Path(__file__).resolve().parent.parent
# Photos queued at once before the first memory reading and the timed phases. By their end the
# bot's bounded caches are full and it has run at its highest concurrency.
WARM_UP_PHOTOS = 2000
# Memory is read again after every this many photos.
MEMORY_STEP = 2000


def keras_model_times(keras_path: str, repeat: int) -> dict:
    """Time one image through Keras three ways; runs in a child process so TensorFlow stays out of ours."""
    import keras
    import tensorflow as tf

    model = keras.models.load_model(keras_path, compile=False)
    image = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
    tensor = tf.constant(image)
    compiled = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return {
        "keras_call": summary(time_calls(lambda: model(tensor, training=False), repeat)),
        "tf_function": summary(time_calls(lambda: compiled(tensor), repeat)),
        "model_predict": summary(time_calls(lambda: model.predict(image, verbose=0), repeat)),
    }


def model_times(model_path: Path, repeat: int) -> dict:
    classifier = GarmentClassifier(model_path, num_threads=1)
    image = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
    figures = {"litert": summary(time_calls(lambda: classifier.predict_probabilities(image), repeat * 5))}
    keras_path = model_path.with_suffix(".keras")
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        figures.update(pool.submit(keras_model_times, str(keras_path), repeat).result())
    litert = figures["litert"]["median_ms"]
    for name in ("keras_call", "tf_function", "model_predict"):
        figures[name]["times_litert"] = round(figures[name]["median_ms"] / litert, 1)
    return figures


def pillow_draft_decode(data: bytes) -> None:
    """Decode a JPEG with Pillow's draft mode at the smallest DCT scale, on one thread."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (WORKING_SIZE * 2, WORKING_SIZE * 2))
    image.load()


def on_one_core(function):
    """Run `function` with this process held to one core, so jpeg_scan reads on one thread."""
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        return function()
    finally:
        os.sched_setaffinity(0, cores)


def encode_heic(jpeg: bytes, thumbnails: list[int]) -> bytes:
    """Save a JPEG's picture again as a HEIC, at quality 80, with thumbnails of these long sides."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(buffer, "HEIF", quality=80, thumbnails=thumbnails)
    return buffer.getvalue()


def preprocessing_times(repeat: int) -> dict:
    telegram_photo = make_photo(1280, 960)
    camera_file = make_photo(4000, 3000)
    with_preview = camera_jpeg(Image.open(io.BytesIO(camera_file)))
    heic_with_thumbnail = encode_heic(camera_file, thumbnails=[320])
    heic = encode_heic(camera_file, thumbnails=[])
    return {
        "1280px_jpeg": summary(time_calls(lambda: preprocess_photo(telegram_photo), repeat)),
        "12mp_jpeg_with_preview": summary(time_calls(lambda: preprocess_photo(with_preview), repeat)),
        "12mp_jpeg": summary(time_calls(lambda: preprocess_photo(camera_file), max(5, repeat // 4))),
        "12mp_jpeg_decode_only": summary(
            time_calls(lambda: jpeg_scan.decode_eighth_scale(camera_file), max(5, repeat // 4))
        ),
        "12mp_jpeg_one_core": on_one_core(
            lambda: summary(time_calls(lambda: preprocess_photo(camera_file), max(5, repeat // 4)))
        ),
        "12mp_jpeg_pillow_decode": summary(
            time_calls(lambda: pillow_draft_decode(camera_file), max(5, repeat // 4))
        ),
        "12mp_heic_with_thumbnail": summary(
            time_calls(lambda: preprocess_photo(heic_with_thumbnail), repeat)
        ),
        # One call takes about 0.4 s, so five calls are enough.
        "12mp_heic": summary(time_calls(lambda: preprocess_photo(heic), 5)),
        "12mp_jpeg_with_preview_bytes": len(with_preview),
        "12mp_jpeg_bytes": len(camera_file),
    }


def percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99)}


class BotUnderTest:
    """The bot as a child process, and readings of its memory and CPU time from /proc.

    The readings add up the bot's process and its descendants: the photo analysis worker and
    the resource tracker that Python's multiprocessing starts beside it.
    """

    def __init__(self, emulator: BotApiEmulator, folder: Path) -> None:
        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.api_base_url,
            "TELEGRAM_FILE_BASE_URL": emulator.file_base_url,
            "FASHION_DATABASE": str(folder / "bench.db"),
            "FASHION_LOG_LEVEL": "WARNING",
        }
        command = [str(Path(sys.executable).parent / "fashion-assistant"), "run"]
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, env=environment, cwd=REPOSITORY, stderr=subprocess.DEVNULL)

    def processes(self) -> list[int]:
        """Return the bot's process id and those of its descendants (the analysis worker and helpers)."""
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(fields[1])
        family = [self.process.pid]
        for pid in sorted(parents):
            if parents[pid] in family:
                family.append(pid)
        return family

    def resident_mb(self) -> float:
        """Return the resident memory of the bot and its descendants together, in MB."""
        total = 0
        for pid in self.processes():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return round(total / 1024, 1)

    def cpu_seconds(self) -> tuple[float, float]:
        """Return the CPU seconds used by the bot's process, and by its running descendants together."""
        times = []
        for pid in self.processes():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            times.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
        return times[0], sum(times[1:])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Customers:
    """Simulated customers taking turns to send photos; remembers when each photo was sent."""

    def __init__(self, emulator: BotApiEmulator, count: int) -> None:
        self.emulator = emulator
        self.users = [
            emulator.user(id=10_000 + n, first_name=f"Customer {n}", language_code=("en", "it")[n % 2])
            for n in range(count)
        ]
        self.photos = [make_photo(1280, 960, seed) for seed in range(8)]
        self.sent = 0
        # chat id -> send times of the photos not yet matched with a reply
        self.waiting: dict[int, deque[float]] = defaultdict(deque)

    def send(self) -> None:
        user = self.users[self.sent % len(self.users)]
        sent_at = time.monotonic()
        self.emulator.send_photo(user, self.photos[self.sent % len(self.photos)])
        self.waiting[user.id].append(sent_at)
        self.sent += 1

    def send_at_rate(self, count: int, rate: float) -> None:
        started = time.monotonic()
        for index in range(count):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.send()

    def collect(self, expected: int, timeout: float) -> tuple[list[float], list[float]]:
        """Wait for `expected` replies; return their send times and latencies in seconds, then forget them.

        A chat's replies are matched with its photos in order (the bot does not quote the photo).
        """
        deadline = time.monotonic() + timeout
        while self.emulator.sent_count() < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        replies = self.emulator.sent_messages()
        self.emulator.reset_sent()
        if len(replies) < expected:
            raise TimeoutError(
                f"timed out after {timeout:.0f} s: the bot replied to {len(replies)} of {expected} photos"
            )
        latencies = []
        for reply in replies:
            latencies.append(reply.sent_at - self.waiting[reply.chat_id].popleft())
        return sorted(reply.sent_at for reply in replies), latencies


def cpu_per_photo(before: tuple, after: tuple, photos: int) -> dict:
    """Return CPU milliseconds per photo of the bot, its worker and this process, from two readings."""
    bot, worker, emulator = (round((a - b) / photos * 1000, 1) for a, b in zip(after, before, strict=True))
    return {
        "bot_cpu_ms_per_photo": bot,
        "worker_cpu_ms_per_photo": worker,
        "emulator_cpu_ms_per_photo": emulator,
    }


def end_to_end(total: int, rate: float, seconds: float, customers_count: int, timeout: float) -> dict:
    figures: dict = {}
    with BotApiEmulator(token=TOKEN) as emulator, tempfile.TemporaryDirectory() as folder:
        customers = Customers(emulator, customers_count)
        customers.send()
        bot = BotUnderTest(emulator, Path(folder))
        try:
            reply_times, _ = customers.collect(1, timeout)
            figures["start_to_first_answer_s"] = round(reply_times[0] - bot.started, 2)

            for _ in range(WARM_UP_PHOTOS):
                customers.send()
            customers.collect(WARM_UP_PHOTOS, timeout)
            memory = [{"photos": customers.sent, "resident_mb": bot.resident_mb()}]

            # Fixed offered load: photos arrive at `rate` per second for `seconds`.
            offered = int(rate * seconds)
            cpu_before = (*bot.cpu_seconds(), own_cpu_seconds())
            customers.send_at_rate(offered, rate)
            reply_times, latencies = customers.collect(offered, timeout)
            figures["fixed_load"] = {
                "offered_per_second": rate,
                "photos": offered,
                "answered_per_second": round((offered - 1) / (reply_times[-1] - reply_times[0]), 1),
                **percentiles(latencies),
                **cpu_per_photo(cpu_before, (*bot.cpu_seconds(), own_cpu_seconds()), offered),
            }

            # Saturation: the rest of the photos, queued in batches faster than the bot replies.
            saturation_latencies, rates = [], []
            cpu_before = (*bot.cpu_seconds(), own_cpu_seconds())
            measured = 0
            while customers.sent < total:
                batch = min(MEMORY_STEP, total - customers.sent)
                for _ in range(batch):
                    customers.send()
                reply_times, latencies = customers.collect(batch, timeout)
                saturation_latencies += latencies
                rates.append((batch - 1) / (reply_times[-1] - reply_times[0]))
                measured += batch
                memory.append({"photos": customers.sent, "resident_mb": bot.resident_mb()})
            figures["saturation"] = {
                "photos": measured,
                "answered_per_second": round(statistics.median(rates), 1) if rates else None,
                **percentiles(saturation_latencies),
                **cpu_per_photo(cpu_before, (*bot.cpu_seconds(), own_cpu_seconds()), max(1, measured)),
            }
            figures["memory"] = memory
        finally:
            bot.stop()
    return figures


def print_table(results: dict) -> None:
    models = results["model"]

    print(f"{'model time per image (batch of 1)':<44} {'median ms':>10} {'p95 ms':>10} {'x LiteRT':>9}")
    for name, label in [
        ("litert", "LiteRT, one thread"),
        ("keras_call", "Keras model(x)"),
        ("tf_function", "tf.function"),
        ("model_predict", "Keras model.predict"),
    ]:
        ratio = models[name].get("times_litert", 1.0)
        print(
            f"  {label:<42} {models[name]['median_ms']:>10.3f} {models[name]['p95_ms']:>10.3f} {ratio:>9.1f}"
        )

    print(f"{'preprocessing per photo':<44} {'median ms':>10} {'p95 ms':>10}")
    megabytes = results["preprocessing"]["12mp_jpeg_bytes"] / 1e6
    preview_megabytes = results["preprocessing"]["12mp_jpeg_with_preview_bytes"] / 1e6
    for name, label in [
        ("1280px_jpeg", "1280 px Telegram photo"),
        ("12mp_jpeg_with_preview", f"12-megapixel camera JPEG ({preview_megabytes:.1f} MB)"),
        ("12mp_jpeg", f"12-megapixel JPEG, no preview ({megabytes:.1f} MB)"),
        ("12mp_jpeg_decode_only", "  of which JPEG decoding, two threads"),
        ("12mp_jpeg_one_core", "  the same photo on one core"),
        ("12mp_jpeg_pillow_decode", "  Pillow's one-thread decoding, to compare"),
        ("12mp_heic_with_thumbnail", "12-megapixel HEIC, 320 px thumbnail"),
        ("12mp_heic", "12-megapixel HEIC, no thumbnail"),
    ]:
        figure = results["preprocessing"][name]
        print(f"  {label:<42} {figure['median_ms']:>10.3f} {figure['p95_ms']:>10.3f}")

    bot = results.get("end_to_end")
    if not bot:
        return
    print(f"{'the bot, end to end':<44} {'photos/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, label in [
        ("fixed_load", f"{bot['fixed_load']['offered_per_second']:g} photos/s offered"),
        ("saturation", "saturation"),
    ]:
        phase = bot[name]
        print(
            f"  {label:<42} {phase['answered_per_second']:>10} {phase['p50_ms']:>8} "
            f"{phase['p95_ms']:>8} {phase['p99_ms']:>8}"
        )
        print(
            f"  {'':<42} CPU per photo: bot {phase['bot_cpu_ms_per_photo']} ms, "
            f"analysis worker {phase['worker_cpu_ms_per_photo']} ms, "
            f"emulator and customers {phase['emulator_cpu_ms_per_photo']} ms"
        )
    print(f"  start to first reply: {bot['start_to_first_answer_s']} s")
    readings = ", ".join(f"{m['resident_mb']} MB after {m['photos']}" for m in bot["memory"])
    print(f"  resident memory, bot and worker: {readings}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL_PATH, help=".tflite model (its .keras beside it)"
    )
    parser.add_argument(
        "--repeat", type=int, default=200, help="timed calls per model and preprocessing figure"
    )
    parser.add_argument("--photos", type=int, default=10_000, help="photos sent to the bot in all")
    parser.add_argument(
        "--rate", type=float, default=50.0, help="offered load of the fixed-rate phase, photos/s"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of the fixed-rate phase")
    parser.add_argument("--customers", type=int, default=1000, help="simulated customers")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for one phase's replies"
    )
    parser.add_argument("--skip-bot", action="store_true", help="only the model and preprocessing figures")
    arguments = parser.parse_args()

    results = {
        "cpu_count": os.cpu_count(),
        "model_file": str(arguments.model),
        "model": model_times(arguments.model, arguments.repeat),
        "preprocessing": preprocessing_times(arguments.repeat),
    }
    if not arguments.skip_bot:
        results["end_to_end"] = end_to_end(
            arguments.photos, arguments.rate, arguments.seconds, arguments.customers, arguments.timeout
        )
    print_table(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
