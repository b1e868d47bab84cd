"""Claim, renew, release and end a job, for every kind (voice/jobs/kinds.py); written once.

A worker owns a job through a lease (owner token + expiry). Every change is a compare-and-set on the
token, so a job taken over after its worker died is never ended twice. Claims, renewals and releases are
transactions of their own; ``end``, ``write_held`` and ``fail`` run in the caller's session, so the job's
result and its outbox row are written in the transaction that ends it.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from voice.jobs.kinds import JobKind
from voice.jobs.leases import keep_lease
from voice.storage.models import as_utc, utcnow


class LeaseLost(RuntimeError):
    """Another worker holds this job now (our lease ran out); stop without writing."""


@dataclass(frozen=True)
class Claimed:
    id: Any
    owner: str
    group: str | None
    attempts: int


def _pk(kind: JobKind) -> Any:
    return getattr(kind.model, kind.key)


def _free(t: Any, now: datetime) -> ColumnElement[bool]:
    return or_(t.lease_expires_at.is_(None), t.lease_expires_at < now)


def _due(t: Any, now: datetime) -> ColumnElement[bool]:
    return or_(t.next_attempt_at.is_(None), t.next_attempt_at <= now)


def claimable(kind: JobKind, now: datetime) -> ColumnElement[bool]:
    """Still work, held by no live lease, and due."""
    m = kind.model
    return and_(kind.open(m), _free(m, now), _due(m, now))


def _claim_in(
    session: Session,
    kind: JobKind,
    job_id: Any,
    owner: str,
    lease_s: float,
    now: datetime,
    where: Iterable[ColumnElement[bool]] = (),
    reenter: bool = False,
) -> Claimed | None:
    """The compare-and-set of a claim; commits (or rolls back) the session."""
    m = kind.model
    mine = m.lease_owner == owner
    held_ok = or_(_free(m, now), mine) if reenter else _free(m, now)
    # Taking back our own lease (a retry after a database fault) is not another attempt.
    step = case((mine, 0), else_=1) if reenter else 1
    result = session.execute(
        update(m)
        .where(_pk(kind) == job_id, kind.open(m), _due(m, now), held_ok, *where)
        .values(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            attempts=m.attempts + step,
            **kind.on_claim,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return None
    group_col = getattr(m, kind.group) if kind.group else None
    row = session.execute(
        select(m.attempts, *([group_col] if group_col is not None else [])).where(_pk(kind) == job_id)
    ).one()
    attempts = int(row[0] or 0)
    if kind.policy.exhausted(attempts):
        _give_up(session, kind, job_id, kind.interrupted(attempts))
        session.commit()
        return None
    session.commit()
    return Claimed(job_id, owner, row[1] if group_col is not None else None, attempts)


def _give_up(session: Session, kind: JobKind, job_id: Any, reason: str | None) -> None:
    m = kind.model
    session.execute(
        update(m)
        .where(_pk(kind) == job_id)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    kind.give_up(session, job_id, reason)


def claim(
    sm: sessionmaker[Session],
    kind: JobKind,
    job_id: Any,
    owner: str,
    lease_s: float,
    *,
    where: Iterable[ColumnElement[bool]] = (),
    reenter: bool = False,
    now: datetime | None = None,
) -> Claimed | None:
    """Take this job if it is claimable; None when another owner holds it, it is not due, it ended, it is
    gone, or this claim was one too many (it is given up, committed). ``reenter``: the caller is the
    earlier holder (``owner`` is its token) and may take its own live lease back."""
    with sm() as session:
        return _claim_in(session, kind, job_id, owner, lease_s, now or utcnow(), where, reenter)


# The groups of this process's last claims, per kind: with one worker nothing else is in flight when it
# claims, so without them a group that posted first would have all of its backlog taken before anyone else's.
_recent: defaultdict[str, deque[str]] = defaultdict(lambda: deque(maxlen=4))
_recent_lock = threading.Lock()


def _fair_order(kind: JobKind, now: datetime) -> tuple[list[Any], Any]:
    """ORDER BY terms that put first the group with the fewest live leases, then the group this process
    served least lately; and the outer join they need. Rows without a group count as one group."""
    m = kind.model
    assert kind.group is not None
    other = aliased(m)
    other_key = func.coalesce(getattr(other, kind.group), "")
    key = func.coalesce(getattr(m, kind.group), "")
    held = (
        select(other_key.label("key"), func.count().label("n"))
        .where(kind.open(other), other.lease_expires_at >= now)
        .group_by(other_key)
        .subquery()
    )
    with _recent_lock:
        served = Counter(_recent[kind.name])
    order: list[Any] = [func.coalesce(held.c.n, 0)]
    if served:
        order.append(case(dict(served), value=key, else_=0))
    return order, (held, held.c.key == key)


def claim_next(
    sm: sessionmaker[Session],
    kind: JobKind,
    owner: str,
    lease_s: float,
    *,
    where: Iterable[ColumnElement[bool]] = (),
    skip_groups: frozenset[str] = frozenset(),
    fair: bool = False,
    now: datetime | None = None,
) -> Claimed | None:
    """Take the first claimable job (``fair``: of the group with the fewest held, then of the one served
    least lately, then in the kind's order), not of ``skip_groups``; None when there is nothing to do.
    Never takes back a lease, even its own: a process must not claim a job it is already working."""
    m = kind.model
    where = tuple(where)
    group_col = getattr(m, kind.group) if kind.group else None
    with sm() as session:
        for _ in range(5):
            at = now or utcnow()
            query = select(_pk(kind)).where(claimable(kind, at), *where)
            if skip_groups and group_col is not None:
                query = query.where(or_(group_col.is_(None), group_col.not_in(skip_groups)))
            order: list[Any] = []
            if fair and group_col is not None:
                order, (held, on) = _fair_order(kind, at)
                query = query.outerjoin(held, on)
            row = session.execute(query.order_by(*order, *kind.order(m)).limit(1)).first()
            session.rollback()  # end the read: the claim is a transaction of its own
            if row is None:
                return None
            claimed = _claim_in(session, kind, row[0], owner, lease_s, at, where)
            if claimed is not None:
                if group_col is not None:
                    with _recent_lock:
                        _recent[kind.name].append(claimed.group or "")
                return claimed
    return None


def renew(
    sm: sessionmaker[Session],
    kind: JobKind,
    job_id: Any,
    owner: str,
    lease_s: float,
    *,
    now: datetime | None = None,
) -> bool:
    """Extend the lease this owner holds; False when it is lost."""
    m = kind.model
    with sm() as session:
        result = session.execute(
            update(m)
            .where(_pk(kind) == job_id, m.lease_owner == owner)
            .values(lease_expires_at=(now or utcnow()) + timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def heartbeat(
    sm: sessionmaker[Session], kind: JobKind, job_id: Any, owner: str, lease_s: float
) -> AbstractContextManager[None]:
    """Renew the lease every third of its length while the block runs."""
    return keep_lease(lambda: renew(sm, kind, job_id, owner, lease_s), lease_s, f"{kind.name} {job_id}")


def held_for(
    sm: sessionmaker[Session], kind: JobKind, job_id: Any, *, now: datetime | None = None
) -> float | None:
    """Seconds until the live lease on this job runs out, whoever holds it; None when it is not held
    (free, ended or gone). A claimed job is held whatever its own state says."""
    m = kind.model
    with sm() as session:
        until = session.scalar(
            select(m.lease_expires_at).where(_pk(kind) == job_id, m.lease_owner.is_not(None))
        )
    if until is None:
        return None
    left = (as_utc(until) - (now or utcnow())).total_seconds()
    return left if left > 0 else None


def release(
    sm: sessionmaker[Session],
    kind: JobKind,
    job_id: Any,
    owner: str,
    *,
    delay_s: float = 0.0,
    refund: bool = False,
    values: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Hand a job this owner holds back, unfinished, to be claimed again after ``delay_s``. ``refund``: the
    claim does not count as an attempt (a database fault or a shutdown is not the job's fault). ``values``
    are set with the kind's own (a run item given back as "pending" when its run pauses)."""
    m = kind.model
    at = (now or utcnow()) + timedelta(seconds=delay_s)
    with sm() as session:
        result = session.execute(
            update(m)
            .where(_pk(kind) == job_id, m.lease_owner == owner)
            .values(
                lease_owner=None,
                lease_expires_at=None,
                next_attempt_at=at,
                attempts=case((m.attempts > 0, m.attempts - 1), else_=0) if refund else m.attempts,
                **{**kind.on_release, **(values or {})},
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def write_held(session: Session, kind: JobKind, job_id: Any, owner: str, **values: Any) -> bool:
    """Change a job this owner holds, in the caller's transaction; False when the lease is lost."""
    m = kind.model
    result = session.execute(
        update(m)
        .where(_pk(kind) == job_id, m.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def end(session: Session, kind: JobKind, job_id: Any, owner: str, **values: Any) -> bool:
    """End a job this owner holds (lease cleared, ``values`` set), in the caller's transaction, which also
    writes the job's result and outbox row and commits; False when the lease is lost."""
    return write_held(session, kind, job_id, owner, lease_owner=None, lease_expires_at=None, **values)


def fail(
    session: Session,
    kind: JobKind,
    job_id: Any,
    owner: str,
    *,
    permanent: bool = False,
    reason: str | None = None,
    now: datetime | None = None,
    rand: float | None = None,
) -> datetime | None:
    """An attempt of a job this owner holds failed, in the caller's transaction: schedule the next at the
    policy's delay and return when, or give it up (permanent, too many attempts, too old) and return None.
    LeaseLost when this owner does not hold it."""
    m = kind.model
    now = now or utcnow()
    created = getattr(m, kind.created_at) if kind.created_at else None
    row = session.execute(
        select(m.attempts, *([created] if created is not None else [])).where(
            _pk(kind) == job_id, m.lease_owner == owner
        )
    ).first()
    if row is None:
        raise LeaseLost(str(job_id))
    made = as_utc(row[1]) if created is not None and row[1] is not None else None
    at = kind.policy.retry_at(int(row[0] or 0), made, now, permanent, rand)
    if at is None:
        _give_up(session, kind, job_id, reason)
    else:
        end(session, kind, job_id, owner, next_attempt_at=at)
    return at


@dataclass(frozen=True)
class Stale:
    waiting: list[Any]  # never claimed or handed back, due, not sent lately (oldest first)
    orphaned: list[Any]  # open with an expired lease (its worker died), not sent lately
    total_waiting: int


def stale(
    sm: sessionmaker[Session],
    kind: JobKind,
    older_than_s: float,
    *,
    where: Iterable[ColumnElement[bool]] = (),
    limit: int = 500,
    now: datetime | None = None,
) -> Stale:
    """What a dispatcher may have to send to the broker again, not sent for ``older_than_s``."""
    assert kind.dispatched_at is not None, f"{kind.name} jobs are not sent to a broker"
    m = kind.model
    now = now or utcnow()
    sent = getattr(m, kind.dispatched_at)
    not_recent = or_(sent.is_(None), sent < now - timedelta(seconds=older_than_s))
    where = tuple(where)
    waiting_now = and_(kind.open(m), m.lease_owner.is_(None), _due(m, now), *where)
    with sm() as session:
        waiting = session.scalars(
            select(_pk(kind)).where(waiting_now, not_recent).order_by(*kind.order(m)).limit(limit)
        ).all()
        orphaned = session.scalars(
            select(_pk(kind))
            .where(kind.open(m), m.lease_expires_at < now, not_recent, *where)
            .order_by(*kind.order(m))
            .limit(limit)
        ).all()
        total = session.scalar(select(func.count()).select_from(m).where(waiting_now)) or 0
    return Stale(list(waiting), list(orphaned), int(total))


def mark_dispatched(
    sm: sessionmaker[Session], kind: JobKind, ids: Iterable[Any], *, now: datetime | None = None
) -> None:
    """Stamp jobs as sent to the broker now."""
    ids = list(ids)
    if not ids or kind.dispatched_at is None:
        return
    m = kind.model
    with sm() as session:
        session.execute(
            update(m)
            .where(_pk(kind).in_(ids))
            .values({kind.dispatched_at: now or utcnow()})
            .execution_options(synchronize_session=False)
        )
        session.commit()
