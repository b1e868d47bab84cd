"""When a failed job is tried again, and when Voice stops trying: one rule for every kind of job."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    # Claims a job may have; the claim after the last gives up (its workers kept dying: "interrupted").
    max_attempts: int | None = None
    # The delay before the second attempt after a failure; it doubles with each attempt, up to max_backoff_s.
    backoff_s: float = 0.0
    max_backoff_s: float = 0.0  # 0: no cap
    # Each delay is spread by this share either way, so receivers that failed together are not retried
    # together.
    jitter: float = 0.2
    # No retry is scheduled past the job's creation plus this (a webhook a day old is news no more).
    max_age_s: float | None = None

    def delay(self, attempts: int, rand: float | None = None) -> float:
        """Seconds before the attempt after ``attempts`` (1 for the first failure); ``rand`` in [0, 1)."""
        base = self.backoff_s * 2.0 ** max(attempts - 1, 0)
        if self.max_backoff_s:
            base = min(base, self.max_backoff_s)
        spread = random.random() if rand is None else rand
        return base * (1.0 - self.jitter + 2.0 * self.jitter * spread)

    def exhausted(self, attempts: int) -> bool:
        """Whether a claim that brought the job to ``attempts`` is one too many."""
        return self.max_attempts is not None and attempts > self.max_attempts

    def retry_at(
        self,
        attempts: int,
        created_at: datetime | None,
        now: datetime,
        permanent: bool = False,
        rand: float | None = None,
    ) -> datetime | None:
        """When to try a failed job again; None to give up (a permanent failure, too many attempts, or a
        retry that would fall past ``max_age_s``)."""
        if permanent or (self.max_attempts is not None and attempts >= self.max_attempts):
            return None
        at = now + timedelta(seconds=self.delay(attempts, rand))
        if self.max_age_s is None or created_at is None:
            return at
        return None if (at - created_at).total_seconds() > self.max_age_s else at
