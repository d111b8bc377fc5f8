"""What the handlers share: the database, the loaded classifier, and the worker pool for blocking work.

Nothing here talks to Telegram. The services are created once in the application's `post_init`
and closed in `post_shutdown`.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from classifier.inference import GarmentClassifier, Prediction
from storage import Database

__all__ = ["BotServices"]

logger = logging.getLogger(__name__)


@dataclass
class BotServices:
    """The database, the classifier and the thread pool that decodes and classifies photos."""

    database: Database
    classifier: GarmentClassifier
    executor: ThreadPoolExecutor

    async def classify_photo(self, data: bytes) -> Prediction:
        """Decode and classify one photo on the worker pool, keeping the event loop free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.classifier.classify_photo, data)

    async def close(self) -> None:
        """Wait for running work to finish, then close the database."""
        self.executor.shutdown(wait=True)
        await self.database.close()
