"""The items of reprocess runs as work for workers: released (within the run's rate and window), and
ended; claiming, renewing and giving back are the job mechanism's (voice/jobs/run_items.py).

Items move pending -> queued (released to a worker, at most ``rate_per_min`` and never more than a window
at once) -> running (a worker holds its lease) -> done | failed | skipped. Every move is a compare-and-set,
so two pumps or two workers never do an item twice. The run itself is in voice/storage/runs.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.storage import runs
from voice.storage.models import (
    ItemState,
    ReprocessItem,
    ReprocessRun,
    RunState,
    Status,
    Voicemail,
    as_utc,
    utcnow,
)


def release(sm: sessionmaker[Session], run_id: str, window: int) -> list[int]:
    """Move pending items to queued, within the run's rate and with at most ``window`` (at least 1) released
    and not finished; return the items moved (for a dispatcher to send). Safe from several processes."""
    window = max(1, window)
    with sm() as session:
        run = session.get(ReprocessRun, run_id)
        if run is None or run.state != RunState.RUNNING:
            return []
        open_now = session.scalar(
            select(func.count()).where(
                ReprocessItem.run_id == run_id,
                ReprocessItem.state.in_((ItemState.QUEUED, ItemState.RUNNING)),
            )
        )
        room = window - int(open_now or 0)
        if room <= 0:
            return []
        if not open_now:  # nothing out: a run whose items all ended is done (also heals a missed update)
            runs.finish_if_empty(session, run_id)
            session.commit()
        now = utcnow()
        if run.rate_per_min:
            # A stored rate may predate Target.check's bounds: never an interval timedelta cannot hold.
            interval = timedelta(seconds=60.0 / max(run.rate_per_min, 0.01))
            next_at = as_utc(run.next_release_at) if run.next_release_at else now
            if now < next_at:
                return []
            # Time spent paused or behind earns one item: the rate is a ceiling, not a debt.
            start = next_at if next_at > now - interval else now
            room = min(room, 1 + int((now - start) / interval))
            moved = session.execute(
                update(ReprocessRun)
                .where(ReprocessRun.id == run_id, ReprocessRun.next_release_at == run.next_release_at)
                .values(next_release_at=start + room * interval)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return []  # another pump released this slot
        ids = list(
            session.scalars(
                select(ReprocessItem.id)
                .where(ReprocessItem.run_id == run_id, ReprocessItem.state == ItemState.PENDING)
                .order_by(ReprocessItem.id)
                .limit(room)
            )
        )
        released = []
        for item_id in ids:
            result = session.execute(
                update(ReprocessItem)
                .where(ReprocessItem.id == item_id, ReprocessItem.state == ItemState.PENDING)
                .values(state=ItemState.QUEUED, queued_at=now)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                released.append(item_id)
        session.commit()
        return released


def release_all(sm: sessionmaker[Session], window: int, executor: str | None = None) -> dict[str, list[int]]:
    """``release`` for every running run (of ``executor``, if given): run id -> the items moved."""
    return {run_id: release(sm, run_id, window) for run_id in runs.running_runs(sm, executor)}


def claim_filter(run_id: str | None = None, executor: str | None = None) -> tuple[Any, ...]:
    """Which released items may be claimed (voice/jobs/run_items.py): of a running run (this one, of this
    executor), and whose voicemail is not being processed."""
    running_runs = select(ReprocessRun.id).where(ReprocessRun.state == RunState.RUNNING)
    if executor is not None:
        running_runs = running_runs.where(ReprocessRun.executor == executor)
    idle = select(Voicemail.id).where(Voicemail.status.in_(Status.FINAL))
    found = (ReprocessItem.run_id.in_(running_runs), ReprocessItem.voicemail_id.in_(idle))
    return (*found, ReprocessItem.run_id == run_id) if run_id is not None else found


def end(
    session: Session, item_id: int, state: str, reason: str | None, revision_id: str | None = None
) -> None:
    """End an item for good (its run done when it was the last open one), in the caller's transaction; the
    caller holds its lease (voice/jobs/run_items.py) or gives it up."""
    run_id = session.scalar(select(ReprocessItem.run_id).where(ReprocessItem.id == item_id))
    # The run's row is locked first (PostgreSQL): two workers ending its last two items at once would each
    # count the other's as still open under READ COMMITTED, and neither would mark the run done. FOR NO KEY
    # UPDATE, since the new revision's foreign key already holds a KEY SHARE lock on the same row (FOR UPDATE
    # would deadlock two such transactions).
    session.execute(select(ReprocessRun.id).where(ReprocessRun.id == run_id).with_for_update(key_share=True))
    session.execute(
        update(ReprocessItem)
        .where(ReprocessItem.id == item_id)
        .values(
            state=state,
            reason=reason,
            revision_id=revision_id,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=utcnow(),
        )
    )
    runs.finish_if_empty(session, run_id)
