"""Per-key request rate, with the `limits` library (a moving window, in memory or in Redis)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute, parse, storage, strategies

from voice.core.config import LimitSettings


class RateLimiter:
    """``requests_per_minute`` per key over a moving minute (or ``rate``, in `limits` notation, over its own
    window); counts live in ``storage_url``."""

    def __init__(self, settings: LimitSettings) -> None:
        per_minute = RateLimitItemPerMinute(max(1, settings.requests_per_minute))
        try:
            self._item = parse(settings.rate) if settings.rate else per_minute
        except ValueError as exc:  # refused when the service starts, not on the first request
            raise ValueError(f"VOICE_LIMITS__RATE must be like 600/minute, not {settings.rate!r}") from exc
        self._limiter = strategies.MovingWindowRateLimiter(storage.storage_from_string(settings.storage_url))

    def hit(self, key_id: str) -> float | None:
        """Count a request; None when it is allowed, else the seconds until one more would be."""
        if self._limiter.hit(self._item, "voice", key_id):
            return None
        reset = self._limiter.get_window_stats(self._item, "voice", key_id).reset_time
        return float(max(1, math.ceil(reset - time.time())))
