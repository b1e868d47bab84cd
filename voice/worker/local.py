"""The embedded worker: threads in the serving process that take jobs from the database.

Jobs live in the database, not in memory: on restart, queued voicemails and in-flight ones whose
lease expired (their worker died) are picked up again.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.jobs.leases import keep_lease, owner_token
from voice.pipeline.process import process_voicemail
from voice.storage import claims
from voice.storage.models import Status
from voice.transcription.engines import get_engine

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class Worker:
    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sm = sm
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self.processed = 0

    def start(self) -> None:
        for i in range(max(1, self.settings.worker.concurrency)):
            thread = threading.Thread(target=self._run, name=f"voice-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        """A voicemail was queued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        try:
            get_engine(self.settings.transcription)  # load the model once, before the first job
        except Exception:
            log.exception("could not load the transcription model; jobs will fail with the reason")
        while not self._stop.is_set():
            try:
                if not self.run_once():
                    self._wake.wait(self.settings.worker.poll_interval_s)
                    self._wake.clear()
            except Exception:  # the database went away for a moment, say; keep serving
                log.exception("worker loop error")
                self._stop.wait(self.settings.worker.poll_interval_s)

    def run_once(self) -> bool:
        """Process one voicemail if there is one, else one item of a reprocess run (fresh voicemails
        always come first); return whether there was work."""
        owner = owner_token()
        vm_id = claims.claim_next(self.sm, owner, self.settings.worker.lease_s, MAX_ATTEMPTS)
        if vm_id is None:
            return self._reprocess_once(owner)
        run_claimed(self.settings, self.sm, vm_id, owner)
        self.processed += 1
        return True

    def _reprocess_once(self, owner: str) -> bool:
        from voice.storage import run_items
        from voice.usecases import reprocess

        if not run_items.release_all(self.sm, self.settings.reprocess.window, executor="service"):
            return False  # no run to work: one query per idle poll, not a claim as well
        item_id = run_items.claim(self.sm, owner, self.settings.worker.lease_s, executor="service")
        if item_id is None:
            return False
        reprocess.reprocess_item(self.settings, self.sm, item_id, owner)
        return True


def run_claimed(settings: Settings, sm: sessionmaker[Session], vm_id: str, owner: str) -> str:
    """Process a voicemail this owner holds, renewing the lease while it runs; return the final status
    (or "taken over" when another worker took the job after our lease expired)."""
    lease = settings.worker.lease_s
    try:
        with keep_lease(lambda: claims.renew_lease(sm, vm_id, owner, lease), lease, f"voicemail {vm_id}"):
            status = process_voicemail(vm_id, owner, settings, sm)
        log.info("voicemail %s: %s", vm_id, status)
        return status
    except claims.LeaseLost:
        log.warning("voicemail %s was taken over by another worker; dropped our result", vm_id)
        return "taken over"
    except DBAPIError:
        raise  # not this voicemail's fault: the lease runs out and it is taken up again
    except Exception as exc:
        # A bug that escaped the pipeline: fail the voicemail now with the real reason, rather than let
        # its lease run out three times and end as "interrupted".
        log.exception("voicemail %s failed unexpectedly", vm_id)
        reason = f"internal error: {exc.__class__.__name__}: {exc}"[:500]
        with contextlib.suppress(claims.LeaseLost):
            claims.finish(sm, vm_id, owner, Status.FAILED, reason)
        return Status.FAILED


class HeldElsewhere(Exception):
    """Another worker holds this voicemail's lease; try again when it runs out (it may have died)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"held by another worker for {seconds:.1f} s more")
        self.seconds = seconds


def work_on(settings: Settings, sm: sessionmaker[Session], vm_id: str) -> str:
    """Claim one voicemail by id and process it (a Celery task). "skipped" when it is finished already,
    so a task delivered twice does the work once; HeldElsewhere while another worker's lease runs."""
    owner = owner_token()
    if not claims.claim(sm, vm_id, owner, settings.worker.lease_s, MAX_ATTEMPTS):
        held = claims.held_for(sm, vm_id)
        if held is not None:
            raise HeldElsewhere(held)
        log.info("voicemail %s: nothing to do (finished or gone)", vm_id)
        return "skipped"
    return run_claimed(settings, sm, vm_id, owner)
