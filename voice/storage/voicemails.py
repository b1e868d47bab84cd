"""A voicemail and its call record arriving and going: the ingest hot path (idempotency, duplicates per
API key, the per-key limit of pending voicemails) and deletion."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from voice.storage import outbox, search
from voice.storage.models import (
    AgentState,
    ApiKey,
    CallRecord,
    Status,
    Voicemail,
    VoicemailEvent,
    as_utc,
    new_id,
    utcnow,
)


@dataclass(frozen=True)
class CallInfo:
    external_id: str | None = None
    source: str = "api"
    from_number: str | None = None
    to_number: str | None = None
    mailbox: str | None = None
    started_at: datetime | None = None
    duration_s: float | None = None
    metadata: dict[str, Any] | None = None


class IdempotencyConflict(ValueError):
    """An Idempotency-Key was used again for a different request."""


class TooManyPending(RuntimeError):
    """The key already has its limit of voicemails queued or being processed."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"this key has {limit} voicemails waiting to be processed; try again when some have finished"
        )
        self.limit = limit


def dedupe_key(call: CallInfo, recording_id: str | None, api_key_id: str | None = None) -> str | None:
    """The same recording of the same call from the same source, posted with the same key, is one
    voicemail. Per key: another client's post of the same ids must neither take nor reveal it."""
    if not call.external_id:
        return None
    return f"{api_key_id or ''}|{call.source}|{call.external_id}|{recording_id or ''}"[:500]


EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)


def start_in_range(value: datetime) -> bool:
    """A call start Voice can reason about: from 1970 to a day from now (clocks drift). Year 1 (Go's zero
    time) or 9999 are placeholders, not starts, and overflow every window computed around them."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return EARLIEST_START <= aware <= utcnow() + timedelta(days=1)
    except OverflowError:  # an offset that takes it past year 1 or 9999
        return False


def _start(call: CallInfo) -> tuple[datetime | None, int | None, dict[str, Any]]:
    """(start in UTC, the offset it was given with in minutes, metadata to add): a start out of range
    from a path that does not check it is kept as received in metadata, not as the start."""
    value = call.started_at
    if value is None:
        return None, None, {}
    if not start_in_range(value):
        return None, None, {"started_at_as_received": value.isoformat()}
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None and value.tzinfo else None
    return as_utc(value).astimezone(UTC), minutes, {}


@dataclass(frozen=True)
class Accepted:
    """What a post stored: the voicemail's id and status, and whether this post created it."""

    id: str
    status: str
    created: bool


# Core tables for the ingest hot path (typed as tables; the ORM declares them as FromClause).
_CALLS = cast(Table, CallRecord.__table__)
_KEYS = cast(Table, ApiKey.__table__)
_VOICEMAILS = cast(Table, Voicemail.__table__)
_EVENTS = cast(Table, VoicemailEvent.__table__)


@functools.cache
def _insert_or_nothing(dialect: str, table: Table) -> Any:
    # Built once: the values go as parameters, so SQLAlchemy reuses the compiled statement.
    # RETURNING tells whether the row went in (rowcount is -1 for this statement with psycopg).
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert_(table).on_conflict_do_nothing().returning(table.c.id)


