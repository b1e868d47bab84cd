"""Callback tracking (docs/callbacks.md): record that someone called a voicemail's caller back, and how it
went; from the voicemail page, the API, Twilio's status callback for outbound calls, or an upstream system's
report of an outbound call to the caller's number.

Every attempt and outcome is a line in the voicemail's history. The first attempt's time is kept on the
voicemail (time to first callback). ``reached``, or an outcome recorded with ``close``, marks the voicemail
handled through the same agent-state change the Mark handled button makes (voice/storage/agents.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from voice.core.phone import to_e164
from voice.storage import access
from voice.storage.agents import set_agent_state
from voice.storage.callback_models import Outcome, Source
from voice.storage.models import (
    AgentState,
    CallbackAttempt,
    CallRecord,
    Status,
    Summary,
    TranscriptRevision,
    Voicemail,
    VoicemailEvent,
    as_utc,
    utcnow,
)

OUTCOME_WORDS = {
    Outcome.REACHED: "reached",
    Outcome.LEFT_MESSAGE: "left a message",
    Outcome.NO_ANSWER: "no answer",
    Outcome.WRONG_NUMBER: "wrong number",
}
# Twilio's CallStatus values (and the same words from upstream systems) that end a call; the rest
# (queued, initiated, ringing, in-progress) say nothing yet.
FINAL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


class CallbackError(ValueError):
    """An attempt could not be recorded as asked; the message says why (409 or 422 in the API)."""


class AttemptNotFound(CallbackError):
    """No such attempt on this voicemail (404)."""


class OutcomeRecorded(CallbackError):
    """The attempt has its outcome already (409)."""


@dataclass(frozen=True)
class Caller:
    """Who called back: a web user or an API key (or an integration, with neither)."""

    name: str
    user_id: str | None = None
    api_key_id: str | None = None


def _check_outcome(outcome: str | None) -> None:
    if outcome is not None and outcome not in Outcome.ALL:
        raise CallbackError(f"the outcome is one of {', '.join(Outcome.ALL)}, not {outcome!r}")


def _history(vm: Voicemail, detail: str) -> None:
    vm.events.append(VoicemailEvent(status=vm.status, detail=detail[:2000]))


def _settle(session: Session, vm: Voicemail, who: str, attempt: CallbackAttempt, close: bool) -> None:
    """The outcome's line in the history; reached or closed: the voicemail is handled."""
    words = OUTCOME_WORDS[attempt.outcome or ""]
    note = f" ({attempt.note})" if attempt.note else ""
    _history(vm, f"callback #{attempt.id} by {attempt.who}: {words}{note}")
    if attempt.outcome == Outcome.REACHED or close:
        set_agent_state(session, vm, who, state=AgentState.HANDLED)


def record_attempt(
    session: Session,
    vm: Voicemail,
    caller: Caller,
    source: str,
    *,
    outcome: str | None = None,
    note: str | None = None,
    close: bool = False,
    number: str | None = None,
    external_id: str | None = None,
    started_at: datetime | None = None,
    duration_s: float | None = None,
) -> CallbackAttempt:
    """A call back to ``vm``'s caller, pending (``outcome`` None) or with its outcome, in the caller's
    transaction."""
    _check_outcome(outcome)
    if source not in Source.ALL:
        raise CallbackError(f"the source is one of {', '.join(Source.ALL)}")
    if close and outcome is None:
        raise CallbackError("close goes with an outcome")
    now = utcnow()
    started = started_at or now
    attempt = CallbackAttempt(
        voicemail_id=vm.id,
        who=caller.name[:150],
        user_id=caller.user_id,
        api_key_id=caller.api_key_id,
        source=source,
        external_id=external_id,
        number=number or callback_number(vm),
        started_at=started,
        outcome=outcome,
        outcome_at=now if outcome is not None else None,
        duration_s=duration_s,
        note=note or None,
    )
    session.add(attempt)
    session.flush()  # its id, for the history
    if vm.first_callback_at is None or as_utc(vm.first_callback_at) > as_utc(started):
        vm.first_callback_at = started
    how = "" if source in (Source.AGENT, Source.API) else f" ({source} call {external_id})"
    _history(vm, f"callback #{attempt.id} by {attempt.who} to {attempt.number or 'the caller'}{how}")
    if outcome is not None:
        _settle(session, vm, caller.name, attempt, close)
    return attempt


def record_outcome(
    session: Session,
    vm: Voicemail,
    attempt_id: int,
    caller: Caller,
    outcome: str,
    *,
    note: str | None = None,
    close: bool = False,
) -> CallbackAttempt:
    """The outcome of a pending attempt on ``vm``; AttemptNotFound or OutcomeRecorded."""
    _check_outcome(outcome)
    attempt = session.scalar(
        select(CallbackAttempt).where(CallbackAttempt.id == attempt_id, CallbackAttempt.voicemail_id == vm.id)
    )
    if attempt is None:
        raise AttemptNotFound(f"no callback #{attempt_id} on this voicemail")
    if attempt.outcome is not None:
        raise OutcomeRecorded(f"callback #{attempt_id} has its outcome already: {attempt.outcome}")
    attempt.outcome, attempt.outcome_at = outcome, utcnow()
    if note:
        attempt.note = note
    _settle(session, vm, caller.name, attempt, close)
    return attempt


