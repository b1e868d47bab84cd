"""Callback tracking (docs/callbacks.md): /v1/voicemails/{id}/callbacks (record an attempt and its outcome,
list them) and /v1/callbacks/outbound (an upstream system's report of an outbound call to a caller's
number). Who may act on which voicemail follows the access rule (voice/storage/access.py): another team's
voicemail is 404."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import actor, as_agent, as_ingest, visible_voicemail
from api.callback_schemas import CallbackIn, CallbackList, CallbackOut, OutboundIn, OutboundOut, OutcomeIn
from api.deps import get_session, get_settings
from api.schemas import VoicemailId, errors
from voice.core.config import Settings
from voice.storage import access, audit
from voice.storage.callback_models import Source
from voice.storage.keys import Principal
from voice.storage.models import CallbackAttempt, Voicemail
from voice.usecases import callbacks

router = APIRouter(tags=["callbacks"], responses=errors(401, 403, 413, 422, 429, 503))


def attempt_out(a: CallbackAttempt) -> CallbackOut:
    return CallbackOut(
        id=a.id,
        voicemail_id=a.voicemail_id,
        who=a.who,
        source=a.source,
        external_id=a.external_id,
        number=a.number,
        started_at=a.started_at,
        outcome=a.outcome,
        outcome_at=a.outcome_at,
        duration_s=a.duration_s,
        note=a.note,
    )


def _caller(who: Principal) -> callbacks.Caller:
    return callbacks.Caller(who.name, api_key_id=who.key_id)


def _listing(session: Session, vm: Voicemail) -> CallbackList:
    return CallbackList(
        items=[attempt_out(a) for a in callbacks.attempts(session, vm.id)],
        agent_state=vm.agent_state,
        first_callback_at=vm.first_callback_at,
        time_to_first_callback_s=callbacks.time_to_first_callback_s(vm),
        escalations=vm.escalations,
    )


@router.post(
    "/v1/voicemails/{voicemail_id}/callbacks",
    status_code=status.HTTP_201_CREATED,
    response_model=CallbackOut,
    responses=errors(404),
)
def record_callback(
    voicemail_id: VoicemailId,
    body: CallbackIn,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_agent),
) -> CallbackOut:
    """Record a call back to the caller: pending (no `outcome`) until its outcome is recorded, or with its
    outcome at once. `reached`, or `close`, marks the voicemail handled. Each attempt and outcome is a line
    in the voicemail's history."""
    vm = visible_voicemail(session, voicemail_id, who)
    try:
        attempt = callbacks.record_attempt(
            session, vm, _caller(who), Source.API, outcome=body.outcome, note=body.note, close=body.close
        )
    except callbacks.CallbackError as exc:
        raise HTTPException(422, str(exc)) from exc
    audit.record(session, actor(who), "update", vm.id, fields=["callback"])
    session.commit()
    return attempt_out(attempt)


@router.patch(
    "/v1/voicemails/{voicemail_id}/callbacks/{attempt_id}",
    response_model=CallbackOut,
    responses=errors(404, 409),
)
def record_outcome(
    voicemail_id: VoicemailId,
    attempt_id: int,
    body: OutcomeIn,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_agent),
) -> CallbackOut:
    """The outcome of a pending attempt; 409 if it has one already."""
    vm = visible_voicemail(session, voicemail_id, who)
    try:
        attempt = callbacks.record_outcome(
            session, vm, attempt_id, _caller(who), body.outcome, note=body.note, close=body.close
        )
    except callbacks.AttemptNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except callbacks.OutcomeRecorded as exc:
        raise HTTPException(409, str(exc)) from exc
    audit.record(session, actor(who), "update", vm.id, fields=["callback_outcome"])
    session.commit()
    return attempt_out(attempt)


@router.get("/v1/voicemails/{voicemail_id}/callbacks", response_model=CallbackList, responses=errors(404))
def list_callbacks(
    voicemail_id: VoicemailId,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_ingest),
) -> CallbackList:
    """Every callback attempt, oldest first, with the time to the first one."""
    vm = visible_voicemail(session, voicemail_id, who)
    out = _listing(session, vm)
    audit.record(session, actor(who), "read", vm.id, what="callbacks")
    session.commit()
    return out


@router.post("/v1/callbacks/outbound", response_model=OutboundOut)
def report_outbound(
    body: OutboundIn,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_ingest),
) -> OutboundOut:
    """An outbound call your system made to a caller's number, once it is over. Voice records it on every
    open (processed, not handled) voicemail from that number that the key sees: an ingest key its own
    voicemails, an agent key its teams', an admin key all. A call that completed and lasted at least
    `VOICE_SLA__REACHED_AFTER_S` reached the caller (the voicemail is handled); a shorter one, busy, no
    answer, failed or cancelled did not. The same `call_id` again records nothing new (`replayed`)."""
    call = callbacks.OutboundCall(
        Source.UPSTREAM, body.call_id, body.number, body.status, body.duration_s, body.started_at,
        who=body.agent or who.name, outcome=body.outcome,
    )  # fmt: skip
    matched = report_call(session, call, access.for_key(session, who), settings)
    if matched.attempts and not matched.replayed:
        audit.record(session, actor(who), "update", None, fields=["callback"], count=len(matched.attempts))
    session.commit()
    return OutboundOut(
        recorded=[attempt_out(a) for a in matched.attempts], replayed=matched.replayed, final=matched.final
    )


def report_call(
    session: Session, call: callbacks.OutboundCall, scope: access.Scope, settings: Settings
) -> callbacks.Matched:
    """Record the call; the same call reported twice at once: the second finds the first's rows."""
    region = settings.summary.default_region
    try:
        matched = callbacks.report_outbound(session, call, scope, settings.sla.reached_after_s, region)
        session.flush()
        return matched
    except IntegrityError:
        session.rollback()
        return callbacks.report_outbound(session, call, scope, settings.sla.reached_after_s, region)
    except callbacks.CallbackError as exc:
        raise HTTPException(422, str(exc)) from exc
