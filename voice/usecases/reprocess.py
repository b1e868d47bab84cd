"""Reprocessing one voicemail of a batch run, and the loop that works a run through in this process.

A re-run never touches what agents see until it has succeeded: the new revision is written and made
current in the same transaction that ends the item, and a failure leaves the old text current and records
why (on the item and in the voicemail's history). Agent state, notes and assignee are not touched.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.core.errors import VoicemailError
from voice.jobs import run_items as item_jobs
from voice.jobs.claiming import LeaseLost
from voice.jobs.leases import owner_token
from voice.pipeline import process as pipeline
from voice.routing import route
from voice.storage import crm, inbox, revisions, run_items, runs
from voice.storage.models import (
    ItemState,
    ReprocessItem,
    ReprocessRun,
    RunState,
    Status,
    TranscriptRevision,
    Voicemail,
    VoicemailEvent,
)
from voice.transcription.engines import get_engine
from voice.transcription.transcribe import Segment, Transcript, Word
from voice.triage.model import CallContext

log = logging.getLogger(__name__)


def word_error_rate(reference: str, hypothesis: str) -> float | None:
    """Percent of words changed from one revision's text to another's (case and punctuation ignored);
    None when the first has no words."""
    import jiwer

    def words(text: str) -> str:
        return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())

    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return None
    return round(100.0 * jiwer.wer(ref, hyp or "<none>"), 1)


def run_settings(settings: Settings, run: ReprocessRun) -> Settings:
    """The configuration a run works with: its engine, model and summariser, batched decoding."""
    chosen = {k: v for k, v in (("engine", run.engine), ("model", run.model)) if v}
    transcription = settings.transcription.model_copy(
        update={**chosen, "batch_size": settings.reprocess.batch_size}
    )
    summary = settings.summary
    if run.summariser == "builtin":
        summary = summary.model_copy(update={"llm": summary.llm.model_copy(update={"base_url": None})})
    return settings.model_copy(update={"transcription": transcription, "summary": summary})


def stored_transcript(rev: TranscriptRevision) -> Transcript:
    """A stored revision as the pipeline's Transcript (for summarise-only runs: no audio involved)."""
    segments = tuple(
        Segment(
            start=s["start"],
            end=s["end"],
            text=s["text"],
            avg_logprob=s.get("avg_logprob", 0.0),
            no_speech_prob=s.get("no_speech_prob", 0.0),
            temperature=s.get("temperature", 0.0),
            words=tuple(Word(**w) for w in s.get("words", ())),
        )
        for s in rev.segments or []
    )
    return Transcript(
        text=rev.text,
        language=rev.language or "en",
        language_probability=rev.language_probability or 0.0,
        segments=segments,
        confidence=rev.confidence or 0.0,
        engine=rev.engine,
        model=rev.model,
        seconds=0.0,
    )


@dataclass(frozen=True)
class _Job:
    """What one item needs, read before the work starts (no session held during transcription)."""

    run_id: str
    stage: str
    cfg: Settings  # the run's engine, model and summariser
    vm_id: str
    vm_status: str
    audio: Path | None
    name: str | None
    language: tuple[str, ...]  # expected languages (the voicemail's own, else its mailbox's); empty: detect
    redact_pii: bool
    context: CallContext
    current: Transcript | None


def _read_job(session: Session, item_id: int, settings: Settings) -> _Job | None:
    item = session.get(ReprocessItem, item_id)
    if item is None:
        return None
    run = session.get(ReprocessRun, item.run_id)
    vm = inbox.get_voicemail(session, item.voicemail_id)
    if run is None or vm is None:
        return None
    # The source as received is the better input; the normalised copy serves when only it is kept.
    audio = next((Path(p) for p in (vm.source_path, vm.audio_path) if p and Path(p).exists()), None)
    rev = vm.current_revision
    return _Job(
        run_id=run.id,
        stage=run.stage,
        cfg=run_settings(settings, run),
        vm_id=vm.id,
        vm_status=vm.status,
        audio=audio,
        name=pipeline.audio_name(vm),
        language=settings.transcription.languages_for(vm.call.mailbox, vm.language_hint),
        redact_pii=settings.redaction.applies(vm.call.mailbox),
        context=pipeline.call_context(session, vm, settings),
        current=stored_transcript(rev) if rev is not None and rev.text.strip() else None,
    )


def reprocess_item(settings: Settings, sm: sessionmaker[Session], item_id: int, owner: str) -> str:
    """Work one claimed item; return how it ended (done, failed, skipped, or "taken over")."""
    with sm() as session:
        job = _read_job(session, item_id, settings)
    if job is None:
        return ItemState.SKIPPED  # deleted meanwhile (cascade took the item too)
    lease = settings.worker.lease_s
    try:
        with item_jobs.heartbeat(sm, item_id, owner, lease):
            outcome = _work(job, sm)
    except VoicemailError as exc:
        outcome = (ItemState.FAILED, str(exc), None)
    except Exception as exc:  # a bug or an environment fault: fail this item, keep the run going
        log.exception("reprocess item %s failed unexpectedly", item_id)
        outcome = (ItemState.FAILED, f"internal error: {exc.__class__.__name__}: {exc}"[:500], None)
    state, reason, result = outcome
    try:
        _store(sm, job, item_id, owner, state, reason, result)
    except LeaseLost:
        log.warning("reprocess item %s was taken over by another worker; dropped our result", item_id)
        return "taken over"
    why = f" ({reason})" if reason else ""
    log.info("reprocess run %s, voicemail %s: %s%s", job.run_id, job.vm_id, state, why)
    return state