def attempts(session: Session, vm_id: str) -> list[CallbackAttempt]:
    """The voicemail's attempts, oldest first."""
    query = select(CallbackAttempt).where(CallbackAttempt.voicemail_id == vm_id)
    return list(session.scalars(query.order_by(CallbackAttempt.started_at, CallbackAttempt.id)))


def pending(session: Session, vm_id: str) -> CallbackAttempt | None:
    """The newest attempt still waiting for its outcome, if any (the page's outcome form)."""
    query = select(CallbackAttempt).where(
        CallbackAttempt.voicemail_id == vm_id, CallbackAttempt.outcome.is_(None)
    )
    return session.scalar(query.order_by(CallbackAttempt.id.desc()).limit(1))


def callback_number(vm: Voicemail) -> str | None:
    """The number to call back: the one the caller said, else the caller id."""
    revision = vm.current_revision
    summary = revision.summary if revision is not None else None
    if summary is not None and summary.callback_number:
        return summary.callback_number
    return vm.call.from_number


def time_to_first_callback_s(vm: Voicemail) -> float | None:
    if vm.first_callback_at is None:
        return None
    return max(0.0, (as_utc(vm.first_callback_at) - as_utc(vm.created_at)).total_seconds())


# Outbound calls reported by Twilio or an upstream system.


@dataclass(frozen=True)
class OutboundCall:
    """An outbound call to a caller's number, as Twilio or an upstream system reports it."""

    source: str  # Source.TWILIO | Source.UPSTREAM
    call_id: str  # unique per source: a repeated report records nothing new
    number: str  # the number called, any format
    status: str  # completed | busy | no-answer | failed | canceled (others are not final)
    duration_s: float | None = None
    started_at: datetime | None = None
    who: str | None = None  # the agent who placed it, when the reporter knows
    outcome: str | None = None  # given outright, instead of worked out from status and duration


def outcome_for(status: str, duration_s: float | None, reached_after_s: float) -> str | None:
    """What a finished call says: a completed call that lasted at least ``reached_after_s`` reached the
    caller; a shorter one, busy, no answer, failed or cancelled did not. None: the call is not over."""
    status = status.strip().lower()
    if status not in FINAL_STATUSES:
        return None
    long_enough = duration_s is not None and math.isfinite(duration_s) and duration_s >= reached_after_s
    return Outcome.REACHED if status == "completed" and long_enough else Outcome.NO_ANSWER


@dataclass(frozen=True)
class Matched:
    """What a report did: the attempts on the open voicemails of that number (``replayed``: recorded by an
    earlier report of the same call, nothing new)."""

    attempts: list[CallbackAttempt]
    replayed: bool
    final: bool = True


def open_voicemails(session: Session, number: str, scope: access.Scope) -> Sequence[Voicemail]:
    """The processed, unhandled voicemails ``scope`` sees whose caller id or callback number is ``number``
    (E.164), oldest first."""
    said = (
        select(TranscriptRevision.id)
        .join(Summary, Summary.revision_id == TranscriptRevision.id)
        .where(Summary.callback_number == number)
    )
    query = (
        select(Voicemail)
        .join(CallRecord, Voicemail.call_id == CallRecord.id)
        .where(
            Voicemail.status.in_((Status.DONE, Status.NO_SPEECH)),
            Voicemail.agent_state != AgentState.HANDLED,
            or_(CallRecord.from_number == number, Voicemail.current_revision_id.in_(said)),
        )
        .order_by(Voicemail.created_at)
        .limit(100)
    )
    return session.scalars(access.visible(query, scope)).all()


def report_outbound(
    session: Session, call: OutboundCall, scope: access.Scope, reached_after_s: float, region: str = "US"
) -> Matched:
    """Record ``call`` on every open voicemail from its number that ``scope`` sees, once per call id."""
    if call.outcome is None and call.status.strip().lower() not in FINAL_STATUSES:
        return Matched([], replayed=False, final=False)  # ringing, in progress: the final report counts
    number = to_e164(call.number, region)
    if number is None:
        raise CallbackError(f"{call.number!r} is not a phone number Voice can match")
    # A replay is looked for only among the voicemails the reporter sees: call ids are the upstream system's
    # ("1", "crm-77") and collide across teams, and another team's attempts must neither show nor block.
    earlier = list(
        session.scalars(
            select(CallbackAttempt).where(
                CallbackAttempt.source == call.source,
                CallbackAttempt.external_id == call.call_id,
                CallbackAttempt.voicemail_id.in_(access.visible(select(Voicemail.id), scope)),
            )
        )
    )
    if earlier:
        return Matched(earlier, replayed=True)
    outcome = call.outcome or outcome_for(call.status, call.duration_s, reached_after_s)
    caller = Caller(call.who or call.source)
    recorded = [
        record_attempt(
            session, vm, caller, call.source, outcome=outcome, number=number, external_id=call.call_id,
            started_at=call.started_at, duration_s=call.duration_s,
            note=f"{call.status}" + (f", {call.duration_s:g} s" if call.duration_s is not None else ""),
        )
        for vm in open_voicemails(session, number, scope)
    ]  # fmt: skip
    return Matched(recorded, replayed=False)
