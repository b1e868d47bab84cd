"""Twilio's webhooks are bound to what Voice gave Twilio and to the account that owns it (SQLite, the app in
process, signatures made by the official library's RequestValidator): a status callback is signed over the
URL Voice handed Twilio (VOICE_PUBLIC_URL behind a proxy), and applies only to the message at its path id
sent from the signing account; a second configured account cannot STOP/START or drop voice notes on the
first account's sender."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.seed import seed_voicemail
from tests.support.twilio_server import FakeTwilio, serve
from voice.acks import enqueue
from voice.core.config import Settings, TwilioAccount, TwilioSettings, WorkerSettings
from voice.integrations import acks as sender
from voice.storage import acks, opt_outs, teams
from voice.storage.ack_models import AckOptOut
from voice.storage.models import AckMessage, CallRecord, Voicemail

pytestmark = pytest.mark.parametrize("sm", ["sqlite"], indirect=True)

PUBLIC = "https://voice.example.com"  # what Twilio is given; the app itself answers at http://testserver
OTHER_SID, OTHER_TOKEN = "AC" + "b" * 32, "other-client-token"
MOBILE, OTHER_MOBILE, THIRD_MOBILE, SENDER = (
    "+447700900123",
    "+447700900124",
    "+447700900125",
    "+447700900000",
)
MAILBOX = "+442079460000"  # a number of the billing team's, not its sender
MONDAY_2PM = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
MEDIA_HOST = "https://api.twilio.com/"


@dataclass
class World:
    sm: sessionmaker[Session]
    settings: Settings
    twilio: FakeTwilio
    client: TestClient

    def sent_ack(self, number: str = MOBILE, send: bool = True) -> tuple[AckMessage, dict]:
        """A voicemail from ``number`` acknowledged and sent at 14:00 on a Monday: its row and Twilio's
        message (``send=False``: left queued, and no message)."""
        with self.sm() as session:
            vm_id = seed_voicemail(session, mailbox="billing", from_number=number)
            vm = session.get(Voicemail, vm_id)
            assert vm is not None
            vm.agent_state, vm.assignee = "new", None
            session.execute(
                update(CallRecord).where(CallRecord.id == vm.call_id).values(started_at=MONDAY_2PM)
            )
            enqueue.after_processing(session, vm_id, "GB", now=MONDAY_2PM)
            session.commit()
        self.twilio.now = MONDAY_2PM
        if send:
            sender.run_due(self.sm, self.settings, now=MONDAY_2PM)
        with self.sm() as session:
            row = acks.of_voicemail(session, vm_id)
            assert row is not None
            session.expunge(row)
        if not send:
            return row, {}
        [message] = [m for m in self.twilio.sent_to(number) if m["sid"] == row.message_sid]
        return row, message

    def row(self, ack_id: str) -> AckMessage:
        with self.sm() as session:
            row = session.get(AckMessage, ack_id)
            assert row is not None
            session.expunge(row)
            return row

    def post_signed(self, url: str, form: dict[str, str], token: str) -> httpx.Response:
        """POST ``form`` to ``url``'s path on the app, signed over ``url`` with ``token`` as Twilio would."""
        signature = RequestValidator(token).compute_signature(url, form)
        path = url.removeprefix(PUBLIC)
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def world(sm: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    url = str(sm.kw["bind"].url.render_as_string(hide_password=False))
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        twilio = TwilioSettings(
            accounts=[
                TwilioAccount(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN),
                TwilioAccount(account_sid=OTHER_SID, auth_token=OTHER_TOKEN),
            ],
            api_base_url=fake.url,
            media_prefixes=[MEDIA_HOST],
        )
        # Only VOICE_PUBLIC_URL: Voice sits behind a proxy and VOICE_TWILIO__PUBLIC_URL is not set.
        settings = Settings(
            data_dir=tmp_path,
            database_url=url,
            public_url=PUBLIC,
            twilio=twilio,
            worker=WorkerSettings(enabled=False),
        )
        with sm() as session:
            teams.create_team(
                session, "billing", ["billing", MAILBOX], "Europe/London", "mon-fri 09:00-17:00"
            )
            change = acks.SettingsIn(enabled=True, sender=SENDER, channel="sms", account_sid=TWILIO_SID)
            acks.configure(session, "billing", change)
            acks.set_template(session, "billing", "We got your message. Reply STOP to opt out.")
            session.commit()
        from api.main import create_app

        with TestClient(create_app(settings)) as client:
            yield World(sm, settings, fake, client)


def test_a_status_callback_is_checked_against_the_url_voice_gave_twilio(world: World) -> None:
    row, message = world.sent_ack()
    assert message["_status_callback"] == f"{PUBLIC}/v1/integrations/twilio/message-status/{row.id}"
    url, form, headers = world.twilio.status_request(message, "delivered")
    answer = world.client.post(url.removeprefix(PUBLIC), data=form, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "delivered"}


def test_a_status_callback_moves_only_its_own_message_from_its_own_account(world: World) -> None:
    first, message = world.sent_ack()
    second, other_message = world.sent_ack(OTHER_MOBILE)
    queued, _ = world.sent_ack(THIRD_MOBILE, send=False)
    assert (first.status, second.status, queued.status) == ("sent", "sent", "queued")
    url, form, _ = world.twilio.status_request(message, "undelivered", 21610)
    # Another row's path with this message: nothing moves, and no one is opted out.
    elsewhere = url.replace(first.id, second.id)
    assert world.post_signed(elsewhere, form, TWILIO_TOKEN).status_code == 403
    # A queued row (never sent) cannot be made sent by a callback naming any message.
    assert world.post_signed(url.replace(first.id, queued.id), form, TWILIO_TOKEN).status_code == 403
    # The second configured account signs a callback for the first account's message.
    assert world.post_signed(url, {**form, "AccountSid": OTHER_SID}, OTHER_TOKEN).status_code == 403
    assert [world.row(r.id).status for r in (first, second, queued)] == ["sent", "sent", "queued"]
    assert world.row(second.id).message_sid == other_message["sid"]
    with world.sm() as session:
        assert not opt_outs.is_opted_out(session, MOBILE, SENDER)
    # The message's own account, on its own path: it moves.
    answer = world.post_signed(url, form, TWILIO_TOKEN)
    assert answer.status_code == 200, answer.text
    assert world.row(first.id).status == "undelivered"
    with world.sm() as session:
        assert opt_outs.is_opted_out(session, MOBILE, SENDER)


MESSAGES = f"{PUBLIC}/v1/integrations/twilio/messages"


def _message(account: str, to: str, body: str = "", **extra: str) -> dict[str, str]:
    sid = "MM" + uuid.uuid4().hex
    return {"AccountSid": account, "MessageSid": sid, "SmsMessageSid": sid, "From": MOBILE, "To": to,
            "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01", **extra}  # fmt: skip


def _voice_note(account: str, to: str) -> dict[str, str]:
    params = _message(account, to, From=f"whatsapp:{MOBILE}")
    message = f"{MEDIA_HOST}2010-04-01/Accounts/{account}/Messages/{params['MessageSid']}"
    media = f"{message}/Media/ME{uuid.uuid4().hex}"
    return {**params, "NumMedia": "1", "MediaUrl0": media, "MediaContentType0": "audio/ogg"}


def _voicemails(world: World) -> int:
    with world.sm() as session:
        return session.scalar(select(func.count()).select_from(Voicemail)) or 0


def test_another_account_cannot_opt_callers_in_or_out_of_this_accounts_sender(world: World) -> None:
    with world.sm() as session:
        opt_outs.add(session, MOBILE, [SENDER], AckOptOut.STOP)
        session.commit()
    start = _message(OTHER_SID, SENDER, "START")
    assert world.post_signed(MESSAGES, start, OTHER_TOKEN).status_code == 403
    stop = _message(OTHER_SID, SENDER, "STOP", From=OTHER_MOBILE)
    assert world.post_signed(MESSAGES, stop, OTHER_TOKEN).status_code == 403
    with world.sm() as session:
        assert opt_outs.is_opted_out(session, MOBILE, SENDER)
        assert not opt_outs.is_opted_out(session, OTHER_MOBILE, SENDER)
    # The sender's own account: START takes the caller off.
    answer = world.post_signed(MESSAGES, _message(TWILIO_SID, SENDER, "START"), TWILIO_TOKEN)
    assert answer.status_code == 200, answer.text
    with world.sm() as session:
        assert not opt_outs.is_opted_out(session, MOBILE, SENDER)


def test_another_account_cannot_put_a_voice_note_in_this_accounts_mailbox(world: World) -> None:
    for to in (f"whatsapp:{MAILBOX}", f"whatsapp:{SENDER}"):
        forged = _voice_note(OTHER_SID, to)
        assert world.post_signed(MESSAGES, forged, OTHER_TOKEN).status_code == 403
    assert _voicemails(world) == 0
    own = _voice_note(TWILIO_SID, f"whatsapp:{MAILBOX}")
    answer = world.post_signed(MESSAGES, own, TWILIO_TOKEN)
    assert answer.status_code == 200, answer.text
    assert _voicemails(world) == 1
    # A number no team names binds no account: the second client's own line works.
    theirs = _voice_note(OTHER_SID, "whatsapp:+442079460999")
    assert world.post_signed(MESSAGES, theirs, OTHER_TOKEN).status_code == 200
    assert _voicemails(world) == 2


def test_another_account_cannot_put_a_recording_in_this_accounts_mailbox(world: World) -> None:
    def recording(account: str) -> dict[str, str]:
        sid = "RE" + uuid.uuid4().hex
        return {"AccountSid": account, "CallSid": "CA" + uuid.uuid4().hex, "RecordingSid": sid,
                "RecordingUrl": f"{MEDIA_HOST}2010-04-01/Accounts/{account}/Recordings/{sid}",
                "RecordingStatus": "completed", "RecordingDuration": "14",
                "From": MOBILE, "To": MAILBOX}  # fmt: skip

    url = f"{PUBLIC}/v1/integrations/twilio/recording"
    assert world.post_signed(url, recording(OTHER_SID), OTHER_TOKEN).status_code == 403
    assert _voicemails(world) == 0
    answer = world.post_signed(url, recording(TWILIO_SID), TWILIO_TOKEN)
    assert answer.status_code == 200, answer.text
    assert _voicemails(world) == 1
