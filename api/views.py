"""ORM rows -> API schemas, in one place for every route that shows voicemails and calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.orm import object_session

from api.schemas import (
    AckStatusOut,
    CallDetail,
    CallOut,
    EventOut,
    ReferenceOut,
    SegmentOut,
    SummaryOut,
    TranscriptOut,
    VoicemailDetail,
    VoicemailOut,
)
from voice.storage import acks
from voice.storage.models import AgentState, CallRecord, TranscriptRevision, Voicemail, as_utc
from voice.triage import priority


def started_at(c: CallRecord) -> datetime | None:
    """The call's start as the caller gave it: stored in UTC, shown with its original offset."""
    if c.started_at is None:
        return None
    utc = as_utc(c.started_at).astimezone(UTC)
    if c.started_at_offset_min is None:
        return utc
    return utc.astimezone(timezone(timedelta(minutes=c.started_at_offset_min)))


def call_out(c: CallRecord) -> CallOut:
    # The ORM attribute is `meta` because `metadata` is reserved on declarative models.
    return CallOut(
        id=c.id,
        external_id=c.external_id,
        source=c.source,
        from_number=c.from_number,
        to_number=c.to_number,
        mailbox=c.mailbox,
        started_at=started_at(c),
        duration_s=c.duration_s,
        metadata=c.meta or {},
    )


def summary_out(rev: TranscriptRevision | None) -> SummaryOut | None:
    if rev is None or rev.summary is None:
        return None
    s = rev.summary
    return SummaryOut(
        text=s.text,
        caller_name=s.caller_name,
        organisation=s.organisation,
        callback_number=s.callback_number,
        callback_time_text=s.callback_time_text,
        callback_time=s.callback_time,
        email=s.email,
        references=[ReferenceOut(**r) for r in s.references or []],
        request=s.request,
        intent=s.intent,
        intent_confidence=s.intent_confidence,
        urgency=s.urgency,
        urgency_reasons=s.urgency_reasons or [],
        sentiment=s.sentiment,
        sentiment_score=s.sentiment_score,
        flags=s.flags or [],
        priority=s.priority,
        summariser=s.summariser,
        error=s.error,
    )


def current_priority(vm: Voicemail, now: datetime | None = None) -> float | None:
    """The stored priority plus 1 point per hour waiting (at most 24), until handled (see
    voice.triage.priority). A voicemail from the inbox list shows the value the list was sorted by."""
    handled = vm.agent_state == AgentState.HANDLED
    if now is None and vm.inbox_priority is not None:
        return priority.shown_priority(vm.inbox_priority, handled)
    value = priority.inbox_priority(vm.priority, vm.created_at, handled, now or datetime.now(UTC))
    return priority.shown_priority(value, handled)


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
        status=vm.status,
        status_reason=vm.status_reason,
        created_at=vm.created_at,
        finished_at=vm.finished_at,
        duration_s=vm.duration_s,
        source=vm.source_info or {},
        recording_id=vm.recording_id,
        agent_state=vm.agent_state,
        assignee=vm.assignee,
        team=vm.team.name if vm.team is not None else None,
        tags=list(vm.tags or []),
        priority=current_priority(vm),
        overdue_at=vm.overdue_at,
        first_callback_at=vm.first_callback_at,
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
        acknowledgement=ack_status(vm),
    )


def ack_status(vm: Voicemail) -> AckStatusOut | None:
    """The caller's acknowledgement (docs/acknowledgements.md), read in the voicemail's own session."""
    session = object_session(vm)
    row = acks.of_voicemail(session, vm.id) if session is not None else None
    if row is None:
        return None
    return AckStatusOut(
        status=row.status,
        reason=row.reason,
        channel=row.channel,
        body=row.body,
        error_code=row.error_code,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def call_detail(c: CallRecord, voicemails: Sequence[Voicemail] | None = None) -> CallDetail:
    """The call with ``voicemails`` (default: all of them). Callers that show a subset pass it here rather
    than assigning ``c.voicemails``: that would be a write of the mapped relationship on commit."""
    out = call_out(c)
    shown = c.voicemails if voicemails is None else voicemails
    return CallDetail(**out.model_dump(), voicemails=[voicemail_detail(vm, out) for vm in shown])
