"""Services the handlers share: the database, the loaded classifier, the worker pool and small caches.

Nothing here talks to Telegram. The services are created once in the application's `post_init`
and closed in `post_shutdown`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bot.analysis import ModelLoadError, PhotoAnalysis, analyse, start_pool, warm_up
from bot.limits import PhotoRateLimiter
from classifier.inference import GarmentClassifier, model_version
from storage import Database

__all__ = ["BotServices", "PhotoAnalysis"]

logger = logging.getLogger(__name__)

# Model inputs kept in memory so that a customer's correction can store what the model saw.
# The oldest are dropped first, and none survives a restart.
RECENT_INPUTS = 2000


@dataclass
class BotServices:
    """The database, the model's version and the pool that decodes and classifies photos (`bot.analysis`).

    `analysis_processes` is the number of worker processes, which load the model themselves, or 0
    for threads in this process, which share one classifier loaded here. Call `start()` before use.
    """

    database: Database
    model_path: Path
    analysis_processes: int = 0
    limiter: PhotoRateLimiter = field(default_factory=PhotoRateLimiter)
    started_at: float = field(default_factory=time.monotonic)
    _languages: dict[int, str | None] = field(default_factory=dict)
    # Classification id -> (user id, model input).
    _recent_inputs: OrderedDict[int, tuple[int, bytes]] = field(default_factory=OrderedDict)
    executor: Executor = field(init=False)
    classifier: GarmentClassifier | None = field(init=False, default=None)
    model_version: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.executor = start_pool(self.model_path, self.analysis_processes)

    async def start(self) -> None:
        """Load the model here (threads) or wait until the worker has loaded it; raise when it cannot.

        Raises ModelLoadError when the worker cannot load the model, and the classifier's own error
        (FileNotFoundError, ValueError) when this process cannot.
        """
        self.model_version = model_version(self.model_path)
        if self.analysis_processes == 0:
            self.classifier = GarmentClassifier(self.model_path)
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, warm_up)
        except BrokenProcessPool as error:
            raise ModelLoadError(
                f"the photo analysis worker could not load the model {self.model_path} "
                "(its error is logged above); check FASHION_MODEL"
            ) from error

    async def analyse_photo(self, data: bytes) -> PhotoAnalysis:
        """Decode and classify one photo on the worker pool, keeping the event loop free.

        When the worker process has died, a new one starts and gets the photo once more. Raises
        ImageRejected for data that is not a usable image, and BrokenProcessPool when the photo
        also stops the second worker.
        """
        loop = asyncio.get_running_loop()
        # A worker process has its own classifier, while threads share this process's one.
        call = partial(analyse, data) if self.analysis_processes else partial(analyse, data, self.classifier)
        executor = self.executor
        try:
            return await loop.run_in_executor(executor, call)
        except BrokenProcessPool:
            self._replace_broken_pool(executor)
        executor = self.executor
        try:
            return await loop.run_in_executor(executor, call)
        except BrokenProcessPool:
            self._replace_broken_pool(executor)
            raise

    def _replace_broken_pool(self, broken: Executor) -> None:
        # Photos in flight when the worker died all land here, and only the first replaces it.
        if self.executor is broken:
            logger.error("The photo analysis worker stopped; starting a new one")
            self.executor = start_pool(self.model_path, self.analysis_processes)

    def remember_input(self, classification_id: int, user_id: int, model_input: bytes) -> None:
        """Keep a model input for a while, in case the customer corrects the answer."""
        self._recent_inputs[classification_id] = (user_id, model_input)
        while len(self._recent_inputs) > RECENT_INPUTS:
            self._recent_inputs.popitem(last=False)

    def recent_input(self, classification_id: int) -> bytes | None:
        """Return the model input of a recent answer, or None once it has been dropped."""
        entry = self._recent_inputs.get(classification_id)
        return entry[1] if entry else None

    async def language_override(self, user_id: int) -> str | None:
        """Return the language a user chose with /language, cached after the first look-up."""
        if user_id not in self._languages:
            self._languages[user_id] = await self.database.language_override(user_id)
        return self._languages[user_id]

    async def set_language_override(self, user_id: int, language: str | None, at) -> None:
        """Store a user's language choice (None: follow Telegram's setting)."""
        await self.database.set_language_override(user_id, language, at)
        self._languages[user_id] = language

    def forget_cached(self, user_id: int) -> None:
        """Drop what the caches hold about a user, after /forget."""
        self._languages.pop(user_id, None)
        for classification_id in [key for key, (owner, _) in self._recent_inputs.items() if owner == user_id]:
            del self._recent_inputs[classification_id]

    async def close(self) -> None:
        """Wait for running work to finish, then close the database."""
        self.executor.shutdown(wait=True)
        await self.database.close()
