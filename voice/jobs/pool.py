"""A claiming thread that hands jobs to a pool of threads, with at most ``per_group`` of one group (an API
key) at once, so a slow party holds back its own jobs only."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from voice.jobs.claiming import Claimed

log = logging.getLogger(__name__)


class Pool:
    def __init__(
        self,
        name: str,
        claim: Callable[[frozenset[str]], Claimed | None],
        work: Callable[[Claimed, float], object],
        concurrency: int,
        per_group: int | None,
        poll_s: float,
    ) -> None:
        """``claim(groups at their cap)`` takes a job or answers None; ``work(job, when its lease began on
        time.monotonic())`` does it."""
        self.name = name
        self._claim, self._work = claim, work
        self.concurrency, self.per_group, self.poll_s = concurrency, per_group, poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running = 0
        self._per_group: Counter[str | None] = Counter()

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.name)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Work may be waiting: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:  # jobs in hand end by their own deadlines
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _busy(self) -> frozenset[str] | None:
        """The groups at their cap; None when the pool is full."""
        with self._lock:
            if self._running >= self.concurrency:
                return None
            cap = self.per_group
            return frozenset(g for g, n in self._per_group.items() if g and cap is not None and n >= cap)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._busy()
                began = time.monotonic()  # the lease starts no earlier than this
                job = None if busy is None else self._claim(busy)
                if job is None:
                    self._wake.wait(self.poll_s)  # woken early when a job ends
                    self._wake.clear()
                    continue
                with self._lock:
                    self._running += 1
                    self._per_group[job.group] += 1
                assert self._pool is not None
                self._pool.submit(self._do, job, began)
            except Exception:  # the database went away for a moment; keep going
                log.exception("%s: claiming failed", self.name)
                self._stop.wait(self.poll_s)

    def _do(self, job: Claimed, began: float) -> None:
        try:
            self._work(job, began)
        except Exception:  # the database went away for a moment; the lease gives the job back later
            log.exception("%s: job %s failed", self.name, job.id)
        finally:
            with self._lock:
                self._running -= 1
                self._per_group[job.group] -= 1
                if self._per_group[job.group] <= 0:
                    del self._per_group[job.group]
            self._wake.set()