def _work(job: _Job, sm: sessionmaker[Session]) -> tuple[str, str | None, pipeline.FileResult | None]:
    cfg = job.cfg
    same_text = pipeline.same_text_counter(sm, job.context)
    if job.stage == "summarise":
        if job.current is None:
            return ItemState.SKIPPED, "no stored transcript to summarise", None
        timings: dict[str, float] = {}
        transcript, summary = pipeline.summarise(
            job.current, job.context, cfg, same_text, job.redact_pii, timings
        )
        return (
            ItemState.DONE,
            None,
            pipeline.FileResult("", Status.DONE, None, None, None, transcript, summary, timings),
        )
    if job.audio is None:
        return ItemState.SKIPPED, "the audio is no longer stored (deleted by retention or by hand)", None
    engine = get_engine(cfg.transcription)
    with tempfile.TemporaryDirectory(prefix="voice-reprocess-") as tmp:
        result = pipeline.analyse(
            job.audio,
            Path(tmp),
            cfg,
            engine,
            job.language,
            job.context,
            name=job.name,
            same_text=same_text,
            redact_pii=job.redact_pii,
        )
    if result.status == Status.FAILED:
        return ItemState.FAILED, result.reason, None
    return ItemState.DONE, None, result


def _store(
    sm: sessionmaker[Session],
    job: _Job,
    item_id: int,
    owner: str,
    state: str,
    reason: str | None,
    result: pipeline.FileResult | None,
) -> None:
    """End the item and, on success, add the revision and make it current: one transaction."""
    cfg = job.cfg
    with sm() as session:
        if result is None or result.summary is None:
            if not item_jobs.end_owned(session, item_id, owner, state, reason):
                session.rollback()
                raise LeaseLost(str(item_id))
            if state == ItemState.FAILED:
                detail = f"reprocess run {job.run_id} failed: {reason}; the current transcript is kept"
                session.add(VoicemailEvent(voicemail_id=job.vm_id, status=job.vm_status, detail=detail))
            session.commit()
            return
        revision, summary = pipeline.revision_rows(result, cfg, dict(result.timings))
        revision.run_id = job.run_id
        # The same way the pipeline's end makes a revision current (priority, search), in this transaction.
        rule = pipeline.priority_rule(cfg)
        revision_id = revisions.make_current(session, job.vm_id, revision, summary, rule)
        crm.enqueue_retranscribed(session, job.vm_id, revision_id)  # a comment in the CRM (docs/crm.md)
        if not item_jobs.end_owned(session, item_id, owner, ItemState.DONE, None, revision_id):
            session.rollback()
            raise LeaseLost(str(item_id))
        # A voicemail that ended once does not end again: its status follows the new revision, and no
        # webhook is written (docs/api.md, "Completion webhooks").
        session.execute(
            update(Voicemail)
            .where(Voicemail.id == job.vm_id)
            .values(status=result.status, status_reason=result.reason)
        )
        made = f"revision {revision.number} ({revision.engine} {revision.model})"
        detail = f"reprocess run {job.run_id}: {made}"
        session.add(VoicemailEvent(voicemail_id=job.vm_id, status=result.status, detail=detail))
        session.flush()
        # Again, only while nobody has handled it.
        route.after_processing(session, job.vm_id, cfg.summary.default_region)
        session.commit()


def work_through(
    settings: Settings,
    sm: sessionmaker[Session],
    run_id: str,
    on_progress: Callable[[runs.Progress], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    idle_s: float = 0.5,
) -> runs.Progress:
    """Release and work the run's items in this process until none is left (or it is paused or cancelled
    elsewhere); return the final progress. Ctrl-C pauses the run, gives back the item in hand and raises
    KeyboardInterrupt: `voice reprocess --resume RUN_ID` carries on from there."""
    owner = owner_token()
    item_id: int | None = None
    try:
        while not should_stop():
            run_items.release(sm, run_id, settings.reprocess.window)
            item_id = item_jobs.claim(sm, owner, settings.worker.lease_s, run_id=run_id)
            worked = item_id is not None
            if item_id is not None:
                reprocess_item(settings, sm, item_id, owner)
                item_id = None
            with sm() as session:
                progress = runs.progress(session, run_id)
            if on_progress is not None:
                on_progress(progress)
            left = sum(progress.counts[s] for s in ItemState.OPEN)
            if left == 0 or (progress.state != RunState.RUNNING and not progress.counts[ItemState.RUNNING]):
                return progress  # finished; or paused or cancelled elsewhere, with nothing in flight
            if not worked:
                time.sleep(idle_s)  # throttled, or the rest is held by other workers or still fresh
    except KeyboardInterrupt:
        if item_id is not None:
            item_jobs.give_back(sm, item_id, owner)
        with sm() as session:
            runs.pause(session, run_id)
            session.commit()
        raise
    with sm() as session:
        return runs.progress(session, run_id)


def revision_rows_out(session: Session, vm: Voicemail) -> list[dict[str, Any]]:
    """Every revision of a voicemail, oldest first, with the word error rate from the one before."""
    out: list[dict[str, Any]] = []
    previous: TranscriptRevision | None = None
    for rev in vm.revisions:
        out.append(
            {
                "number": rev.number,
                "current": rev.id == vm.current_revision_id,
                "created_at": rev.created_at,
                "engine": rev.engine,
                "model": rev.model,
                "language": rev.language,
                "confidence": rev.confidence,
                "run_id": rev.run_id,
                "summariser": rev.summary.summariser if rev.summary else None,
                "summary": rev.summary.text if rev.summary else None,
                "text": rev.text,
                "wer_vs_previous": None if previous is None else word_error_rate(previous.text, rev.text),
            }
        )
        previous = rev
    return out
