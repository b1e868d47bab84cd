"""Two agents mark one voicemail handled at the same moment (PostgreSQL, where two writers run at once): each
counts the same "handled" instance, and the second one's row collides with the first's. One comment is queued
and both requests succeed; the second used to end in an IntegrityError (a 500 for the agent)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail
from tests.support.services import temp_postgres

pytestmark = pytest.mark.e2e  # a real PostgreSQL server of its own, outside the `sm` fixture


@pytest.fixture
def pg() -> Iterator[sessionmaker[Session]]:
    from voice.storage import db

    with temp_postgres("voice_crm_race") as url:
        db.upgrade(url)
        engine = db.make_engine(url)
        yield db.make_sessionmaker(engine)
        engine.dispose()


def test_two_handled_marks_at_once_queue_one_comment(pg: sessionmaker[Session], tmp_path: Path) -> None:
    from voice.routing import route
    from voice.storage import crm, teams
    from voice.storage.models import CrmSync

    with pg() as session:
        teams.create_team(session, "billing", ["accounts"])
        config = {"base_url": "http://127.0.0.1:9", "email": "agent@example.com"}
        crm.add(session, None, "zd", "zendesk", config, {"api_token": "t"}, team="billing")
        vm_id = seed_voicemail(session, mailbox="accounts", intent="billing")
        route.after_processing(session, vm_id)  # its "created" row: the connector was told of it
        session.commit()

    counted = threading.Barrier(2)
    errors: list[BaseException] = []

    def mark() -> None:
        try:
            with pg() as session:
                counted.wait(timeout=10)
                crm.enqueue_handled(session, vm_id)
                time.sleep(0.5)  # both have counted and written before either commits
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=mark) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with pg() as session:
        events = session.scalars(select(CrmSync.event).where(CrmSync.voicemail_id == vm_id)).all()
    assert sorted(events) == ["created", "handled"]
