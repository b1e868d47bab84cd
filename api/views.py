"""ORM rows -> API schemas, in one place for every route that shows voicemails and calls."""

from __future__ import annotations

from api.schemas import (
    CallDetail,
    CallOut,
    EventOut,
    SegmentOut,
    SummaryOut,
    TranscriptOut,
    VoicemailDetail,
    VoicemailOut,
)
from voice.models import CallRecord, TranscriptRevision, Voicemail


def call_out(c: CallRecord) -> CallOut:
    # The ORM attribute is `meta` because `metadata` is reserved on declarative models.
    return CallOut(
        id=c.id,
        external_id=c.external_id,
        source=c.source,
        from_number=c.from_number,
        to_number=c.to_number,
        mailbox=c.mailbox,
        started_at=c.started_at,
        duration_s=c.duration_s,
        metadata=c.meta or {},
    )


def summary_out(rev: TranscriptRevision | None) -> SummaryOut | None:
    if rev is None or rev.summary is None:
        return None
    s = rev.summary
    return SummaryOut(
        text=s.text, caller_name=s.caller_name, callback_number=s.callback_number, request=s.request
    )


def transcript_out(rev: TranscriptRevision | None) -> TranscriptOut | None:
    if rev is None:
        return None
    return TranscriptOut(
        revision=rev.number,
        engine=rev.engine,
        model=rev.model,
        language=rev.language,
        language_probability=rev.language_probability,
        text=rev.text,
        confidence=rev.confidence,
        segments=[SegmentOut(**s) for s in rev.segments],
        timings=rev.timings or {},
        summary=summary_out(rev),
        created_at=rev.created_at,
    )


def voicemail_out(vm: Voicemail, call: CallOut | None = None) -> VoicemailOut:
    rev = vm.current_revision
    return VoicemailOut(
        id=vm.id,
        status=vm.status,  # type: ignore[arg-type]
        status_reason=vm.status_reason,
        created_at=vm.created_at,
        finished_at=vm.finished_at,
        duration_s=vm.duration_s,
        source=vm.source_info or {},
        recording_id=vm.recording_id,
        agent_state=vm.agent_state,  # type: ignore[arg-type]
        assignee=vm.assignee,
        call=call or call_out(vm.call),
        language=rev.language if rev else None,
        summary=summary_out(rev),
        text=rev.text if rev else None,
    )


def voicemail_detail(vm: Voicemail, call: CallOut | None = None) -> VoicemailDetail:
    return VoicemailDetail(
        **voicemail_out(vm, call).model_dump(),
        transcript=transcript_out(vm.current_revision),
        history=[EventOut(status=e.status, detail=e.detail, at=e.at) for e in vm.events],
    )


def call_detail(c: CallRecord) -> CallDetail:
    out = call_out(c)
    return CallDetail(**out.model_dump(), voicemails=[voicemail_detail(vm, out) for vm in c.voicemails])
