"""The embedded worker: threads in the serving process that take jobs from the database.

Jobs live in the database, not in memory: on restart, queued voicemails and in-flight ones whose
lease expired (their worker died) are picked up again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.jobs import claiming
from voice.jobs import voicemails as voicemail_jobs
from voice.jobs.claiming import LeaseLost
from voice.jobs.kinds import VOICEMAIL
from voice.jobs.leases import owner_token
from voice.pipeline.process import process_voicemail
from voice.storage.models import Status
from voice.transcription.engines import get_engine

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sm = sm
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        # (voicemail, owner) of jobs a database fault interrupted, to take back under their own leases.
        self._interrupted: deque[tuple[str, str]] = deque()
        self.processed = 0

    def start(self) -> None:
        for i in range(self.settings.worker.concurrency or self.settings.transcription.parallel):
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
        """Process one voicemail if there is one (first one a database fault interrupted here), else one
        item of a reprocess run (fresh voicemails always come first); return whether there was work."""
        held = self._take_back()
        if held is not None:
            vm_id, owner = held
        else:
            owner = owner_token()
            claimed = voicemail_jobs.claim_next(self.sm, owner, self.settings.worker.lease_s)
            if claimed is None:
                return self._reprocess_once(owner)
            vm_id = claimed
        try:
            run_claimed(self.settings, self.sm, vm_id, owner)
        except DBAPIError:
            self._interrupted.append((vm_id, owner))
            raise
        self.processed += 1
        return True

    def _take_back(self) -> tuple[str, str] | None:
        """A voicemail whose processing here a database fault interrupted, taken back under its own lease
        (without waiting for the lease to run out, and not counted as an attempt); None if there is none
        or another worker has it now."""
        while self._interrupted:
            vm_id, owner = self._interrupted.popleft()
            try:
                claimed = claiming.claim(
                    self.sm, VOICEMAIL, vm_id, owner, self.settings.worker.lease_s, reenter=True
                )
            except DBAPIError:
                self._interrupted.appendleft((vm_id, owner))  # still down: next time
                raise
            if claimed is not None:
                return vm_id, owner
        return None

    def _reprocess_once(self, owner: str) -> bool:
        from voice.jobs import run_items as item_jobs
        from voice.storage import run_items
        from voice.usecases import reprocess

        if not run_items.release_all(self.sm, self.settings.reprocess.window, executor="service"):
            return False  # no run to work: one query per idle poll, not a claim as well
        item_id = item_jobs.claim(self.sm, owner, self.settings.worker.lease_s, executor="service")
        if item_id is None:
            return False
        reprocess.reprocess_item(self.settings, self.sm, item_id, owner)
        return True


def run_claimed(settings: Settings, sm: sessionmaker[Session], vm_id: str, owner: str) -> str:
    """Process a voicemail this owner holds, renewing the lease while it runs; return the final status
    (or "taken over" when another worker took the job after our lease expired)."""
    lease = settings.worker.lease_s
    try:
        with claiming.heartbeat(sm, VOICEMAIL, vm_id, owner, lease):
            status = process_voicemail(vm_id, owner, settings, sm)
        log.info("voicemail %s: %s", vm_id, status)
        return status
    except LeaseLost:
        log.warning("voicemail %s was taken over by another worker; dropped our result", vm_id)
        return "taken over"
    except DBAPIError:
        raise  # not this voicemail's fault: its holder takes its own lease back when the database answers
    except Exception as exc:
        # A bug that escaped the pipeline: fail the voicemail now with the real reason, rather than let
        # its lease run out three times and end as "interrupted".
        log.exception("voicemail %s failed unexpectedly", vm_id)
        reason = f"internal error: {exc.__class__.__name__}: {exc}"[:500]
        with contextlib.suppress(LeaseLost):
            voicemail_jobs.finish(sm, vm_id, owner, Status.FAILED, reason)
        return Status.FAILED


class HeldElsewhere(Exception):
    """Another worker holds this voicemail's lease; try again when it runs out (it may have died)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"held by another worker for {seconds:.1f} s more")
        self.seconds = seconds


def work_on(
    settings: Settings, sm: sessionmaker[Session], vm_id: str, owner: str, reenter: bool = False
) -> str:
    """Claim one voicemail by id and process it as ``owner`` (a Celery task). "skipped" when it is
    finished already, so a task delivered twice does the work once; HeldElsewhere while another worker's
    lease runs (a claimed voicemail is held whatever its status). ``reenter``: ``owner`` is the token of an
    earlier try that a database fault interrupted, which takes its own lease back at once."""
    if claiming.claim(sm, VOICEMAIL, vm_id, owner, settings.worker.lease_s, reenter=reenter) is None:
        held = claiming.held_for(sm, VOICEMAIL, vm_id)
        if held is not None:
            raise HeldElsewhere(held)
        log.info("voicemail %s: nothing to do (finished or gone)", vm_id)
        return "skipped"
    return run_claimed(settings, sm, vm_id, owner)
