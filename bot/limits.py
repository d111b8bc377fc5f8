"""A per-user limit on photos, so one customer's flood cannot slow everyone else down."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["FloodDecision", "PhotoRateLimiter"]


@dataclass(frozen=True)
class FloodDecision:
    """Whether a photo may be processed, and whether to tell the user they hit the limit."""

    allowed: bool
    notify: bool


class PhotoRateLimiter:
    """Sliding-window limit: at most `max_photos` per user in any `window_seconds`.

    The first refused photo of a burst gets `notify=True` so the bot says so once; the rest of
    the burst is dropped quietly. Not thread-safe: call it from the event loop only.
    """

    def __init__(self, max_photos: int = 20, window_seconds: float = 60.0) -> None:
        self.max_photos = max_photos
        self.window_seconds = window_seconds
        self._accepted: dict[int, deque[float]] = {}
        self._notified: set[int] = set()

    def check(self, user_id: int, now: float) -> FloodDecision:
        """Record one photo from `user_id` at monotonic time `now` and decide on it."""
        times = self._accepted.setdefault(user_id, deque())
        while times and now - times[0] >= self.window_seconds:
            times.popleft()
        if len(times) < self.max_photos:
            times.append(now)
            self._notified.discard(user_id)
            return FloodDecision(allowed=True, notify=False)
        notify = user_id not in self._notified
        self._notified.add(user_id)
        return FloodDecision(allowed=False, notify=notify)
