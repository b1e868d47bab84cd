"""Reading voicemails and calls: one voicemail, one call, the filtered list with its cursors, counts."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from voice.core import inputs
from voice.core.phone import to_e164
from voice.storage import search
from voice.storage.models import AgentState, CallRecord, Status, Summary, TranscriptRevision, Voicemail


def get_voicemail(session: Session, vm_id: str) -> Voicemail | None:
    return session.scalar(
        select(Voicemail)
        .where(Voicemail.id == vm_id)
        .options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.events),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        )
    )


@dataclass(frozen=True)
class VoicemailFilter:
    status: str | None = None
    mailbox: str | None = None
    caller: str | None = None  # as given, and as E.164
    language: str | None = None
    since: datetime | None = None  # received at or after
    until: datetime | None = None  # received before
    api_key_id: str | None = None  # ingest keys see only their own
    intent: str | None = None
    urgency: str | None = None
    # The inbox's state: new, in_progress, handled (agent state of processed voicemails), or
    # failed, no_speech, processing (the pipeline's).
    inbox_state: str | None = None
    assignee: str | None = None
    sort: str = "newest"  # or "priority"
    q: str | None = None  # full-text search over transcript and summary
    newer_than: datetime | None = None  # received strictly after (the inbox's live updates)
    ids: tuple[str, ...] | None = None  # only these voicemails (a client polling the ones it posted)


def _filtered(session: Session, query: Any, f: VoicemailFilter, default_region: str = "US") -> Any:
    # The conditions in the order they have always been added, so the SQL is the same as before.
    if f.status:
        query = query.where(Voicemail.status == f.status)
    if f.ids is not None:
        query = query.where(Voicemail.id.in_(f.ids))
    if f.api_key_id:
        query = query.where(Voicemail.api_key_id == f.api_key_id)
    query = _by_state(_by_triage(_by_call(query, f, default_region), f), f)
    if f.q and (ids := search.matching(session, f.q)) is not None:
        query = query.where(Voicemail.id.in_(ids))
    if f.since:
        query = query.where(Voicemail.created_at >= f.since)
    if f.until:
        query = query.where(Voicemail.created_at < f.until)
    if f.newer_than:
        query = query.where(Voicemail.created_at > f.newer_than)
    return query


def _by_call(query: Any, f: VoicemailFilter, default_region: str) -> Any:
    """The call's mailbox and caller (as given, and as E.164)."""
    if f.mailbox or f.caller:
        calls = select(CallRecord.id)
        if f.mailbox:
            calls = calls.where(CallRecord.mailbox == f.mailbox)
        if f.caller:
            numbers = {f.caller, to_e164(f.caller, default_region) or f.caller}
            calls = calls.where(CallRecord.from_number.in_(numbers))
        query = query.where(Voicemail.call_id.in_(calls))
    return query


def _by_triage(query: Any, f: VoicemailFilter) -> Any:
    """The current revision's language, intent and urgency."""
    if f.language:
        query = query.where(
            Voicemail.current_revision_id.in_(
                select(TranscriptRevision.id).where(TranscriptRevision.language == f.language)
            )
        )
    if f.intent or f.urgency:
        triaged = select(TranscriptRevision.id).join(Summary, Summary.revision_id == TranscriptRevision.id)
        if f.intent:
            triaged = triaged.where(Summary.intent == f.intent)
        if f.urgency:
            triaged = triaged.where(Summary.urgency == f.urgency)
        query = query.where(Voicemail.current_revision_id.in_(triaged))
    return query


def _by_state(query: Any, f: VoicemailFilter) -> Any:
    """The inbox's state and the assignee."""
    if f.inbox_state in AgentState.ALL:
        query = query.where(Voicemail.status == Status.DONE, Voicemail.agent_state == f.inbox_state)
    elif f.inbox_state in (Status.FAILED, Status.NO_SPEECH):
        query = query.where(Voicemail.status == f.inbox_state)
    elif f.inbox_state == "processing":
        query = query.where(Voicemail.status.in_((Status.QUEUED, *Status.IN_FLIGHT)))
    if f.assignee:
        query = query.where(Voicemail.assignee == f.assignee)
    return query


