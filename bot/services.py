"""Services the handlers share: the database, the loaded classifier, the worker pool and small caches.

Nothing here talks to Telegram. The services are created once in the application's `post_init`
and closed in `post_shutdown`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from bot.limits import PhotoRateLimiter
from classifier.inference import GarmentClassifier, Prediction
from classifier.preprocess import prepare_photo
from insights.colours import dominant_colours
from storage import Database

__all__ = ["BotServices", "PhotoAnalysis"]

logger = logging.getLogger(__name__)

# Model inputs kept in memory so that a customer's correction can store what the model saw.
# The oldest are dropped first, and none survives a restart.
RECENT_INPUTS = 2000


@dataclass(frozen=True)
class PhotoAnalysis:
    """Result of analysing one photo: the prediction, the 28x28 uint8 input the model saw, its colours."""

    prediction: Prediction
    model_input: bytes
    colours: tuple[str, ...]


@dataclass
class BotServices:
    """The database, the classifier and the thread pool that decodes and classifies photos."""

    database: Database
    classifier: GarmentClassifier
    executor: ThreadPoolExecutor
    limiter: PhotoRateLimiter = field(default_factory=PhotoRateLimiter)
    started_at: float = field(default_factory=time.monotonic)
    _languages: dict[int, str | None] = field(default_factory=dict)
    # Classification id -> (user id, model input).
    _recent_inputs: OrderedDict[int, tuple[int, bytes]] = field(default_factory=OrderedDict)

    async def analyse_photo(self, data: bytes) -> PhotoAnalysis:
        """Decode and classify one photo on the worker pool, keeping the event loop free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._analyse, data)

    def _analyse(self, data: bytes) -> PhotoAnalysis:
        prepared = prepare_photo(data)
        prediction = self.classifier.classify_inputs(prepared.model_input[np.newaxis])[0]
        model_input = (prepared.model_input[..., 0] * 255).round().astype(np.uint8).tobytes()
        colours = dominant_colours(prepared.rgb, prepared.mask) if prepared.mask is not None else ()
        return PhotoAnalysis(prediction, model_input, colours)

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
