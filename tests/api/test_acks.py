"""Acknowledgements through the outbox, on SQLite and PostgreSQL, against a local server that speaks Twilio's
Messages resource (tests/support/twilio_server.py) with the official client; the clock is the test's: each
step says what time it is (route.after_processing stores the row, run_due sends what is due then)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.seed import seed_voicemail
from tests.support.twilio_server import DROP, FakeTwilio, Fault, serve
from voice.acks import enqueue
from voice.core.config import Settings, TwilioAccount, TwilioSettings, WorkerSettings
from voice.integrations import acks as sender
from voice.routing import route
from voice.storage import acks, keys, opt_outs, teams, users
from voice.storage.models import AckMessage, CallRecord, Summary, TranscriptRevision, Voicemail

pytestmark = pytest.mark.parametrize("sm", ["sqlite", "postgresql"], indirect=True)

MOBILE, OTHER_MOBILE, LANDLINE = "+447700900123", "+447700900124", "+442079460018"
SENDER = "+447700900000"
MONDAY_2PM = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Europe/London is UTC in December
ENGLISH = (
    "Thanks {{ caller_name }}, we got your message about {{ topic }}. {{ team|capitalize }} will call you "
    "back "
    "{{ callback_by }}{% if business_name %} ({{ business_name }}){% endif %}. Reply STOP to opt out."
)


@dataclass
class World:
    sm: sessionmaker[Session]
    settings: Settings
    twilio: FakeTwilio

    def voicemail(
        self, at: datetime, number: str, intent: str = "billing", language: str = "en", hook: bool = False
    ) -> str:
        """A billing voicemail left and processed at ``at``; its acknowledgement decided at ``at`` (``hook``:
        by the hook the pipeline's end runs, route.after_processing, on the real clock)."""
        with self.sm() as session:
            vm_id = seed_voicemail(
                session, mailbox="billing", from_number=number, intent=intent, language=language
            )
            vm = session.get(Voicemail, vm_id)
            assert vm is not None
            vm.agent_state, vm.assignee = "new", None
            session.execute(update(CallRecord).where(CallRecord.id == vm.call_id).values(started_at=at))
            rev = session.get(TranscriptRevision, vm.current_revision_id)
            assert rev is not None and rev.summary is not None
            session.execute(
                update(Summary).where(Summary.id == rev.summary.id).values(caller_name="Maria Lopez")
            )
            session.flush()
            if hook:
                route.after_processing(session, vm_id, "GB")
            else:
                enqueue.after_processing(session, vm_id, "GB", now=at)
            session.commit()
        return vm_id

    def ack(self, vm_id: str) -> AckMessage:
        with self.sm() as session:
            row = acks.of_voicemail(session, vm_id)
            assert row is not None
            session.expunge(row)
            return row

    def send_due(self, at: datetime) -> None:
        self.twilio.now = at  # Twilio's clock is the test's too
        sender.run_due(self.sm, self.settings, now=at)


@pytest.fixture
def world(sm: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        twilio = TwilioSettings(
            accounts=[TwilioAccount(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)],
            api_base_url=fake.url,
            public_url="http://testserver",
        )
        settings = Settings(data_dir=tmp_path, twilio=twilio, worker=WorkerSettings(enabled=False))
        with sm() as session:
            teams.create_team(
                session, "billing", ["billing"], "Europe/London", "mon-fri 09:00-17:00", callback_hours=2
            )
            acks.configure(session, "billing", acks.SettingsIn(enabled=True, sender=SENDER, channel="sms"))
            acks.set_template(session, "billing", ENGLISH, language="en")
            acks.set_template(
                session,
                "billing",
                "Danke {{ caller_name }}, wir rufen {{ callback_by }} zurück.",
                language="de",
            )
            acks.set_template(session, "billing", "We got your message.")
            session.commit()
        yield World(sm, settings, fake)


BODY = (
    "Thanks Maria, we got your message about your bill. Billing will call you back today at 16:00. "
    "Reply STOP to opt out."
)


def test_a_uk_mobile_at_2pm_gets_one_sms_in_english_and_the_same_caller_none_10_minutes_later(
    world: World,
) -> None:
    first = world.voicemail(MONDAY_2PM, MOBILE)
    assert world.ack(first).status == AckMessage.QUEUED
    world.send_due(MONDAY_2PM)
    sent = world.twilio.sent_to(MOBILE)
    assert [(m["from"], m["body"]) for m in sent] == [(SENDER, BODY)]
    assert (
        sent[0]["_status_callback"]
        == f"http://testserver/v1/integrations/twilio/message-status/{world.ack(first).id}"
    )
    row = world.ack(first)
    assert (row.status, row.message_sid, row.to_number, row.channel) == (
        "sent",
        sent[0]["sid"],
        MOBILE,
        "sms",
    )

    later = MONDAY_2PM + timedelta(minutes=10)
    second = world.voicemail(later, MOBILE)
    row = world.ack(second)
    assert (row.status, row.reason) == (
        "skipped",
        "the caller was acknowledged within the team's repeat window",
    )
    world.send_due(later)
    assert len(world.twilio.sent_to(MOBILE)) == 1


def test_a_landline_a_robocall_and_a_wrong_number_get_nothing(world: World) -> None:
    landline = world.voicemail(MONDAY_2PM, LANDLINE)
    robocall = world.voicemail(MONDAY_2PM, OTHER_MOBILE, intent="spam_robocall")
    wrong = world.voicemail(MONDAY_2PM, "+447700900125", intent="wrong_number")
    world.send_due(MONDAY_2PM)
    assert world.twilio.messages == [] and world.twilio.posts == 0
    assert [(world.ack(v).status, world.ack(v).reason) for v in (landline, robocall, wrong)] == [
        ("skipped", "the caller's number is a landline"),
        ("skipped", "spam or a robocall"),
        ("skipped", "a wrong number"),
    ]


def test_at_11pm_it_waits_and_goes_at_8am(world: World) -> None:
    night = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    vm_id = world.voicemail(night, MOBILE)
    row = world.ack(vm_id)
    assert row.status == "waiting"
    assert row.next_attempt_at is not None
    assert row.next_attempt_at.replace(tzinfo=UTC) == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    for at in (night, night + timedelta(hours=2), datetime(2026, 12, 8, 7, 59, tzinfo=UTC)):
        world.send_due(at)
        assert world.twilio.posts == 0, at
    world.send_due(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
    # Two business hours from 23:00 Monday: 09:00-11:00 Tuesday, "today" for a message sent on Tuesday.
    assert [m["body"] for m in world.twilio.sent_to(MOBILE)] == [BODY.replace("16:00", "11:00")]
    assert world.ack(vm_id).status == "sent"


def test_a_german_voicemail_gets_the_german_template_and_another_language_the_any_one(world: World) -> None:
    german = world.voicemail(MONDAY_2PM, MOBILE, language="de")
    other = world.voicemail(MONDAY_2PM, OTHER_MOBILE, language="ja")
    assert world.ack(german).body == "Danke Maria, wir rufen heute um 16:00 Uhr zurück."
    assert world.ack(other).body == "We got your message."


def test_a_receiver_answering_500_then_201_sends_once(world: World) -> None:
    world.twilio.fail(Fault(500, 20500, "Internal Server Error"))
    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    row = world.ack(vm_id)
    assert (row.status, row.attempts, world.twilio.posts, world.twilio.messages) == ("sending", 1, 1, [])
    assert row.last_error is not None and "500" in row.last_error
    world.send_due(MONDAY_2PM + timedelta(minutes=5))
    assert world.twilio.posts == 2 and len(world.twilio.sent_to(MOBILE)) == 1
    assert world.ack(vm_id).status == "sent"
    world.send_due(MONDAY_2PM + timedelta(hours=1))
    assert world.twilio.posts == 2


def test_a_send_whose_answer_was_lost_is_found_at_twilio_not_sent_again(world: World) -> None:
    """Twilio made the message, but the connection broke before its SID came back (as a crash after the
    POST would leave it): the next try finds it in Twilio's list and records it."""
    world.twilio.fail(Fault(DROP))
    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    assert world.ack(vm_id).status == "sending" and len(world.twilio.messages) == 1
    world.send_due(MONDAY_2PM + timedelta(minutes=5))
    row = world.ack(vm_id)
    assert (row.status, row.message_sid) == ("sent", world.twilio.messages[0]["sid"])
    assert world.twilio.posts == 1 and len(world.twilio.messages) == 1


def test_a_lost_answer_is_found_after_twilios_smart_encoding_changed_the_body(
    world: World, sm: sessionmaker[Session]
) -> None:
    """Twilio keeps the body as Smart Encoding made it (curly quotes and dashes as ASCII): the look-up after
    a lost answer still recognises the message, and nothing is sent twice."""
    with sm() as session:
        acks.set_template(session, "billing", "We’ll call you back — “soon”.", language="en")
        session.commit()
    world.twilio.smart_encoding = True
    world.twilio.fail(Fault(DROP))
    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    assert [m["body"] for m in world.twilio.messages] == ['We\'ll call you back - "soon".']
    world.send_due(MONDAY_2PM + timedelta(minutes=5))
    row = world.ack(vm_id)
    assert (row.status, row.message_sid) == ("sent", world.twilio.messages[0]["sid"])
    assert world.twilio.posts == 1 and len(world.twilio.messages) == 1


def test_a_400_fails_at_once_with_twilios_code(world: World) -> None:
    world.twilio.fail(Fault(400, 21211, f"The 'To' number {MOBILE} is not a valid phone number."))
    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    world.send_due(MONDAY_2PM + timedelta(hours=1))
    row = world.ack(vm_id)
    assert (row.status, row.error_code, world.twilio.posts) == ("failed", 21211, 1)
    # Twilio's text without the caller's number: reasons are shown to agents and kept after an erasure.
    assert (
        row.reason
        == "Twilio 400: Unable to create record: The 'To' number [number] is not a valid phone number."
    )
    assert row.last_error is not None and MOBILE not in row.last_error


def test_error_21610_in_a_status_callback_puts_the_caller_on_the_opt_out_list(
    world: World, sm: sessionmaker[Session]
) -> None:
    from api.main import create_app

    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    message = world.twilio.sent_to(MOBILE)[0]
    url = str(sm.kw["bind"].url.render_as_string(hide_password=False))
    settings = world.settings.model_copy(update={"database_url": url})
    with TestClient(create_app(settings)) as client:
        signed_url, form, headers = world.twilio.status_request(message, "undelivered", 21610)
        forged = client.post(signed_url, data={**form, "ErrorCode": "30003"}, headers=headers)
        assert forged.status_code == 403
        answer = client.post(signed_url, data=form, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "undelivered"}
        with sm() as session:
            admin = keys.create_key(session, "admin", "admin", None).key
            session.commit()
        shown = client.get(f"/v1/voicemails/{vm_id}", headers={"Authorization": f"Bearer {admin}"})
        assert shown.status_code == 200, shown.text
        ack = shown.json()["acknowledgement"]
        assert (ack["status"], ack["error_code"], ack["channel"], ack["body"]) == (
            "undelivered",
            21610,
            "sms",
            BODY,
        )
        # And on its page, for an admin signed in.
        with sm() as session:
            users.create_user(session, "ada", "correct horse battery", "admin")
            session.commit()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        form = {"username": "ada", "password": "correct horse battery", "next": "/", "csrf_token": token[1]}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        page = client.get(f"/voicemails/{vm_id}").text
        assert "<h2>Acknowledgement</h2>" in page and "sms undelivered: Twilio error 21610" in page
        assert html.escape(BODY) in page
    row = world.ack(vm_id)
    assert (row.status, row.error_code) == ("undelivered", 21610)
    with sm() as session:
        assert opt_outs.is_opted_out(session, MOBILE, SENDER)
    # A day later the window is over, but the caller stays opted out.
    next_day = world.voicemail(MONDAY_2PM + timedelta(days=1), MOBILE)
    row = world.ack(next_day)
    assert (row.status, row.reason) == ("skipped", "the caller opted out of messages from this sender")


def test_the_pipelines_hook_writes_one_row_per_voicemail(world: World) -> None:
    """route.after_processing (the pipeline's end, a reprocess) decides it on the real clock, once."""
    now = datetime.now(UTC)
    vm_id = world.voicemail(now, MOBILE, hook=True)
    first = world.ack(vm_id)
    assert first.status in ("queued", "waiting")  # which depends on the hour the test runs at
    with world.sm() as session:
        route.after_processing(session, vm_id, "GB")  # a reprocess's result
        session.commit()
        assert session.query(AckMessage).filter_by(voicemail_id=vm_id).count() == 1


def test_whatsapp_and_a_messaging_service_are_addressed_as_twilio_wants(world: World) -> None:
    with world.sm() as session:
        acks.configure(session, "billing", acks.SettingsIn(channel="whatsapp", sender=f"whatsapp:{SENDER}"))
        session.commit()
    world.voicemail(MONDAY_2PM, MOBILE)
    service = "MG" + "0123456789abcdef" * 2
    with world.sm() as session:
        acks.configure(session, "billing", acks.SettingsIn(channel="sms", sender=service))
        session.commit()
    world.voicemail(MONDAY_2PM, OTHER_MOBILE)
    world.send_due(MONDAY_2PM)
    by_whatsapp = world.twilio.sent_to(f"whatsapp:{MOBILE}")
    assert [(m["from"], m["messaging_service_sid"]) for m in by_whatsapp] == [(f"whatsapp:{SENDER}", None)]
    by_service = world.twilio.sent_to(OTHER_MOBILE)
    assert [(m["from"], m["messaging_service_sid"]) for m in by_service] == [(None, service)]


def test_21610_on_sending_fails_the_message_and_opts_the_caller_out(world: World) -> None:
    world.twilio.fail(Fault(400, 21610, "Attempt to send to unsubscribed recipient"))
    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    row = world.ack(vm_id)
    assert (row.status, row.error_code) == ("failed", 21610)
    with world.sm() as session:
        assert opt_outs.is_opted_out(session, MOBILE, SENDER)
        assert not opt_outs.is_opted_out(session, MOBILE, "+447700900001")  # per sender


def test_erasing_a_caller_takes_their_waiting_message_and_keeps_only_the_hash(world: World) -> None:
    from voice.usecases.erasure import erase_caller

    night = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    vm_id = world.voicemail(night, MOBILE)
    assert world.ack(vm_id).status == "waiting"
    erase_caller(world.sm, world.settings, MOBILE, "test")
    with world.sm() as session:
        assert acks.of_voicemail(session, vm_id) is None  # went with the voicemail
        assert opt_outs.is_opted_out(session, MOBILE, "+447700900001")  # every sender
    world.send_due(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
    assert world.twilio.posts == 0
    later = world.voicemail(datetime(2026, 12, 9, 14, 0, tzinfo=UTC), MOBILE)
    assert world.ack(later).reason == "the caller opted out of messages from this sender"


def test_a_retry_after_a_500_checks_the_opt_out_list_again_before_sending(world: World) -> None:
    world.twilio.fail(Fault(503, 20503, "Service Unavailable"))
    vm_id = world.voicemail(MONDAY_2PM, MOBILE)
    world.send_due(MONDAY_2PM)
    assert world.ack(vm_id).status == "sending"
    with world.sm() as session:  # the caller replies STOP meanwhile
        opt_outs.add(session, MOBILE, [SENDER], "stop")
        session.commit()
    world.send_due(MONDAY_2PM + timedelta(minutes=5))
    row = world.ack(vm_id)
    assert (row.status, row.reason) == (
        "skipped",
        "the caller opted out of messages from this sender before it went",
    )
    assert world.twilio.posts == 1 and world.twilio.messages == []