def _insert_new(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT that does nothing on a unique conflict (PostgreSQL and SQLite both say ON CONFLICT DO
    NOTHING); True when the row went in. A race is settled by the database in one round trip."""
    conn = session.connection()
    return conn.execute(_insert_or_nothing(conn.dialect.name, table), values).first() is not None


# Far below its limit a key's posts count without a lock: exact while fewer than this many posts of one key
# are in flight at once across all replicas (each replica runs at most 40 at a time by default).
_UNLOCKED_HEADROOM = 100


def _hold_to_limit(session: Session, api_key_id: str, limit: int) -> None:
    """After this post's insert, in its transaction: TooManyPending if the key now has more than ``limit``
    voicemails queued or in flight (this one included); the caller rolls back.

    SQLite: the insert took its single write lock, so the count sees every committed post and no other can
    commit before ours. PostgreSQL: near the limit, a lock on the key's row orders concurrent posts of the
    key; each counts after the one before committed. Far below it no lock is taken, so one busy key's
    posts do not queue behind each other on the ingest hot path."""
    count = pending_for_key(session, api_key_id, limit + 1)
    conn = session.connection()
    if conn.dialect.name == "postgresql" and count > limit - _UNLOCKED_HEADROOM:
        # FOR NO KEY UPDATE: it orders posts of the key, yet does not wait on the KEY SHARE locks that
        # the foreign keys of their inserts hold on the same row (FOR UPDATE would deadlock with those).
        conn.execute(select(_KEYS.c.id).where(_KEYS.c.id == api_key_id).with_for_update(key_share=True))
        count = pending_for_key(session, api_key_id, limit + 1)
    if count > limit:
        raise TooManyPending(limit)


def _existing(
    session: Session, api_key_id: str | None, idempotency_key: str | None, dedupe: str | None
) -> Any:
    """(id, status, idempotency_key, request_hash) of the voicemail this post repeats, if any."""
    v = _VOICEMAILS.c
    cols = (v.id, v.status, v.idempotency_key, v.request_hash)
    if idempotency_key:
        found = session.execute(
            select(*cols).where(v.api_key_id == api_key_id, v.idempotency_key == idempotency_key)
        ).first()
        if found is not None:
            return found
    if dedupe:
        return session.execute(select(*cols).where(v.dedupe_key == dedupe)).first()
    return None


def _call_record(session: Session, call: CallInfo, owner: str) -> tuple[str, bool]:
    """The call's id and whether it is new: a new record, or this owner's record with this (source,
    external id) completed with what we learnt (a second recording of the same call). Another owner's
    record of the same ids is never read or changed."""
    now = utcnow()
    started_at, offset, more = _start(call)
    metadata = {**(call.metadata or {}), **more}
    values = {
        "id": new_id(),
        "owner": owner,
        "external_id": call.external_id,
        "source": call.source,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "mailbox": call.mailbox,
        "started_at": started_at,
        "started_at_offset_min": offset,
        "duration_s": call.duration_s,
        "metadata": metadata,
        "created_at": now,
    }
    if _insert_new(session, _CALLS, values) or not call.external_id:
        return str(values["id"]), True
    record = session.scalar(
        select(CallRecord).where(
            CallRecord.owner == owner,
            CallRecord.source == call.source,
            CallRecord.external_id == call.external_id,
        )
    )
    if record is None:  # deleted between the two statements; the caller's retry inserts it
        raise _Conflict
    for attr in ("from_number", "to_number", "mailbox", "started_at", "duration_s"):
        if getattr(record, attr) is None and values[attr] is not None:
            setattr(record, attr, values[attr])
            if attr == "started_at":
                record.started_at_offset_min = offset
    if metadata:
        record.meta = {**metadata, **(record.meta or {})}
    session.flush()
    return record.id, False


class _Conflict(Exception):
    pass


def _repeat(found: Any, idempotency_key: str | None, request_hash: str | None) -> Accepted:
    """The voicemail a repeated post made; IdempotencyConflict when its key came with another request."""
    if (
        idempotency_key
        and found.idempotency_key == idempotency_key
        and found.request_hash
        and (request_hash and found.request_hash != request_hash)
    ):
        raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
    return Accepted(found.id, found.status, False)


def create_voicemail(
    session: Session,
    call: CallInfo,
    *,
    audio_url: str | None = None,
    original_filename: str | None = None,
    language_hint: str | None = None,
    voicemail_id: str | None = None,
    source_path: str | None = None,
    recording_id: str | None = None,
    callback_url: str | None = None,
    fetch_auth: str | None = None,
    api_key_id: str | None = None,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    status: str = Status.QUEUED,
    status_reason: str | None = None,
    pending_limit: int | None = None,
) -> Accepted:
    """Store a new voicemail, or find the one this request already made; not committed.

    A repeated Idempotency-Key or the same (source, external call id, recording id), both per API key,
    returns the first voicemail (``created`` False). The database's unique constraints decide races
    between concurrent posts. With ``pending_limit``, a new voicemail that takes its key past that many
    queued or in flight raises TooManyPending (counted after the insert, in its transaction, so concurrent
    posts cannot all pass; a repeat is answered even at the limit: it adds nothing). This is the ingest
    hot path, so it is a few Core statements: no ORM unit of work.
    """
    dedupe = dedupe_key(call, recording_id, api_key_id)
    idempotency_key = idempotency_key or None  # an empty key is no key (it would collide with itself)

    for _ in range(3):
        if idempotency_key and (found := _existing(session, api_key_id, idempotency_key, None)):
            return _repeat(found, idempotency_key, request_hash)
        now = utcnow()
        vm_id = voicemail_id or new_id()
        try:
            call_id, new_call = _call_record(session, call, api_key_id or "")
        except _Conflict:
            continue
        inserted = _insert_new(
            session,
            _VOICEMAILS,
            {
                "id": vm_id,
                "call_id": call_id,
                "status": status,
                "status_reason": status_reason,
                "audio_url": audio_url,
                "original_filename": original_filename,
                "language_hint": language_hint,
                "source_path": source_path,
                "source_info": {},
                "attempts": 0,
                "recording_id": recording_id,
                "dedupe_key": dedupe,
                "callback_url": callback_url,
                "fetch_auth": fetch_auth,
                "api_key_id": api_key_id,
                "idempotency_key": idempotency_key,
                "request_hash": request_hash,
                "agent_state": AgentState.NEW,
                "created_at": now,
                "updated_at": now,
                "dispatched_at": now,
                "finished_at": now if status in Status.FINAL else None,
            },
        )
        if not inserted:  # a repeat, or a concurrent post of the same voicemail that won
            if new_call:
                session.execute(delete(_CALLS).where(_CALLS.c.id == call_id))
            found = _existing(session, api_key_id, idempotency_key, dedupe)
            if found is not None:
                return _repeat(found, idempotency_key, request_hash)
            continue  # the row we collided with is gone again; try once more
        if pending_limit is not None and api_key_id and status == Status.QUEUED:
            _hold_to_limit(session, api_key_id, pending_limit)
        events = [{"voicemail_id": vm_id, "status": Status.QUEUED, "detail": "received", "at": now}]
        if status != Status.QUEUED:
            events.append({"voicemail_id": vm_id, "status": status, "detail": status_reason, "at": now})
        session.connection().execute(insert(_EVENTS), events)
        if status in Status.FINAL:  # ended on arrival (a recording the source says is absent)
            outbox.enqueue_completion(session, vm_id)
        return Accepted(vm_id, status, True)
    raise RuntimeError("could not store the voicemail: conflicting concurrent writes")


def delete_voicemail(session: Session, vm: Voicemail) -> None:
    """Delete a voicemail with its history, revisions and deliveries; the call record goes with its
    last voicemail."""
    call = vm.call
    search.remove(session, vm.id)  # FTS5 tables have no foreign keys to cascade
    session.delete(vm)
    session.flush()
    remaining = session.scalar(select(func.count()).where(Voicemail.call_id == call.id))
    if not remaining:
        session.delete(call)


def pending_for_key(session: Session, api_key_id: str, cap: int) -> int:
    """Voicemails of this key queued or being processed, counted up to ``cap`` (a bounded scan)."""
    waiting = (
        select(Voicemail.id)
        .where(Voicemail.api_key_id == api_key_id, Voicemail.status.in_((Status.QUEUED, *Status.IN_FLIGHT)))
        .limit(cap)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(waiting)) or 0)
