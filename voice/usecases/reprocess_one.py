"""Reprocessing one voicemail (POST /v1/voicemails/{id}/reprocess and the inbox's button): a reprocess run
of one item, so "reprocess" means one thing.

Like any run, it transcribes the stored audio again with what the deployment transcribes with now, and the
new revision becomes current only if it succeeds: a failure leaves the voicemail and its current transcript
as they were, and the run's item says why. A failed voicemail whose audio was never stored (the pipeline
failed before keeping it) is no run's item: for it the request is a retry of the whole pipeline from the start
(fetch included), and the voicemail shows as processing meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice.storage import agents, audit, runs
from voice.storage.models import (
    ItemState,
    ReprocessItem,
    ReprocessRun,
    RunState,
    Status,
    Voicemail,
    VoicemailEvent,
)


class Busy(Exception):
    """The voicemail is queued or being processed, or a running run holds it; the message says which."""


class WorkerDispatch(Protocol):
    """What tells the workers (voice.worker.dispatch.Dispatch, in the local or Celery mode)."""

    def voicemail(self, vm_id: str, reprocess: bool = False, priority: float | None = None) -> None: ...
    def pump_runs(self, sm: sessionmaker[Session]) -> int: ...


@dataclass(frozen=True)
class Requested:
    id: str
    status: str  # the voicemail's, now: unchanged by a run; queued for a retry
    run_id: str | None  # None: a retry of the pipeline, not a run


def audio_never_stored(vm: Voicemail) -> bool:
    """It failed before the pipeline kept its normalised audio (while fetching, normalising or transcribing),
    and retention did not delete it. A run has nothing processed to work from, and could not store what the
    pipeline stores with the audio (its path, duration, speech time): the whole pipeline must run again."""
    return vm.status == Status.FAILED and vm.audio_path is None and vm.audio_deleted_at is None


def _held_by_run(session: Session, vm_id: str) -> str | None:
    """A running run with this voicemail's item not yet ended (one reprocess at a time, as a click twice)."""
    return session.scalar(
        select(ReprocessItem.run_id)
        .join(ReprocessRun, ReprocessRun.id == ReprocessItem.run_id)
        .where(
            ReprocessItem.voicemail_id == vm_id,
            ReprocessItem.state.in_(ItemState.OPEN),
            ReprocessRun.state == RunState.RUNNING,
        )
        .limit(1)
    )


def _request(session: Session, vm: Voicemail, who: str, actor: str) -> Requested:
    if vm.status not in Status.FINAL:
        raise Busy("the voicemail is queued or being processed; try again when it has finished")
    if audio_never_stored(vm):
        if not agents.requeue(session, vm.id, who):
            raise Busy("the voicemail is queued or being processed; try again when it has finished")
        audit.record(session, actor, "reprocess", vm.id, retry=True)
        return Requested(vm.id, Status.QUEUED, None)
    held = _held_by_run(session, vm.id)
    if held is not None:
        raise Busy(f"the voicemail is being reprocessed (run {held}); try again when it has finished")
    run = runs.create_run(session, runs.Selection(ids=(vm.id,)), runs.Target(), actor)
    if run.selected != 1:  # a worker took it up between the check and the run (only finished ones are taken)
        raise Busy("the voicemail is queued or being processed; try again when it has finished")
    detail = f"reprocess requested by {who}: run {run.id}"
    session.add(VoicemailEvent(voicemail_id=vm.id, status=vm.status, detail=detail))
    audit.record(session, actor, "reprocess", vm.id, run_id=run.id)
    return Requested(vm.id, vm.status, run.id)


def reprocess_voicemail(
    sm: sessionmaker[Session], vm_id: str, who: str, actor: str, dispatch: WorkerDispatch
) -> Requested:
    """Reprocess one voicemail (a run of one item), or retry it from the start when its audio was never
    stored; committed, and the workers told. ``who`` names the requester in the voicemail's history,
    ``actor`` in the audit trail and the run. Raises Busy (nothing changed) while it is being processed,
    LookupError when there is no such voicemail."""
    with sm() as session:
        vm = session.get(Voicemail, vm_id)
        if vm is None:
            raise LookupError(vm_id)
        try:
            requested = _request(session, vm, who, actor)
        except Busy:
            session.rollback()
            raise
        session.commit()
        priority = vm.priority
    if requested.run_id is None:
        dispatch.voicemail(vm_id, reprocess=True, priority=priority)
    else:
        dispatch.pump_runs(sm)  # released now; the local worker is woken, or the item is sent to Celery
    return requested
