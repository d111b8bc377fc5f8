"""Photo analysis: decoding, the garment mask, the model and the colours, off the event loop.

By default a worker process analyses the photos. In the bot's own process this work and the event
loop share one interpreter lock, so under load each waits for the other and the second core
idles. With FASHION_ANALYSIS_PROCESSES=0 two threads of the bot's process do it instead, which
starts faster and is what most tests use.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from classifier.inference import GarmentClassifier, Prediction
from insights.colours import dominant_colours

__all__ = ["ModelLoadError", "PhotoAnalysis", "analyse", "start_pool", "warm_up"]

logger = logging.getLogger(__name__)

# Threads analysing photos when no worker process is used; the machine this was sized on has 2 cores.
WORKER_THREADS = 2

# The classifier a worker process loaded at start; None in the bot's own process.
_worker_classifier: GarmentClassifier | None = None


class ModelLoadError(RuntimeError):
    """The analysis pool could not load the model."""


@dataclass(frozen=True)
class PhotoAnalysis:
    """Result of analysing one photo: the prediction, the 28x28 uint8 input the model saw, its colours."""

    prediction: Prediction
    model_input: bytes
    colours: tuple[str, ...]


def _load_worker_classifier(model_path: str) -> None:
    """Load the model into a new worker process, which leaves SIGINT and SIGTERM to the bot."""
    # Ctrl-C in a terminal reaches the whole process group. The bot finishes the photos in flight
    # and then stops the worker, so the worker must not stop first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The worker keeps both ends of its task queue open, so it never sees a bot killed with SIGKILL
    # close it. This thread ends the worker when the parent process dies.
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()
    global _worker_classifier
    _worker_classifier = GarmentClassifier(Path(model_path))


def _exit_with_parent() -> None:
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(0)


def warm_up() -> None:
    """Do nothing: awaiting it on a new pool waits until the worker has loaded the model."""


def analyse(data: bytes, classifier: GarmentClassifier | None = None) -> PhotoAnalysis:
    """Decode and classify one photo with `classifier`, or in a worker process with the one it loaded.

    Raises ImageRejected for data that is not a usable image.
    """
    # Imported here: the preprocessing (with SciPy) is needed in the worker, not in the bot's process.
    from classifier.preprocess import prepare_photo, reject_blank

    classifier = classifier or _worker_classifier
    if classifier is None:
        raise RuntimeError("analyse() needs a classifier outside a worker process started by start_pool()")
    prepared = prepare_photo(data)
    reject_blank(prepared)
    prediction = classifier.classify_inputs(prepared.model_input[np.newaxis])[0]
    model_input = (prepared.model_input[..., 0] * 255).round().astype(np.uint8).tobytes()
    colours = dominant_colours(prepared.rgb, prepared.mask) if prepared.mask is not None else ()
    return PhotoAnalysis(prediction, model_input, colours)


def start_pool(model_path: Path, processes: int) -> Executor:
    """Return the executor for `analyse`: `processes` worker processes, or threads when it is 0."""
    if processes == 0:
        return ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="classify")
    # A new interpreter rather than a fork: the bot's process already runs threads, which a fork
    # would copy in whatever state they were.
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=get_context("spawn"),
        initializer=_load_worker_classifier,
        initargs=(str(model_path),),
    )
