"""The voicemail pipeline: fetch -> normalise -> detect speech -> transcribe -> summarise -> store.

Each stage is a plain function in its own module; this module only chains them for one voicemail
and records the state changes. Adapters (HTTP API, CLI, worker) all call ``process_voicemail`` or
``process_file``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from voice.audio.fetch import fetch_to_file
from voice.audio.normalise import NormalisedAudio, normalise
from voice.audio.speech_detection import SpeechActivity, detect_speech, speech_only
from voice.core.config import Settings
from voice.core.errors import FetchError, VoicemailError
from voice.core.memory import release_free_memory
from voice.jobs import voicemails as voicemail_jobs
from voice.jobs.claiming import LeaseLost
from voice.routing import route
from voice.storage import callers, inbox, vault
from voice.storage.files import make_voicemail_dir
from voice.storage.models import Status, Summary, TranscriptRevision, Voicemail, as_utc, utcnow
from voice.storage.revisions import PriorityRule
from voice.transcription.engines import DecodeOptions, Engine, get_engine
from voice.transcription.language import LanguageGuard
from voice.transcription.transcribe import Transcript, transcribe
from voice.triage import context as triage_context
from voice.triage import llm, redact
from voice.triage.classify import no_speech_triage, triage
from voice.triage.intent import fingerprint
from voice.triage.model import CallContext, Triage
from voice.triage.priority import with_overdue_boost

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileResult:
    """What ``process_file`` found in one audio file (no database involved)."""

    file: str
    status: str
    reason: str | None
    audio: NormalisedAudio | None
    activity: SpeechActivity | None
    transcript: Transcript | None
    summary: Triage | None
    timings: dict[str, float]


def analyse(
    source: Path,
    work_dir: Path,
    settings: Settings,
    engine: Engine,
    language: str | Sequence[str] | None = None,
    context: CallContext | None = None,
    on_stage: Callable[[str], None] | None = None,
    name: str | None = None,
    options: DecodeOptions | None = None,
    same_text: Callable[[str], int] | None = None,
    redact_pii: bool = False,
) -> FileResult:
    """Normalise, detect speech, transcribe and triage one local file.

    ``context`` says what is known of the call (start, caller id, earlier calls); ``same_text`` counts
    other callers who left the same words (a robocall), given the transcript's fingerprint.
    """
    context = context or CallContext(region=settings.summary.default_region)
    timings: dict[str, float] = {}

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    t = time.perf_counter()
    stage(Status.NORMALISING)
    try:
        keyring = vault.keyring(settings.storage)
        with vault.plain_path(source, keyring) as readable:  # decrypted in memory only
            audio = normalise(readable, work_dir / "normalised.wav", settings.audio, name=name or source.name)
    except VoicemailError as exc:
        return FileResult(str(source), Status.FAILED, str(exc), None, None, None, None, timings)
    activity, samples = detect_speech(audio.path, settings.audio)
    timings["normalise_s"] = round(time.perf_counter() - t, 3)
    if not activity.has_speech:
        note = no_speech_triage(activity.reason)
        return FileResult(
            str(source), Status.NO_SPEECH, activity.reason, audio, activity, None, note, timings
        )

    stage(Status.TRANSCRIBING)
    t = time.perf_counter()
    transcript = transcribe(
        engine,
        speech_only(samples, activity, settings.audio.sample_rate, settings.audio.speech_level_dbfs),
        language or settings.transcription.languages_for(None),
        options,
        LanguageGuard.from_settings(settings.transcription),
    )
    timings["transcribe_s"] = round(time.perf_counter() - t, 3)
    release_free_memory()  # whoever runs the pipeline (worker, reprocess, CLI, the sync API) keeps it small
    if not transcript.text.strip():
        reason = "no words were recognised in the speech"
        note = no_speech_triage(reason, transcript.language)
        return FileResult(str(source), Status.NO_SPEECH, reason, audio, activity, transcript, note, timings)

    stage(Status.SUMMARISING)
    transcript, summary = summarise(transcript, context, settings, same_text, redact_pii, timings)
    return FileResult(str(source), Status.DONE, None, audio, activity, transcript, summary, timings)


def summarise(
    transcript: Transcript,
    context: CallContext,
    settings: Settings,
    same_text: Callable[[str], int] | None = None,
    redact_pii: bool = False,
    timings: dict[str, float] | None = None,
) -> tuple[Transcript, Triage]:
    """Triage a transcript (and mask it when ``redact_pii``); the LLM summariser refines it when configured.
    Seconds spent go into ``timings``."""
    timings = {} if timings is None else timings
    t = time.perf_counter()
    print_ = fingerprint(transcript.text)
    if same_text is not None and print_ is not None:
        context = replace(context, same_text_callers=same_text(print_))
    context = replace(context, confidence=transcript.confidence)
    # Triage reads the words as said (it needs the callback number); only masked text leaves this function.
    summary = triage(transcript.text, transcript.language, context)
    phones, region = settings.redaction.callback_numbers, context.region
    if redact_pii:
        transcript, kinds = redact.redact_transcript(transcript, phones, region)
        summary = redact.redact_triage(summary, kinds, phones, region)
    timings["summarise_s"] = round(time.perf_counter() - t, 3)
    if settings.summary.llm.base_url:  # an outside service sees the masked text only
        t = time.perf_counter()
        summary = llm.refine(summary, transcript.text, transcript.language, context, settings.summary.llm)
        if redact_pii:
            summary = redact.redact_triage(summary, set(), phones, region)
        timings["llm_s"] = round(time.perf_counter() - t, 3)
    return transcript, summary


def named_auth(name: str | None, settings: Settings) -> httpx.Auth | None:
    """Credentials an integration named for this voicemail, looked up in config at fetch time."""
    if name and name.startswith("twilio:"):
        sid = name.split(":", 1)[1]
        account = settings.twilio.account(sid)
        if account is None:
            raise FetchError(f"Twilio account {sid} is no longer configured; cannot fetch its recording")
        return httpx.BasicAuth(account.account_sid, account.auth_token.get_secret_value())
    return None


def process_voicemail(vm_id: str, owner: str, settings: Settings, sm: sessionmaker[Session]) -> str:
    """Run the whole pipeline for one claimed voicemail; return its final status.

    Failures of this voicemail end in ``failed`` with a readable reason, once; they never propagate.
    ``LeaseLost`` does propagate: another worker owns the job now, and we must stop quietly; so
    does a database fault (the worker takes its own lease back once the database answers).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        with sm() as session:
            vm = inbox.get_voicemail(session, vm_id)
            if vm is None:
                return Status.FAILED
            audio_url, source_path, fetch_auth = vm.audio_url, vm.source_path, vm.fetch_auth
            language = settings.transcription.languages_for(vm.call.mailbox, vm.language_hint)
            redact_pii = settings.redaction.applies(vm.call.mailbox)
            name = audio_name(vm)
            context = call_context(session, vm, settings)
        same_text = same_text_counter(sm, context)
        work_dir = make_voicemail_dir(settings, vm_id)
        if not source_path or not Path(source_path).exists():
            if not audio_url:
                raise VoicemailError("the voicemail has neither an uploaded file nor an audio URL")
            source_path = _fetch(sm, vm_id, owner, audio_url, fetch_auth, work_dir, settings, timings)

        def on_stage(name: str) -> None:
            voicemail_jobs.advance(sm, vm_id, owner, name)

        engine = get_engine(settings.transcription)
        result = analyse(
            Path(source_path),
            work_dir,
            settings,
            engine,
            language,
            context,
            on_stage,
            name,
            same_text=same_text,
            redact_pii=redact_pii,
        )
    except (LeaseLost, DBAPIError):
        # Lost lease: another worker owns the job. Database fault: not this voicemail's fault, so no
        # "failed"; its worker takes its own lease back and starts over once the database answers.
        raise
    except VoicemailError as exc:
        voicemail_jobs.finish(sm, vm_id, owner, Status.FAILED, str(exc))
        return Status.FAILED
    except Exception as exc:  # a bug or an environment fault: fail this one, keep the worker alive
        log.exception("voicemail %s failed unexpectedly", vm_id)
        voicemail_jobs.finish(
            sm, vm_id, owner, Status.FAILED, f"internal error: {exc.__class__.__name__}: {exc}"[:500]
        )
        return Status.FAILED
    timings.update(result.timings)
    timings["total_s"] = round(time.perf_counter() - started, 3)
    _finish(sm, vm_id, owner, settings, result, timings)
    return result.status


