"""Per-key request rate, with the `limits` library (a moving window, in memory or in Redis)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute, storage, strategies

from voice.config import LimitSettings


class RateLimiter:
    """``requests_per_minute`` per key over a moving minute; counts live in ``storage_url``."""

    def __init__(self, settings: LimitSettings) -> None:
        self._item = RateLimitItemPerMinute(max(1, settings.requests_per_minute))
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(settings.storage_url))

    def hit(self, key_id: str) -> float | None:
        """Count a request; None when it is allowed, else the seconds until one more would be."""
        if self._limiter.hit(self._item, "voice", key_id):
            return None
        reset = self._limiter.get_window_stats(self._item, "voice", key_id).reset_time
        return float(max(1, math.ceil(reset - time.time())))
