"""Periodic work (callback deadlines, retention, re-dispatch, the reprocess pump) that runs once per
interval per deployment, however many processes host a Sweeper: each sweep is a row whose lease elects
the one process that runs it this time, and whose next_attempt_at says when it is next due."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from voice.jobs import claiming
from voice.jobs.kinds import SWEEP
from voice.jobs.leases import owner_token
from voice.storage.models import Sweep as SweepRow
from voice.storage.models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    name: str
    interval_s: float
    run: Callable[[], object]
    # Renewed every third of it while the sweep runs: a process that dies mid-sweep hands it over once this
    # runs out.
    lease_s: float = 30.0


@functools.cache
def _insert_or_nothing(dialect: str) -> Any:
    # PostgreSQL and SQLite both say INSERT ... ON CONFLICT DO NOTHING: processes starting together agree.
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert_(cast(Table, SweepRow.__table__)).on_conflict_do_nothing()


def _ensure_rows(session: Session, sweeps: Sequence[Sweep], now: datetime) -> None:
    """A row per sweep, first due one interval from now (as a fresh process's timer would be)."""
    conn = session.connection()
    rows = [
        {"name": s.name, "attempts": 0, "next_attempt_at": now + timedelta(seconds=s.interval_s)}
        for s in sweeps
    ]
    conn.execute(_insert_or_nothing(conn.dialect.name), rows)


class Sweeper:
    """Runs every due sweep this process wins, one after another, on one thread (give a slow sweep a
    Sweeper of its own, so it does not hold back the quick ones)."""

    def __init__(
        self,
        sm: sessionmaker[Session],
        sweeps: Sequence[Sweep],
        tick_s: float | None = None,
        name: str = "voice-sweeps",
    ) -> None:
        self.sm = sm
        self.sweeps = list(sweeps)
        shortest = min((s.interval_s for s in self.sweeps), default=1.0)
        self.tick_s = tick_s if tick_s is not None else min(1.0, shortest)
        self._ready = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def run_due(self, now: datetime | None = None) -> list[str]:
        """One pass: run each due sweep no other process holds; return the names run here."""
        at = now or utcnow()
        with self.sm() as session:
            if not self._ready:
                _ensure_rows(session, self.sweeps, at)
                session.commit()
                self._ready = True
            # A read first: most passes find nothing due, and a claim would take SQLite's write lock.
            rows = session.execute(
                select(SweepRow.name).where(
                    SweepRow.name.in_([s.name for s in self.sweeps]),
                    claiming.claimable(SWEEP, at),
                )
            )
            due = {name for (name,) in rows}
        ran = []
        for sweep in self.sweeps:
            if sweep.name not in due:
                continue
            owner = owner_token()
            if claiming.claim(self.sm, SWEEP, sweep.name, owner, sweep.lease_s, now=now) is None:
                continue  # another process took it first
            self._run(sweep, owner, now)
            ran.append(sweep.name)
        return ran

    def _run(self, sweep: Sweep, owner: str, now: datetime | None) -> None:
        started = utcnow()
        error = None
        try:
            with claiming.heartbeat(self.sm, SWEEP, sweep.name, owner, sweep.lease_s):
                sweep.run()
        except Exception as exc:  # the database or broker went away for a moment; try again next interval
            log.exception("sweep %s failed", sweep.name)
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        finished = utcnow()
        with self.sm() as session:
            claiming.end(
                session,
                SWEEP,
                sweep.name,
                owner,
                next_attempt_at=(now or finished) + timedelta(seconds=sweep.interval_s),
                attempts=0,
                last_started_at=started,
                last_finished_at=finished,
                last_error=error,
            )
            session.commit()

    def start(self) -> None:
        if self.sweeps:
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.run_due()
            except Exception:  # the database went away for a moment; the next tick tries again
                log.exception("sweeps failed")