def _fetch(
    sm: sessionmaker[Session],
    vm_id: str,
    owner: str,
    audio_url: str,
    fetch_auth: str | None,
    work_dir: Path,
    settings: Settings,
    timings: dict[str, float],
) -> str:
    """Fetch the voicemail's audio (each retry in its history); return where the source now is."""
    voicemail_jobs.advance(sm, vm_id, owner, Status.FETCHING)
    t = time.perf_counter()

    def retrying(attempt: int, reason: str, delay: float) -> None:
        note = f"attempt {attempt} failed ({reason}); retrying in {delay:.1f} s"
        voicemail_jobs.advance(sm, vm_id, owner, Status.FETCHING, note)

    fetched = fetch_to_file(
        audio_url,
        work_dir / "source",
        settings.fetch,
        named_auth(fetch_auth, settings),
        retrying,
        vault.keyring(settings.storage),
    )
    timings["fetch_s"] = round(time.perf_counter() - t, 3)
    source_path = str(fetched.path)
    voicemail_jobs.advance(
        sm,
        vm_id,
        owner,
        Status.FETCHING,
        f"fetched {fetched.size_bytes} bytes",
        source_path=source_path,
    )
    return source_path


def _finish(
    sm: sessionmaker[Session],
    vm_id: str,
    owner: str,
    settings: Settings,
    result: FileResult,
    timings: dict[str, float],
) -> None:
    """End the job with what the pipeline made: the audio's facts, the revision made current, the status."""
    fields: dict[str, Any] = {}
    if result.audio is not None:
        # The normalised copy was plaintext only while this voicemail was processed.
        vault.encrypt_file(result.audio.path, vault.keyring(settings.storage))
        fields = dict(
            audio_path=str(result.audio.path),
            duration_s=round(result.audio.duration_s, 3),
            source_info=result.audio.source.as_dict(),
            speech_s=round(result.activity.speech_s, 3) if result.activity else None,
        )
    revision = summary = None
    if result.summary is not None:  # done, or no speech: both get a triage card
        revision, summary = revision_rows(result, settings, timings)
    rule = priority_rule(settings)
    # Routing (voice/routing) in the same transaction: a done voicemail is never seen unrouted.
    voicemail_jobs.finish(
        sm,
        vm_id,
        owner,
        result.status,
        result.reason,
        revision,
        summary,
        rule,
        partial(route.after_processing, region=settings.summary.default_region),
        **fields,
    )


