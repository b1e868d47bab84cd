"""Batch reprocessing runs in the database: what they select, how fast they go, how far they got.

A run's items are its selection, written once when the run is made (INSERT ... SELECT), so a run that is
interrupted resumes over exactly the same voicemails. This module is the run itself: its selection and
target, making it, cancelling, pausing and resuming it, and its progress. How its items are released to
workers, claimed, renewed and ended is in voice/storage/run_items.py; the work itself is in
voice/usecases/reprocess.py.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.storage.models import (
    CallRecord,
    ItemState,
    ReprocessItem,
    ReprocessRun,
    RunState,
    Status,
    Summary,
    TranscriptRevision,
    Voicemail,
    as_utc,
    utcnow,
)

STAGES = ("transcribe", "summarise")
SUMMARISERS = ("builtin", "llm")


class RunError(ValueError):
    """A run that cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True)
class Selection:
    """Which voicemails a run takes. Every filter given must hold; only finished voicemails (done, no
    speech, failed) are taken, since one queued or in flight is being processed already."""

    ids: tuple[str, ...] = ()
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before
    mailbox: str | None = None
    status: str | None = None  # done | no_speech | failed
    language: str | None = None  # of the current revision
    engine: str | None = None  # of the current revision
    model: str | None = None  # of the current revision
    intent: str | None = None  # of the current summary
    confidence_below: float | None = None  # the current revision's confidence is under this

    def as_dict(self) -> dict[str, Any]:
        """The filters given, JSON-ready (ids as a count when there are many)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value is None or value == ():
                continue
            if isinstance(value, datetime):
                value = value.isoformat()
            elif key == "ids":
                value = list(value) if len(value) <= 50 else f"{len(value)} ids"
            out[key] = value
        return out


@dataclass(frozen=True)
class Target:
    """What the run does to each voicemail."""

    stage: str = "transcribe"  # transcribe (audio again) | summarise (the stored transcript only)
    engine: str | None = None  # None: as configured
    model: str | None = None
    summariser: str | None = None  # builtin | llm; None: as configured
    rate_per_min: float | None = None  # None: as fast as the workers go

    def check(self, llm_configured: bool) -> None:
        if self.stage not in STAGES:
            raise RunError(f"stage must be one of {', '.join(STAGES)}")
        if self.stage == "summarise" and (self.engine or self.model):
            raise RunError("a summarise-only run keeps the stored transcript: --engine/--model do not apply")
        if self.summariser is not None and self.summariser not in SUMMARISERS:
            raise RunError(f"summariser must be one of {', '.join(SUMMARISERS)}")
        if self.summariser == "llm" and not llm_configured:
            raise RunError("the llm summariser is not configured (set VOICE_SUMMARY__LLM__BASE_URL)")
        if self.rate_per_min is not None and not 0.01 <= self.rate_per_min <= 100_000:
            raise RunError("the rate must be between 0.01 and 100000 per minute")


def _selected(sel: Selection) -> Select[str, float]:
    """SELECT id, duration of the voicemails a selection takes (oldest first)."""
    v = Voicemail
    query = select(v.id, func.coalesce(v.duration_s, 0.0)).where(v.status.in_(Status.FINAL))
    if sel.ids:
        query = query.where(v.id.in_(sel.ids))
    if sel.status:
        query = query.where(v.status == sel.status)
    if sel.since:
        query = query.where(v.created_at >= sel.since)
    if sel.until:
        query = query.where(v.created_at < sel.until)
    if sel.mailbox:
        query = query.where(v.call_id.in_(select(CallRecord.id).where(CallRecord.mailbox == sel.mailbox)))
    r = TranscriptRevision
    revision_filters = [
        *([r.language == sel.language] if sel.language else []),
        *([r.engine == sel.engine] if sel.engine else []),
        *([r.model == sel.model] if sel.model else []),
        *([r.confidence < sel.confidence_below] if sel.confidence_below is not None else []),
    ]
    if revision_filters:
        query = query.where(v.current_revision_id.in_(select(r.id).where(*revision_filters)))
    if sel.intent:
        triaged = select(Summary.revision_id).where(Summary.intent == sel.intent)
        query = query.where(v.current_revision_id.in_(triaged))
    return query.order_by(v.created_at, v.id)


@dataclass(frozen=True)
class Preview:
    count: int
    audio_s: float
    not_taken: tuple[str, ...]  # ids asked for by name that are unknown or still being processed


def preview(session: Session, sel: Selection) -> Preview:
    """How many voicemails a selection takes and their total audio, without making a run."""
    sub = _selected(sel).order_by(None).subquery()
    count, audio = session.execute(select(func.count(), func.coalesce(func.sum(sub.c[1]), 0.0))).one()
    missing: tuple[str, ...] = ()
    if sel.ids:
        found = set(session.scalars(select(sub.c[0])))
        missing = tuple(i for i in sel.ids if i not in found)
    return Preview(int(count), float(audio), missing)


def create_run(
    session: Session, sel: Selection, target: Target, created_by: str, executor: str = "service"
) -> ReprocessRun:
    """Make a run over the selection (its items written now, in one statement); committed by the caller.
    ``executor``: who works it with the local dispatcher, "cli" (the process making it) or "service"."""
    now = utcnow()
    run = ReprocessRun(
        created_by=created_by[:100],
        stage=target.stage,
        engine=target.engine,
        model=target.model,
        summariser=target.summariser,
        rate_per_min=target.rate_per_min,
        selection=sel.as_dict(),
        state=RunState.RUNNING,
        executor=executor,
        next_release_at=now,
        created_at=now,
        resumed_at=now,
    )
    session.add(run)
    session.flush()
    chosen = _selected(sel).subquery()
    session.execute(
        insert(ReprocessItem).from_select(
            ["run_id", "voicemail_id", "state", "audio_s", "attempts"],
            select(literal(run.id), chosen.c[0], literal(ItemState.PENDING), chosen.c[1], literal(0)),
        )
    )
    selected, audio_s = session.execute(
        select(func.count(), func.coalesce(func.sum(ReprocessItem.audio_s), 0.0)).where(
            ReprocessItem.run_id == run.id
        )
    ).one()  # what went in, counted from the items rather than by selecting again
    run.selected, run.audio_s = int(selected), round(float(audio_s), 3)
    if run.selected == 0:
        run.state, run.finished_at = RunState.DONE, now
    session.flush()
    return run


def finish_if_empty(session: Session, run_id: str | None) -> None:
    """Mark a running run done when none of its items is left open (in the caller's transaction)."""
    left = session.scalar(
        select(func.count()).where(ReprocessItem.run_id == run_id, ReprocessItem.state.in_(ItemState.OPEN))
    )
    if not left:
        session.execute(
            update(ReprocessRun)
            .where(ReprocessRun.id == run_id, ReprocessRun.state == RunState.RUNNING)
            .values(state=RunState.DONE, finished_at=utcnow())
        )


def _unrelease(session: Session, run_id: str) -> None:
    session.execute(
        update(ReprocessItem)
        .where(ReprocessItem.run_id == run_id, ReprocessItem.state == ItemState.QUEUED)
        .values(state=ItemState.PENDING, queued_at=None)
    )


def _set_state(session: Session, run_id: str, state: str, allowed: tuple[str, ...]) -> ReprocessRun:
    run = session.get(ReprocessRun, run_id)
    if run is None:
        raise RunError(f"no reprocess run {run_id}")
    if run.state not in allowed:
        raise RunError(f"run {run_id} is {run.state}")
    run.state = state
    return run


def cancel(session: Session, run_id: str) -> ReprocessRun:
    """Stop releasing items; the ones running finish. Not committed."""
    run = _set_state(session, run_id, RunState.CANCELLED, (RunState.RUNNING, RunState.PAUSED))
    run.finished_at = utcnow()
    _unrelease(session, run_id)
    return run


def pause(session: Session, run_id: str) -> ReprocessRun:
    """Stop releasing items until resumed (an interrupted `voice reprocess`). Not committed."""
    run = _set_state(session, run_id, RunState.PAUSED, (RunState.RUNNING, RunState.PAUSED))
    _unrelease(session, run_id)
    return run


def resume(session: Session, run_id: str, executor: str = "service") -> ReprocessRun:
    """Run again what is left: items never finished are released again; finished ones are not redone.
    Items held by a process of this host that is gone (killed) are taken back at once. ``executor`` works
    it from now on (local dispatcher). Not committed."""
    run = session.get(ReprocessRun, run_id)
    if run is None:
        raise RunError(f"no reprocess run {run_id}")
    if run.state == RunState.DONE:
        return run
    run.state, run.finished_at, run.executor = RunState.RUNNING, None, executor
    run.resumed_at = run.next_release_at = utcnow()
    held = session.execute(
        select(ReprocessItem.id, ReprocessItem.lease_owner).where(
            ReprocessItem.run_id == run_id, ReprocessItem.state == ItemState.RUNNING
        )
    ).all()
    dead = [item_id for item_id, owner in held if owner and _gone_from_this_host(owner)]
    if dead:
        session.execute(
            update(ReprocessItem)
            .where(ReprocessItem.id.in_(dead), ReprocessItem.state == ItemState.RUNNING)
            .values(state=ItemState.PENDING, lease_owner=None, lease_expires_at=None)
        )
    return run


def _gone_from_this_host(owner: str) -> bool:
    """An owner token ("host:pid:nonce") of a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:20] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


@dataclass(frozen=True)
class Progress:
    run_id: str
    state: str
    stage: str
    selected: int
    counts: dict[str, int] = field(default_factory=dict)  # by item state
    audio_s: float = 0.0  # of the whole selection
    elapsed_s: float = 0.0  # since the run started or last resumed
    per_min: float | None = None  # items ended per minute since then
    audio_per_wall: float | None = None  # audio seconds reprocessed per wall second since then
    eta_s: float | None = None

    @property
    def ended(self) -> int:
        return sum(self.counts.get(s, 0) for s in ItemState.ENDED)


def progress(session: Session, run_id: str) -> Progress:
    run = session.get(ReprocessRun, run_id)
    if run is None:
        raise RunError(f"no reprocess run {run_id}")
    rows = session.execute(
        select(ReprocessItem.state, func.count())
        .where(ReprocessItem.run_id == run_id)
        .group_by(ReprocessItem.state)
    ).all()
    counts = {state: 0 for state in ItemState.ALL} | {state: int(n) for state, n in rows}
    resumed = as_utc(run.resumed_at)
    finished = run.finished_at if run.state != RunState.RUNNING else None
    end = as_utc(finished) if finished else utcnow()
    elapsed = max(0.0, (end - resumed).total_seconds())
    recent, recent_audio = session.execute(
        select(func.count(), func.coalesce(func.sum(ReprocessItem.audio_s), 0.0)).where(
            ReprocessItem.run_id == run_id,
            ReprocessItem.state.in_(ItemState.ENDED),
            ReprocessItem.finished_at >= run.resumed_at,
        )
    ).one()
    per_min = audio_ratio = eta = None
    if elapsed > 0 and recent:
        per_min = recent * 60.0 / elapsed
        audio_ratio = float(recent_audio) / elapsed
        left = sum(counts[s] for s in ItemState.OPEN)
        eta = left * 60.0 / per_min if run.state == RunState.RUNNING else None
        if run.rate_per_min and eta is not None:
            eta = max(eta, left * 60.0 / run.rate_per_min)
    return Progress(
        run_id=run.id,
        state=run.state,
        stage=run.stage,
        selected=run.selected,
        counts=counts,
        audio_s=run.audio_s,
        elapsed_s=round(elapsed, 3),
        per_min=None if per_min is None else round(per_min, 2),
        audio_per_wall=None if audio_ratio is None else round(audio_ratio, 3),
        eta_s=None if eta is None else round(eta, 1),
    )


def running_runs(sm: sessionmaker[Session], executor: str | None = None) -> list[str]:
    query = select(ReprocessRun.id).where(ReprocessRun.state == RunState.RUNNING)
    if executor is not None:
        query = query.where(ReprocessRun.executor == executor)
    with sm() as session:
        return list(session.scalars(query))
