"""The audit trail: who read, changed, reprocessed, exported or erased which voicemail, and when.

Events name the actor ("key:NAME", "user:NAME", "cli:USER", "system:retention"), the action and the
voicemail's id, with details that are ids, counts and field names only: the trail must not become a second
copy of the personal data it watches over, and it stays after the voicemail is erased.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from voice.storage.models import AuditEvent, utcnow

log = logging.getLogger(__name__)

# What can be recorded. Reads of lists record the filters and how many came back, not the ids.
ACTIONS = (
    "read",  # one voicemail: API detail, revisions, the inbox page
    "list",  # a page of the list or inbox
    "listen",  # the audio
    "export",  # a transcript downloaded (txt, srt, vtt)
    "update",  # agent state, assignee
    "note",  # an agent's note added
    "reprocess",  # one voicemail again, or a batch run made or resumed
    "delete",  # one voicemail deleted (API, admin)
    "erase",  # erasure of a caller's data
    "retention",  # audio or voicemails deleted by the retention policy
)


# Reads change nothing, so their rows need not share the read's fate: they are written in a short transaction
# of their own once the read's session commits, and a failed write (a full disk, a read-only database) is
# logged, counted and kept here to be written later, instead of failing the read with it.
READS = frozenset({"read", "list", "listen", "export"})
_PENDING = "voice.audit.pending"
MAX_BACKLOG = 10_000  # rows kept per database while writes fail; the oldest go first beyond it
RETRY_AFTER_S = 5.0  # after a failed write, reads only queue for this long (a full disk stays full a while)


def record(session: Session, actor: str, action: str, voicemail_id: str | None = None, **detail: Any) -> None:
    """Add an event: a change's to the caller's transaction (it commits with the change it describes), a
    read's to be written after the caller's session commits (see READS)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = {"at": utcnow(), "actor": actor[:150], "action": action, "voicemail_id": voicemail_id}
    row["detail"] = detail
    if action in READS:
        session.info.setdefault(_PENDING, []).append(row)
    else:
        session.add(AuditEvent(**row))


class Backlog:
    """Read events whose write failed, per database, with counts for /metrics and /healthz."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, deque[dict[str, Any]]] = {}
        self._retry_at: dict[str, float] = {}
        self.failures = 0  # writes that failed
        self.dropped = 0  # rows lost because the backlog was full

    def __len__(self) -> int:
        with self._lock:
            return sum(len(rows) for rows in self._rows.values())

    def write(self, engine: Engine, rows: list[dict[str, Any]], force: bool = False) -> bool:
        """Write ``rows`` and whatever waits for this database; on failure keep them all. True if written."""
        key = str(engine.url)
        with self._lock:
            waiting = self._rows.setdefault(key, deque())
            if not force and time.monotonic() < self._retry_at.get(key, 0.0):
                self._keep(waiting, rows)
                return False
            batch = [*waiting, *rows]
            waiting.clear()
        if not batch:
            return True
        try:
            with engine.begin() as conn:
                conn.execute(insert(AuditEvent), batch)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            with self._lock:
                self.failures += 1
                self._retry_at[key] = time.monotonic() + RETRY_AFTER_S
                self._keep(waiting, batch)
                held = len(waiting)
            log.warning(
                "could not write %d audit events (%s); %d kept to write later", len(batch), reason, held
            )
            return False
        if len(batch) > len(rows):
            log.info("wrote %d audit events that had waited", len(batch) - len(rows))
        return True

    def _keep(self, waiting: deque[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if len(waiting) >= MAX_BACKLOG:
                waiting.popleft()
                self.dropped += 1
            waiting.append(row)

    def flush(self, engine: Engine) -> bool:
        """Write what waits for ``engine``'s database now (periodically, and when the service stops)."""
        return self.write(engine, [], force=True)


backlog = Backlog()


_READY = "voice.audit.ready"


# The rows are written after the session has given its connection back to the pool: after_commit fires while
# it still holds it, and a second connection from a pool exhausted by concurrent reads waited pool_timeout.
@event.listens_for(Session, "after_commit")
def _reads_committed(session: Session) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.info.setdefault(_READY, []).extend(rows)


@event.listens_for(Session, "after_transaction_end")
def _write_reads(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint's or inner transaction's end: the outermost one has the connection still
    rows = session.info.pop(_READY, None)
    if rows:
        bind = session.get_bind()
        backlog.write(bind if isinstance(bind, Engine) else bind.engine, rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget_reads(session: Session, _previous: object) -> None:
    session.info.pop(_PENDING, None)  # the read did not happen after all


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    voicemail_id: str | None = None


def events(session: Session, f: AuditFilter, limit: int = 1000) -> list[AuditEvent]:
    """Oldest first, within the filter."""
    query = select(AuditEvent)
    if f.since:
        query = query.where(AuditEvent.at >= f.since)
    if f.until:
        query = query.where(AuditEvent.at < f.until)
    if f.actor:
        query = query.where(AuditEvent.actor == f.actor)
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.voicemail_id:
        query = query.where(AuditEvent.voicemail_id == f.voicemail_id)
    return list(session.scalars(query.order_by(AuditEvent.at, AuditEvent.id).limit(limit)))