def audio_name(vm: Voicemail) -> str | None:
    """The name the audio came with (upload file name, or the URL's path): headerless formats need it."""
    return vm.original_filename or (urlsplit(vm.audio_url).path if vm.audio_url else None)


def call_context(session: Session, vm: Voicemail, settings: Settings) -> CallContext:
    """What triage should know of the call: when, who, from which region (voice.triage.context, as
    `voice transcribe` and `voice eval triage` read a call record), and earlier calls from the same number."""
    call = vm.call
    context = triage_context.call_context(
        call.from_number, call.mailbox, call.started_at, settings.summary, received_at=as_utc(vm.created_at)
    )
    earlier = callers.earlier_calls_from(session, call.from_number, vm.id, context.started_at or utcnow())
    return replace(context, repeat_calls=earlier)


def same_text_counter(sm: sessionmaker[Session], context: CallContext) -> Callable[[str], int]:
    """Counts other callers who left the same words (a robocall), for ``analyse``."""

    before = context.started_at or utcnow()

    def same_text(print_: str) -> int:
        with sm() as session:
            return callers.callers_with_fingerprint(session, print_, context.caller_id, before)

    return same_text


def priority_rule(settings: Settings) -> PriorityRule:
    """What a voicemail stores for a new revision's triage priority: raised by the SLA boost when overdue."""
    return partial(with_overdue_boost, boost=settings.sla.priority_boost)


def revision_rows(
    result: FileResult, settings: Settings, timings: dict[str, float]
) -> tuple[TranscriptRevision, Summary | None]:
    """The new revision (and its triage) for a done or no-speech result; not yet added to a session."""
    tr = result.transcript
    engine_name, model = (
        (tr.engine, tr.model) if tr else (settings.transcription.engine, settings.transcription.model)
    )
    words = tr is not None and result.status == Status.DONE
    revision = TranscriptRevision(
        engine=engine_name,
        model=model,
        language=tr.language if tr else None,
        language_probability=tr.language_probability if tr else None,
        text=tr.text if tr and words else "",
        segments=[s.as_dict() for s in tr.segments] if tr and words else [],
        confidence=tr.confidence if tr else None,
        timings=timings,
        fingerprint=result.summary.fingerprint if result.summary else None,
    )
    return revision, summary_row(result.summary) if result.summary else None


def summary_row(t: Triage) -> Summary:
    """The database row for a triage result."""
    return Summary(
        summariser=t.summariser,
        text=t.summary,
        caller_name=t.caller_name,
        callback_number=t.callback_number,
        request=t.request,
        organisation=t.organisation,
        callback_time_text=t.callback_time_text,
        callback_time=t.callback_time,
        email=t.email,
        references=[{"kind": r.kind, "value": r.value} for r in t.references],
        intent=t.intent,
        intent_confidence=t.intent_confidence,
        urgency=t.urgency,
        urgency_reasons=list(t.urgency_reasons),
        sentiment=t.sentiment,
        sentiment_score=t.sentiment_score,
        flags=list(t.flags),
        priority=t.priority,
        error=t.error,
    )
