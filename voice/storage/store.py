"""Reading and writing voicemails. The database is the source of truth for every job's state.

A worker owns a voicemail through a lease (owner token + expiry). Every state change is a
compare-and-set on that token, so a job that was taken over after a crash can never write a
second current revision.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import threading
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, selectinload, sessionmaker

from voice.core import inputs
from voice.core.phone import to_e164
from voice.storage import outbox, search
from voice.storage.models import (
    AgentState,
    ApiKey,
    CallRecord,
    Status,
    Summary,
    TranscriptRevision,
    Voicemail,
    VoicemailEvent,
    as_utc,
    new_id,
    utcnow,
)


class LeaseLost(RuntimeError):
    """Another worker took this voicemail over (our lease expired); stop without writing."""


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

    def repeat(found: Any) -> Accepted:
        if (
            idempotency_key
            and found.idempotency_key == idempotency_key
            and found.request_hash
            and (request_hash and found.request_hash != request_hash)
        ):
            raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
        return Accepted(found.id, found.status, False)

    for _ in range(3):
        if idempotency_key and (found := _existing(session, api_key_id, idempotency_key, None)):
            return repeat(found)
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
                return repeat(found)
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


_UNFINISHED = (Status.QUEUED, *Status.IN_FLIGHT)


def _claimable(now: datetime) -> Any:
    """Not finished and held by no live lease: never claimed, or its worker died (kill -9, power loss)
    and the lease ran out. A queued voicemail a worker has just claimed is held as well."""
    return Voicemail.status.in_(_UNFINISHED) & or_(
        Voicemail.lease_expires_at.is_(None), Voicemail.lease_expires_at < now
    )


def _try_claim(session: Session, vm_id: str, owner: str, lease_s: float, max_attempts: int) -> bool:
    """Compare-and-set the lease on ``vm_id`` if it is claimable; committed. False if someone else won or
    the voicemail was given up on (interrupted too often)."""
    now = utcnow()
    result = session.execute(
        update(Voicemail)
        .where(Voicemail.id == vm_id, _claimable(now))
        .values(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            attempts=Voicemail.attempts + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    attempts = session.scalar(select(Voicemail.attempts).where(Voicemail.id == vm_id)) or 0
    if attempts > max_attempts:
        reason = f"processing was interrupted {attempts - 1} times; giving up on this voicemail"
        _finish_locked(session, vm_id, Status.FAILED, reason)
        session.commit()
        return False
    session.commit()
    return True


# The keys of this process's last claims: with one worker nothing else is in flight when it claims, so
# without them a key that posted first would have all of its backlog taken before anyone else's.
_recent_claims: deque[str] = deque(maxlen=4)
_recent_lock = threading.Lock()


def claim_next(sm: sessionmaker[Session], owner: str, lease_s: float, max_attempts: int) -> str | None:
    """Take a claimable voicemail; return its id, or None when there is nothing to do.

    Fair between API keys: first a voicemail of the key with the fewest voicemails held by workers, then
    of the key this process served least in its last few claims, then the oldest; so one client's
    backlog, or its slow audio server, cannot keep the workers from everyone else's voicemails.
    (Voicemails without a key count as one key.)
    """
    held_vm = aliased(Voicemail)
    held_key = func.coalesce(held_vm.api_key_id, "")
    owner_key = func.coalesce(Voicemail.api_key_id, "")
    with sm() as session:
        for _ in range(5):
            now = utcnow()
            held = (
                select(held_key.label("key"), func.count().label("n"))
                .where(held_vm.status.in_(_UNFINISHED), held_vm.lease_expires_at >= now)
                .group_by(held_key)
                .subquery()
            )
            with _recent_lock:
                served = Counter(_recent_claims)
            order: list[Any] = [func.coalesce(held.c.n, 0)]
            if served:
                order.append(case(dict(served), value=owner_key, else_=0))
            row = session.execute(
                select(Voicemail.id, owner_key.label("key"))
                .outerjoin(held, held.c.key == owner_key)
                .where(_claimable(now))
                .order_by(*order, Voicemail.created_at)
                .limit(1)
            ).first()
            if row is None:
                return None
            if _try_claim(session, row.id, owner, lease_s, max_attempts):
                with _recent_lock:
                    _recent_claims.append(row.key)
                return str(row.id)
    return None


def claim(sm: sessionmaker[Session], vm_id: str, owner: str, lease_s: float, max_attempts: int) -> bool:
    """Take this voicemail if it is queued (or its worker died); False when it is done or another
    worker holds it. A task delivered twice therefore processes the voicemail once."""
    with sm() as session:
        return _try_claim(session, vm_id, owner, lease_s, max_attempts)


def held_for(sm: sessionmaker[Session], vm_id: str) -> float | None:
    """Seconds until another worker's lease on this in-flight voicemail runs out; None when it is not
    held (finished, queued, or gone)."""
    with sm() as session:
        row = session.execute(
            select(Voicemail.status, Voicemail.lease_expires_at).where(Voicemail.id == vm_id)
        ).first()
    if row is None or row.status not in Status.IN_FLIGHT or row.lease_expires_at is None:
        return None
    expires = (
        row.lease_expires_at if row.lease_expires_at.tzinfo else row.lease_expires_at.replace(tzinfo=UTC)
    )
    return max(0.0, (expires - utcnow()).total_seconds())


def stale(
    sm: sessionmaker[Session], older_than_s: float, limit: int = 500
) -> tuple[list[str], list[str], int]:
    """What the sweeper may have to send again, not sent for ``older_than_s``: (queued voicemails,
    oldest first; in-flight voicemails whose lease expired because their worker died; how many
    voicemails are queued in all)."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_s)
    not_recent = or_(Voicemail.dispatched_at.is_(None), Voicemail.dispatched_at < cutoff)
    with sm() as session:
        queued = session.scalars(
            select(Voicemail.id)
            .where(Voicemail.status == Status.QUEUED, Voicemail.updated_at < cutoff, not_recent)
            .order_by(Voicemail.created_at)
            .limit(limit)
        ).all()
        orphaned = session.scalars(
            select(Voicemail.id)
            .where(Voicemail.status.in_(Status.IN_FLIGHT), Voicemail.lease_expires_at < now, not_recent)
            .order_by(Voicemail.created_at)
            .limit(limit)
        ).all()
        total = session.scalar(select(func.count()).where(Voicemail.status == Status.QUEUED)) or 0
    return list(queued), list(orphaned), int(total)


