"""How many transcriptions run at once on one model, weighed by the memory each needs.

Two one-thread transcriptions side by side use both cores (bench/README.md, "Both cores on a backlog"), but a
window encoded at its full 30 s takes 160-180 MB of working memory with beam 5 (the cross-attention keys and
values of 1500 frames for each beam): two at once took `voice serve` to 630 MB. So a transcription whose first
window is full holds every slot, and short windows share them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Slots:
    """A semaphore whose holders take one slot or all of them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._free = self.capacity
        self._changed = threading.Condition()
        self.most_held = 0  # the most slots held at once, for tests

    @contextmanager
    def hold(self, whole: bool = False) -> Iterator[None]:
        """One slot, or (``whole``) every slot: wait until that many are free."""
        want = self.capacity if whole else 1
        with self._changed:
            self._changed.wait_for(lambda: self._free >= want)
            self._free -= want
            self.most_held = max(self.most_held, self.capacity - self._free)
        try:
            yield
        finally:
            with self._changed:
                self._free += want
                self._changed.notify_all()