_NO_PRIORITY = -1.0  # failed or still processing: after every triaged voicemail


def encode_cursor(vm: Voicemail) -> str:
    # UTC, naive: SQLite hands back naive UTC, PostgreSQL aware times in the session's zone.
    created = vm.created_at.astimezone(UTC).replace(tzinfo=None) if vm.created_at.tzinfo else vm.created_at
    priority = vm.priority if vm.priority is not None else _NO_PRIORITY
    raw = json.dumps([created.isoformat(), vm.id, priority]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str, float]:
    """A cursor back from a client: strictly parsed (a hand-made one may be deep, hold NUL or NaN), and
    every way it can be wrong is a ValueError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, vm_id, *rest = inputs.loads(raw, "the cursor", max_depth=1)
        priority = float(rest[0]) if rest else _NO_PRIORITY
        if not math.isfinite(priority):
            raise ValueError("the cursor's priority is not finite")
        inputs.check_text(str(vm_id), "the cursor's id", one_line=True)
        return datetime.fromisoformat(created).replace(tzinfo=UTC), str(vm_id), priority
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError("cursor is not one this API gave out") from exc


def list_voicemails(
    session: Session,
    f: VoicemailFilter,
    limit: int = 50,
    cursor: str | None = None,
    default_region: str = "US",
) -> tuple[list[Voicemail], str | None]:
    """Newest first; returns the page and the cursor of the next one (None at the end).

    The cursor is the (received time, id) of the last item, so pages hold steady while new
    voicemails arrive.
    """
    query = _filtered(
        session,
        select(Voicemail).options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        ),
        f,
        default_region,
    )
    priority = func.coalesce(Voicemail.priority, _NO_PRIORITY)
    if f.sort == "priority":  # highest first; among equals the one waiting longest
        if cursor:
            created, vm_id, last = decode_cursor(cursor)
            query = query.where(
                or_(
                    priority < last,
                    (priority == last) & (Voicemail.created_at > created),
                    (priority == last) & (Voicemail.created_at == created) & (Voicemail.id > vm_id),
                )
            )
        query = query.order_by(priority.desc(), Voicemail.created_at.asc(), Voicemail.id.asc())
    else:
        if cursor:
            created, vm_id, _ = decode_cursor(cursor)
            query = query.where(
                or_(
                    Voicemail.created_at < created,
                    (Voicemail.created_at == created) & (Voicemail.id < vm_id),
                )
            )
        query = query.order_by(Voicemail.created_at.desc(), Voicemail.id.desc())
    query = query.limit(limit + 1)
    items = list(session.scalars(query))
    more = len(items) > limit
    items = items[:limit]
    return items, (encode_cursor(items[-1]) if more and items else None)


def get_call(session: Session, call_id: str) -> CallRecord | None:
    return session.scalar(
        select(CallRecord)
        .where(CallRecord.id == call_id)
        .options(
            selectinload(CallRecord.voicemails).selectinload(Voicemail.events),
            selectinload(CallRecord.voicemails)
            .selectinload(Voicemail.revisions)
            .selectinload(TranscriptRevision.summary),
            selectinload(CallRecord.voicemails)
            .selectinload(Voicemail.current_revision)
            .selectinload(TranscriptRevision.summary),
        )
    )


def count_by_status(session: Session, api_key_id: str | None = None) -> dict[str, int]:
    query = select(Voicemail.status, func.count()).group_by(Voicemail.status)
    if api_key_id:
        query = query.where(Voicemail.api_key_id == api_key_id)
    rows = session.execute(query)
    return {status: int(n) for status, n in rows}