def mark_dispatched(sm: sessionmaker[Session], ids: list[str]) -> None:
    if ids:
        with sm() as session:
            session.execute(update(Voicemail).where(Voicemail.id.in_(ids)).values(dispatched_at=utcnow()))
            session.commit()


def renew_lease(sm: sessionmaker[Session], vm_id: str, owner: str, lease_s: float) -> bool:
    with sm() as session:
        result = session.execute(
            update(Voicemail)
            .where(Voicemail.id == vm_id, Voicemail.lease_owner == owner)
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
        )
        session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def advance(
    sm: sessionmaker[Session], vm_id: str, owner: str, status: str, detail: str | None = None, **fields: Any
) -> None:
    """Move an owned voicemail to ``status`` (and set ``fields``) or raise LeaseLost."""
    with sm() as session:
        result = session.execute(
            update(Voicemail)
            .where(Voicemail.id == vm_id, Voicemail.lease_owner == owner)
            .values(status=status, updated_at=utcnow(), **fields)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(vm_id)
        session.add(VoicemailEvent(voicemail_id=vm_id, status=status, detail=detail))
        session.commit()


def _finish_locked(session: Session, vm_id: str, status: str, reason: str | None, **fields: Any) -> None:
    session.execute(
        update(Voicemail)
        .where(Voicemail.id == vm_id)
        .values(
            status=status,
            status_reason=reason,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=utcnow(),
            updated_at=utcnow(),
            **fields,
        )
    )
    session.add(VoicemailEvent(voicemail_id=vm_id, status=status, detail=reason))
    session.flush()
    # The completion webhook is written in the same transaction (an outbox): never lost, never early.
    outbox.enqueue_completion(session, vm_id)


def finish(
    sm: sessionmaker[Session],
    vm_id: str,
    owner: str,
    status: str,
    reason: str | None = None,
    revision: TranscriptRevision | None = None,
    summary: Summary | None = None,
    **fields: Any,
) -> None:
    """End processing: final status, fields, and the new revision made current, in one transaction."""
    with sm() as session:
        owned = session.execute(
            update(Voicemail)
            .where(Voicemail.id == vm_id, Voicemail.lease_owner == owner)
            .values(updated_at=utcnow())
        )
        if owned.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(vm_id)
        if revision is not None:
            fields["current_revision_id"] = add_revision(session, vm_id, revision, summary)
        _finish_locked(session, vm_id, status, reason, **fields)
        if revision is not None:
            search.reindex(session, vm_id)
        session.commit()


def add_revision(session: Session, vm_id: str, revision: TranscriptRevision, summary: Summary | None) -> str:
    """Add the voicemail's next revision (and its summary), in the caller's transaction; return its id.
    It is not made current here."""
    number = session.scalar(
        select(func.coalesce(func.max(TranscriptRevision.number), 0)).where(
            TranscriptRevision.voicemail_id == vm_id
        )
    )
    revision.voicemail_id = vm_id
    revision.number = int(number or 0) + 1
    session.add(revision)
    session.flush()
    if summary is not None:
        summary.revision_id = revision.id
        session.add(summary)
    return revision.id


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
    if f.status:
        query = query.where(Voicemail.status == f.status)
    if f.ids is not None:
        query = query.where(Voicemail.id.in_(f.ids))
    if f.api_key_id:
        query = query.where(Voicemail.api_key_id == f.api_key_id)
    if f.mailbox or f.caller:
        calls = select(CallRecord.id)
        if f.mailbox:
            calls = calls.where(CallRecord.mailbox == f.mailbox)
        if f.caller:
            numbers = {f.caller, to_e164(f.caller, default_region) or f.caller}
            calls = calls.where(CallRecord.from_number.in_(numbers))
        query = query.where(Voicemail.call_id.in_(calls))
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
    if f.inbox_state in AgentState.ALL:
        query = query.where(Voicemail.status == Status.DONE, Voicemail.agent_state == f.inbox_state)
    elif f.inbox_state in (Status.FAILED, Status.NO_SPEECH):
        query = query.where(Voicemail.status == f.inbox_state)
    elif f.inbox_state == "processing":
        query = query.where(Voicemail.status.in_((Status.QUEUED, *Status.IN_FLIGHT)))
    if f.assignee:
        query = query.where(Voicemail.assignee == f.assignee)
    if f.q and (ids := search.matching(session, f.q)) is not None:
        query = query.where(Voicemail.id.in_(ids))
    if f.since:
        query = query.where(Voicemail.created_at >= f.since)
    if f.until:
        query = query.where(Voicemail.created_at < f.until)
    if f.newer_than:
        query = query.where(Voicemail.created_at > f.newer_than)
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


def earlier_calls_from(session: Session, number: str | None, vm_id: str, before: datetime) -> int:
    """Other voicemails from ``number`` in the 24 h before ``before``: a caller trying again."""
    if not number:
        return 0
    try:
        since, until = before - timedelta(hours=24), before + timedelta(minutes=5)
    except OverflowError:  # a start at the ends of the calendar (year 1, 9999): no window to look in
        return 0
    return int(
        session.scalar(
            select(func.count())
            .select_from(Voicemail)
            .join(CallRecord, Voicemail.call_id == CallRecord.id)
            .where(
                CallRecord.from_number == number,
                Voicemail.id != vm_id,
                Voicemail.created_at >= since,
                Voicemail.created_at <= until,
            )
        )
        or 0
    )


def callers_with_fingerprint(session: Session, print_: str, number: str | None, before: datetime) -> int:
    """How many other numbers left the same words in the week before: a recorded robocall."""
    try:
        since = before - timedelta(days=7)
    except OverflowError:  # a start in year 1: look back from now instead
        since = utcnow() - timedelta(days=7)
    query = (
        select(func.count(func.distinct(CallRecord.from_number)))
        .select_from(TranscriptRevision)
        .join(Voicemail, TranscriptRevision.voicemail_id == Voicemail.id)
        .join(CallRecord, Voicemail.call_id == CallRecord.id)
        .where(TranscriptRevision.fingerprint == print_, TranscriptRevision.created_at >= since)
    )
    if number:
        query = query.where(CallRecord.from_number != number)
    return int(session.scalar(query) or 0)


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


def set_agent_state(
    session: Session,
    vm: Voicemail,
    who: str,
    state: str | None = None,
    assignee: str | None = None,
    unassign: bool = False,
) -> None:
    """An agent's change (handled, in progress, assigned), kept in the voicemail's history."""
    changes = []
    if state is not None and state != vm.agent_state:
        vm.agent_state = state
        changes.append(f"marked {state}")
    if unassign and vm.assignee is not None:
        vm.assignee = None
        changes.append("unassigned")
    elif assignee is not None and assignee != vm.assignee:
        vm.assignee = assignee
        changes.append(f"assigned to {assignee}")
    if changes:
        vm.updated_at = utcnow()
        vm.events.append(VoicemailEvent(status=vm.status, detail=f"{who}: {', '.join(changes)}"))


def requeue(session: Session, vm_id: str, who: str) -> bool:
    """Queue a finished voicemail again (a new revision will be added); False while it is in flight."""
    result = session.execute(
        update(Voicemail)
        .where(Voicemail.id == vm_id, Voicemail.status.in_(Status.FINAL))
        .values(
            status=Status.QUEUED,
            status_reason=None,
            attempts=0,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=None,
            updated_at=utcnow(),
            dispatched_at=utcnow(),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(
        VoicemailEvent(voicemail_id=vm_id, status=Status.QUEUED, detail=f"reprocess requested by {who}")
    )
    return True


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


def count_by_status(session: Session, api_key_id: str | None = None) -> dict[str, int]:
    query = select(Voicemail.status, func.count()).group_by(Voicemail.status)
    if api_key_id:
        query = query.where(Voicemail.api_key_id == api_key_id)
    rows = session.execute(query)
    return {status: int(n) for status, n in rows}
