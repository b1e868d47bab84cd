"""A `voice serve` killed (-9) while Twilio holds its POST of an acknowledgement: Twilio made the message but
Voice never learnt its SID. The restarted server takes the row up once the lease runs out, finds the message
in Twilio's list (the local Twilio server's), and records it: exactly one message, one POST. Rows written
before the server starts (a crash between triage and the send) go once too."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.seed import seed_voicemail
from tests.support.serve import make_server
from tests.support.twilio_server import HANG, FakeTwilio, Fault, serve
from voice.acks import enqueue
from voice.storage import acks, db
from voice.storage.models import AckMessage, CallRecord, Voicemail

CALLER, SENDER = "+447700900123", "+447700900000"


def _processed_voicemail(url: str) -> str:
    """A billing voicemail whose processing ended (its acknowledgement queued), as a crash right after the
    triage leaves it: no server was running to send it."""
    engine = db.make_engine(url)
    sm = db.make_sessionmaker(engine)
    with sm() as session:
        vm_id = seed_voicemail(session, mailbox="billing", from_number=CALLER, intent="billing")
        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        session.execute(
            update(CallRecord).where(CallRecord.id == vm.call_id).values(started_at=datetime.now(UTC))
        )
        row = enqueue.after_processing(session, vm_id, "GB")
        assert row is not None and row.status == AckMessage.QUEUED, row and row.reason
        session.commit()
    engine.dispose()
    return vm_id


def _ack(url: str, vm_id: str) -> AckMessage:
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as session:
        row = acks.of_voicemail(session, vm_id)
        assert row is not None
        session.expunge(row)
    engine.dispose()
    return row


@pytest.mark.e2e
def test_kill_9_while_twilio_holds_the_send_then_restart_sends_exactly_one(tmp_path: Path) -> None:
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        fake.fail(Fault(HANG))
        server = make_server(
            tmp_path,
            VOICE_TWILIO__ACCOUNTS=json.dumps([{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}]),
            VOICE_TWILIO__API_BASE_URL=fake.url,
            VOICE_ACKS__TIMEOUT_S="4",  # a lease of 3 * 4 + 5 = 17 s
            VOICE_ACKS__POLL_INTERVAL_S="0.2",
        )
        server.serve_args = ("--no-worker",)
        url = f"sqlite:///{server.data_dir / 'voice.db'}"
        server.cli("db", "upgrade")
        server.cli("teams", "create", "billing", "--mailbox", "billing", "--timezone", "Europe/London")
        # The real clock: hours open all day, so the test does not depend on when it runs.
        server.cli("ack", "enable", "billing", "--sender", SENDER, "--from", "00:00", "--until", "24:00")
        server.cli("ack", "template", "billing", "We got your message about {{ topic }}.")
        vm_id = _processed_voicemail(url)
        try:
            server.start()
            deadline = time.monotonic() + 30
            while fake.posts == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert fake.posts == 1 and len(fake.messages) == 1  # Twilio made it, and holds the answer
            assert _ack(url, vm_id).status == AckMessage.SENDING
            server.stop(signal.SIGKILL)
            fake.release.set()  # the answer would now go to a dead process
            server.start()
            deadline = time.monotonic() + 60
            while _ack(url, vm_id).status == AckMessage.SENDING and time.monotonic() < deadline:
                time.sleep(0.2)
            row = _ack(url, vm_id)
        finally:
            server.stop()
        assert (row.status, row.message_sid) == ("sent", fake.messages[0]["sid"]), row.last_error
        assert fake.posts == 1 and [m["body"] for m in fake.sent_to(CALLER)] == [
            "We got your message about your bill."
        ]
