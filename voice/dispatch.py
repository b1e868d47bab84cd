"""How a voicemail id reaches a worker. ``local``: wake the threads in this process (they poll the
database anyway). ``celery``: publish to the broker, off the request path, and re-send voicemails whose
dispatch was lost or whose worker died (the database decides who processes, so extra sends are harmless)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from voice import store
from voice.config import Settings
from voice.worker import Worker

log = logging.getLogger(__name__)


class Dispatch:
    def __init__(self, settings: Settings, worker: Worker | None = None) -> None:
        self.settings = settings
        self.worker = worker
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="voice-dispatch")

    def voicemail(self, vm_id: str, reprocess: bool = False, priority: float | None = None) -> None:
        if self.settings.dispatch == "celery":
            from voice import celery_app

            self._pool.submit(celery_app.send, self.settings, vm_id, reprocess, priority)
        elif self.worker is not None:
            self.worker.notify()

    def resend_stale(self, sm: sessionmaker[Session]) -> int:
        """Publish again what should be running but is not; returns how many were sent."""
        if self.settings.dispatch != "celery":
            return 0
        from voice import celery_app

        ids = store.stale(sm, self.settings.celery.redispatch_after_s)
        sent = sum(celery_app.send(self.settings, vm_id) for vm_id in ids)
        if ids:
            log.info("re-dispatched %d of %d stalled voicemail(s)", sent, len(ids))
        return sent

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
