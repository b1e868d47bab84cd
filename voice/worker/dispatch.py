"""How a voicemail id reaches a worker. ``local``: wake the threads in this process (they poll the
database anyway). ``celery``: publish to the broker, off the request path, and re-send voicemails whose
dispatch was lost or whose worker died (the database decides who processes, so extra sends are harmless)."""

from __future__ import annotations

import logging
import queue
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.jobs import claiming
from voice.jobs.kinds import VOICEMAIL
from voice.worker.local import Worker

log = logging.getLogger(__name__)


# After a failed publish, skip publishing for this long: the voicemails are in the database and the
# sweeper sends them once the broker answers, so a request path never queues up behind a dead broker.
BROKER_BACKOFF_S = 5.0


class Dispatch:
    def __init__(self, settings: Settings, worker: Worker | None = None) -> None:
        self.settings = settings
        self.worker = worker
        self._outbox: queue.SimpleQueue[tuple[str, bool, float | None] | None] = queue.SimpleQueue()
        self._broker_down_until = 0.0
        self._publisher: threading.Thread | None = None
        if settings.dispatch == "celery":
            # One publishing thread: posts hand it the id and answer at once; fewer threads contend
            # for the GIL than with a pool.
            self._publisher = threading.Thread(target=self._publish, name="voice-dispatch", daemon=True)
            self._publisher.start()

    def voicemail(self, vm_id: str, reprocess: bool = False, priority: float | None = None) -> None:
        if self._publisher is not None:
            self._outbox.put((vm_id, reprocess, priority))
        elif self.worker is not None:
            self.worker.notify()

    def _publish(self) -> None:
        from voice.worker import celery_app

        while (item := self._outbox.get()) is not None:
            if time.monotonic() < self._broker_down_until:
                continue  # recorded as queued; the sweeper re-sends it when the broker is back
            if not celery_app.send(self.settings, *item):
                self._broker_down_until = time.monotonic() + BROKER_BACKOFF_S

    def resend_stale(self, sm: sessionmaker[Session]) -> int:
        """Publish again what should be running but is not; returns how many were sent.

        A worker that died leaves its voicemail with an expired lease (in flight, or claimed and still
        queued): always sent again.
        A queued voicemail may just be waiting its turn in a backlog, or its message may be lost (posted
        while the broker was down, or a broker restarted without persistence). The broker's queue depth
        tells the two apart: only as many of the oldest as the broker is short of are sent again, and
        each at most once per ``redispatch_after_s``. Extra sends are harmless (the database decides who
        processes); a flood of them is not.
        """
        if self.settings.dispatch != "celery":
            return 0
        from voice.worker import celery_app

        c = self.settings.celery
        found = claiming.stale(sm, VOICEMAIL, c.redispatch_after_s)
        queued, orphaned, total_queued = found.waiting, found.orphaned, found.total_waiting
        if not queued and not orphaned:
            return 0
        depth = celery_app.queue_depth(self.settings)
        if depth is None:
            return 0  # the broker is out of reach; sending would fail too
        lost = queued[: max(0, total_queued - depth)]
        sent = [vm_id for vm_id in orphaned + lost if celery_app.send(self.settings, vm_id)]
        claiming.mark_dispatched(sm, VOICEMAIL, sent)
        if sent:
            log.info(
                "re-dispatched %d voicemail(s): %d whose worker died, %d of %d queued (broker holds %d)",
                len(sent), len(orphaned), len(lost), total_queued, depth,
            )  # fmt: skip
        return len(sent)

    def pump_runs(self, sm: sessionmaker[Session]) -> int:
        """Release the next items of every running reprocess run, within its rate and window: to the
        reprocessing queue (celery), or to this process's worker (local); returns how many were released."""
        from voice.jobs import run_items as item_jobs
        from voice.storage import run_items

        released = 0
        celery = self.settings.dispatch == "celery"
        # Locally, a run made by `voice reprocess` is worked by that process; this worker takes the rest.
        moved = run_items.release_all(sm, self.settings.reprocess.window, None if celery else "service")
        for run_id, ids in moved.items():
            if celery:
                from voice.worker import celery_app

                again = item_jobs.stale_queued(sm, run_id, self.settings.celery.redispatch_after_s)
                for item_id in ids + again:
                    celery_app.send_item(self.settings, item_id)
            released += len(ids)
        if released and self.worker is not None:
            self.worker.notify()
        return released

    def close(self) -> None:
        if self._publisher is not None:
            self._outbox.put(None)
            self._publisher.join(30)
