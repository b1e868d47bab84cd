"""A read's audit rows are written after its session gives its connection back: with the pool as large as
the threadpool, a read that needed a second connection for them waited pool_timeout when all were held."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from tests.support.services import temp_postgres
from voice.storage import audit, db
from voice.storage.models import AuditEvent

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", "postgresql"])
def one_connection(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database behind a pool of exactly one connection that is waited for 2 s at most."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/voice.db"
        else:
            url = stack.enter_context(temp_postgres("voice_auditpool"))
        db.upgrade(url)
        engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
        yield engine
        engine.dispose()


def test_a_read_commits_at_once_and_its_audit_row_is_written(one_connection: Engine) -> None:
    sm = db.make_sessionmaker(one_connection)
    failures = audit.backlog.failures
    with sm() as session:
        session.execute(text("SELECT 1"))  # the session holds the pool's only connection
        audit.record(session, "key:pool", "list", None, returned=1)
        started = time.monotonic()
        session.commit()
        took = time.monotonic() - started
    assert took < 1.0, f"commit took {took:.2f}s (waited for a second connection)"
    assert audit.backlog.failures == failures
    with sm() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "key:pool")
        count = session.scalar(query)
    assert count == 1


def test_a_read_inside_a_savepoint_is_written_once_after_the_outer_commit(one_connection: Engine) -> None:
    sm = db.make_sessionmaker(one_connection)
    with sm() as session:
        with session.begin_nested():
            audit.record(session, "key:nested", "read", None)
        session.commit()
        with session.begin():
            audit.record(session, "key:nested", "read", None)
    with sm() as session:
        found = audit.events(session, audit.AuditFilter(actor="key:nested"))
    assert len(found) == 2


def test_a_rolled_back_read_writes_nothing(one_connection: Engine) -> None:
    sm = db.make_sessionmaker(one_connection)
    with sm() as session:
        session.execute(text("SELECT 1"))
        audit.record(session, "key:gone", "read", None)
        session.rollback()
        session.commit()
    with sm() as session:
        assert audit.events(session, audit.AuditFilter(actor="key:gone")) == []
