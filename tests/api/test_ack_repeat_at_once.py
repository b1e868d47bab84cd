"""Two voicemails of one caller finishing at the same moment on PostgreSQL (two transactions at once): one
acknowledgement, the other skipped for the repeat window. Each decision read the other's row as absent before
either committed, so both callers' rows were queued (r2 F2); a lock per team and number now orders them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail
from tests.support.services import temp_postgres

pytestmark = pytest.mark.e2e  # a PostgreSQL database of its own, two writers at once

MOBILE = "+447700900123"
MONDAY_2PM = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Europe/London is UTC in December


@pytest.fixture
def pg() -> Iterator[sessionmaker[Session]]:
    from voice.storage import db

    with temp_postgres("voice_ack_race") as url:
        db.upgrade(url)
        engine = db.make_engine(url)
        yield db.make_sessionmaker(engine)
        engine.dispose()


def test_two_voicemails_of_one_caller_at_once_get_one_acknowledgement(pg: sessionmaker[Session]) -> None:
    from voice.acks import enqueue
    from voice.storage import acks, teams
    from voice.storage.models import AckMessage, Voicemail

    with pg() as session:
        teams.create_team(session, "billing", ["billing"], "Europe/London", "mon-fri 09:00-17:00")
        config = acks.SettingsIn(enabled=True, sender="+447700900000", channel="sms")
        acks.configure(session, "billing", config)
        acks.set_template(session, "billing", "We got your message.")
        ids = [seed_voicemail(session, mailbox="billing", from_number=MOBILE, intent="billing") for _ in "ab"]
        for vm_id in ids:
            vm = session.get(Voicemail, vm_id)
            assert vm is not None
            vm.created_at = MONDAY_2PM
            vm.call.started_at = MONDAY_2PM
        session.commit()

    both = threading.Barrier(2)
    errors: list[BaseException] = []

    def finish(vm_id: str) -> None:
        try:
            with pg() as session:
                both.wait(timeout=10)
                enqueue.after_processing(session, vm_id, "GB", now=MONDAY_2PM)
                time.sleep(0.5)  # the other decides before this commits
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=(vm_id,)) for vm_id in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with pg() as session:
        rows = session.execute(select(AckMessage.status, AckMessage.reason)).all()
    statuses = sorted(status for status, _ in rows)
    assert statuses == ["queued", "skipped"], rows
    assert "repeat window" in next(reason for status, reason in rows if status == "skipped")
