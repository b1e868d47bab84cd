"""No caller's number in Voice's logs while an acknowledgement is sent (SQLite, the local Twilio server, the
official client, logs captured at INFO as `voice serve` logs): not from twilio's own request log of the
message list looked up before a resend (To=...), nor from Twilio's error text ("The 'To' number +44...")."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.seed import seed_voicemail
from tests.support.twilio_server import FakeTwilio, Fault, serve
from voice.acks import enqueue
from voice.core import logs
from voice.core.config import Settings, TwilioAccount, TwilioSettings, WorkerSettings
from voice.integrations import acks as sender
from voice.storage import acks, teams
from voice.storage.models import AckMessage, CallRecord, Voicemail

MOBILE, SENDER = "+447700900123", "+447700900000"


@pytest.fixture
def settings(sm: sessionmaker[Session], tmp_path: Path) -> Iterator[tuple[Settings, FakeTwilio]]:
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        twilio = TwilioSettings(
            accounts=[TwilioAccount(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)], api_base_url=fake.url
        )
        with sm() as session:
            teams.create_team(session, "billing", ["billing"], "Europe/London", "mon-fri 09:00-17:00")
            # Open all day: the sender runs on the real clock, so the test does not depend on when it runs.
            change = acks.SettingsIn(
                enabled=True, sender=SENDER, channel="sms", allowed_from="00:00", allowed_until="24:00"
            )
            acks.configure(session, "billing", change)
            acks.set_template(session, "billing", "We got your message. Reply STOP to opt out.")
            session.commit()
        yield Settings(data_dir=tmp_path, twilio=twilio, worker=WorkerSettings(enabled=False)), fake


@pytest.mark.parametrize("sm", ["sqlite"], indirect=True)
def test_no_number_in_the_logs_of_a_lookup_and_a_refusal(
    sm: sessionmaker[Session],
    settings: tuple[Settings, FakeTwilio],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, fake = settings
    logs.setup()  # as every Voice process does
    caplog.set_level(logging.INFO)
    now = datetime.now(UTC)
    with sm() as session:
        vm_id = seed_voicemail(session, mailbox="billing", from_number=MOBILE)
        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        vm.agent_state, vm.assignee = "new", None
        session.execute(update(CallRecord).where(CallRecord.id == vm.call_id).values(started_at=now))
        enqueue.after_processing(session, vm_id, "GB", now=now)
        session.commit()
    worker = sender.AckSender(config, sm)
    # A 503 keeps the row sending; its next try looks the message up in Twilio's list (To=the caller) first,
    # then Twilio refuses the resend with a text that names the number.
    fake.fail(Fault(503), Fault(400, 21211, f"The 'To' number {MOBILE} is not a valid phone number."))
    first = sender.claim_due(sm, config)
    assert first is not None
    worker._attempt(first, 0.0)
    retry = sender.claim_due(sm, config, now=datetime.now(UTC) + timedelta(hours=1))
    assert retry is not None
    worker._attempt(retry, 0.0)
    with sm() as session:
        row = session.query(AckMessage).one()
        assert row.status == AckMessage.FAILED and row.error_code == 21211
    assert caplog.records, "the sender logs each outcome"
    assert "21211" in caplog.text or "not a valid phone number" in caplog.text
    for shown in (MOBILE, MOBILE.removeprefix("+"), "%2B" + MOBILE[1:]):
        assert shown not in caplog.text


def test_numbers_are_redacted_in_any_record() -> None:
    assert logs.redact("The 'To' number +447700900123 is invalid") == "The 'To' number [number] is invalid"
    assert logs.redact("GET /2010-04-01/Messages.json?To=%2B447700900123&PageSize=50") == (
        "GET /2010-04-01/Messages.json?To=[number]&PageSize=50"
    )
    assert logs.redact("whatsapp:+447700900123") == "whatsapp:[number]"
    assert logs.redact("at 2026-12-07T14:00:00+00:00, 3 of 5") == "at 2026-12-07T14:00:00+00:00, 3 of 5"
