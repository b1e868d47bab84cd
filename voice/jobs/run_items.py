"""An item of a reprocess run as a job (kind RUN_ITEM): claimed under a lease once released by its run
(voice/storage/run_items.py), renewed while it is worked, ended with its result in the transaction that
makes its revision current, or given back."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy.orm import Session, sessionmaker

from voice.jobs import claiming
from voice.jobs.kinds import RUN_ITEM
from voice.storage import run_items
from voice.storage.models import ItemState, ReprocessItem, utcnow


def claim(
    sm: sessionmaker[Session],
    owner: str,
    lease_s: float,
    item_id: int | None = None,
    run_id: str | None = None,
    executor: str | None = None,
    reenter: bool = False,
) -> int | None:
    """Take a released item (this one, or the oldest of this run or of any running run, of this executor)
    whose voicemail is not being processed; return its id, or None. ``reenter`` (with ``item_id``): the
    owner of an earlier try a database fault interrupted takes its own lease back."""
    where = run_items.claim_filter(run_id=run_id, executor=executor)
    if item_id is not None:
        claimed = claiming.claim(sm, RUN_ITEM, item_id, owner, lease_s, where=where, reenter=reenter)
    else:
        claimed = claiming.claim_next(sm, RUN_ITEM, owner, lease_s, where=where)
    return None if claimed is None else int(claimed.id)


def heartbeat(
    sm: sessionmaker[Session], item_id: int, owner: str, lease_s: float
) -> AbstractContextManager[None]:
    return claiming.heartbeat(sm, RUN_ITEM, item_id, owner, lease_s)


def end_owned(
    session: Session, item_id: int, owner: str, state: str, reason: str | None, revision_id: str | None = None
) -> bool:
    """End an item this owner holds, in the caller's transaction; False when the lease was lost."""
    if not claiming.end(session, RUN_ITEM, item_id, owner):
        return False
    run_items.end(session, item_id, state, reason, revision_id)
    return True


def give_back(
    sm: sessionmaker[Session], item_id: int, owner: str, state: str = ItemState.PENDING, refund: bool = False
) -> None:
    """Return an item this owner holds, unfinished: to pending (the process is stopping), or to queued (to
    be tried again at once). ``refund``: not counted as an attempt (a database fault)."""
    queued_at = utcnow() if state == ItemState.QUEUED else None
    claiming.release(
        sm, RUN_ITEM, item_id, owner, refund=refund, values={"state": state, "queued_at": queued_at}
    )


def stale_queued(sm: sessionmaker[Session], run_id: str, older_than_s: float) -> list[int]:
    """Items to send again: queued for ``older_than_s`` with no worker taking them (a lost message), or
    held by a worker that died (expired lease). Stamps them now."""
    found = claiming.stale(sm, RUN_ITEM, older_than_s, where=(ReprocessItem.run_id == run_id,))
    ids = [int(i) for i in found.waiting + found.orphaned]
    claiming.mark_dispatched(sm, RUN_ITEM, ids)
    return ids
