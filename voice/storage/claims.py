"""A voicemail's processing job: claim, lease, progress and finish; and what the sweeper sends again.
The database is the source of truth for every job's state.

A worker owns a voicemail through a lease (owner token + expiry). Every state change is a
compare-and-set on that token, so a job that was taken over after a crash can never write a
second current revision.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from voice.storage import outbox
from voice.storage.models import Status, Summary, TranscriptRevision, Voicemail, VoicemailEvent, utcnow
from voice.storage.revisions import PriorityRule, make_current


class LeaseLost(RuntimeError):
    """Another worker took this voicemail over (our lease expired); stop without writing."""


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
    priority_rule: PriorityRule | None = None,
    **fields: Any,
) -> None:
    """End processing: final status, fields, and the new revision made current (``make_current``, with
    ``priority_rule``: required with a revision), in one transaction."""
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
            if priority_rule is None:
                raise TypeError("a new revision needs the rule for its priority")
            make_current(session, vm_id, revision, summary, priority_rule)
        _finish_locked(session, vm_id, status, reason, **fields)
        session.commit()
