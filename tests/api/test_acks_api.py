"""Acknowledgements on the app in process (SQLite file, no worker) with its own sender running on the real
clock against a local Twilio Messages server: the admin API (settings, templates checked when written, 403 for
others), and STOP then START from the caller through Twilio's inbound message webhook."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update
from twilio.request_validator import RequestValidator

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN, AudioServer
from tests.support.paths import ROOT
from tests.support.seed import seed_voicemail
from tests.support.twilio_server import FakeTwilio, serve
from voice.acks import enqueue
from voice.storage import acks
from voice.storage.models import AckMessage, CallRecord, Voicemail

CALLER, SENDER = "+447700900123", "+447700900000"
SETTINGS = "/v1/teams/billing/acknowledgements"
SUPPORT = "/v1/teams/support/acknowledgements"  # the admin API test's own team


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, fake: FakeTwilio) -> Iterator[LocalServer]:
    twilio = {
        "accounts": [{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}],
        "api_base_url": fake.url,
        "public_url": "http://testserver",
    }
    settings = app_settings(
        tmp_path_factory.mktemp("acks") / "data", worker=True, twilio=twilio, acks={"poll_interval_s": 0.1}
    )
    with local_server(settings) as server:
        made = server.client.post(
            "/v1/teams", json={"name": "billing", "mailboxes": ["billing"], "timezone": "Europe/London"},
            headers=server.headers(),
        )  # fmt: skip
        assert made.status_code == 201, made.text
        other = app_team(server, "support")
        assert other.status_code == 201, other.text
        yield server


def app_team(server: LocalServer, name: str) -> httpx.Response:
    return server.client.post("/v1/teams", json={"name": name, "mailboxes": [name]}, headers=server.headers())


def test_the_admin_api_sets_a_team_up_and_refuses_what_cannot_be_used(app: LocalServer) -> None:
    h = app.headers()
    assert app.client.get(SUPPORT, headers=h).status_code == 404  # nothing set yet
    refusals = [
        ({"enabled": True}, "needs a sender"),
        ({"sender": "07700 900000"}, "a sender is a number in E.164"),
        ({"sender": "whatsapp:+447700900000", "channel": "sms"}, "channel sms needs a number"),
        ({"sender": SENDER, "allowed_from": "21:00", "allowed_until": "08:00"}, "before allowed_until"),
        ({"sender": SENDER, "enabled": True, "account_sid": "AC" + "f" * 32}, "is not configured"),
    ]
    for body, why in refusals:
        r = app.client.put(SUPPORT, json=body, headers=h)
        assert r.status_code == 422 and why in r.json()["detail"], (body, r.text)
    everywhere = {
        "allowed_from": "00:00",
        "allowed_until": "24:00",
        "repeat_hours": 0,
    }  # the test's clock is real
    r = app.client.put(
        SUPPORT, json={"enabled": True, "sender": SENDER, "channel": "sms", **everywhere}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json() | {"templates": []} == {
        "team": "support", "enabled": True, "channel": "sms", "sender": SENDER, "account_sid": None,
        "repeat_hours": 0.0, "max_wait_hours": 14.0, "allowed_from": "00:00", "allowed_until": "24:00",
        "business_name": None, "templates": [], "mailboxes": [],
    }  # fmt: skip
    bad = app.client.put(f"{SUPPORT}/templates", json={"body": "You said: {{ transcript }}"}, headers=h)
    assert bad.status_code == 422 and "unknown variable(s) transcript" in bad.json()["detail"]
    broken = app.client.put(f"{SUPPORT}/templates", json={"body": "Hi {{ caller_name "}, headers=h)
    assert broken.status_code == 422 and "does not parse" in broken.json()["detail"]
    template = {"intent": "*", "language": "*", "hours": "any", "body": "Thanks {{ caller_name }}."}
    assert app.client.put(f"{SUPPORT}/templates", json=template, headers=h).json() == template
    extra = {**template, "language": "de", "body": "Danke."}
    assert app.client.put(f"{SUPPORT}/templates", json=extra, headers=h).status_code == 200
    gone = app.client.delete(f"{SUPPORT}/templates", params={"language": "de"}, headers=h)
    assert gone.status_code == 204
    assert app.client.delete(f"{SUPPORT}/templates", params={"language": "de"}, headers=h).status_code == 404
    assert app.client.get(SUPPORT, headers=h).json()["templates"] == [template]
    agent = app.create_key("ingest", "agent")["key"]
    assert app.client.get(SUPPORT, headers=app.headers(agent)).status_code == 403
    assert app.client.get("/v1/acknowledgements", headers=app.headers(agent)).status_code == 403


def _voicemail(app: LocalServer) -> str:
    """A billing voicemail from CALLER, processed now: the acknowledgement is decided as the pipeline's end
    decides it."""
    with app.sm() as session:
        vm_id = seed_voicemail(session, mailbox="billing", from_number=CALLER, intent="billing")
        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        session.execute(
            update(CallRecord).where(CallRecord.id == vm.call_id).values(started_at=datetime.now(UTC))
        )
        enqueue.after_processing(session, vm_id, "GB")
        session.commit()
    return vm_id


def _settled(app: LocalServer, vm_id: str) -> AckMessage:
    """The voicemail's acknowledgement once the app's own sender is done with it."""
    deadline = time.monotonic() + 20
    while True:
        with app.sm() as session:
            row = acks.of_voicemail(session, vm_id)
            assert row is not None
            if row.status not in AckMessage.OPEN + (AckMessage.SENDING,) or time.monotonic() > deadline:
                session.expunge(row)
                return row
        time.sleep(0.05)


def _text(app: LocalServer, body: str) -> None:
    """The caller texting ``body`` to the sender: Twilio's inbound message webhook, signed."""
    path = "/v1/integrations/twilio/messages"
    sid = "SM" + uuid.uuid4().hex
    form = {"AccountSid": TWILIO_SID, "MessageSid": sid, "SmsMessageSid": sid, "From": CALLER, "To": SENDER,
            "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}  # fmt: skip
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(app.url + path, form)
    r = app.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert r.status_code == 200, r.text


def _scraped(app: LocalServer) -> dict[str, float]:
    """Sent and skipped acknowledgements as /metrics counts them."""
    text = app.client.get("/metrics", headers=app.headers()).text
    found = re.findall(r'^voice_acknowledgements\{status="(sent|skipped)"\} ([0-9.]+)$', text, re.MULTILINE)
    return {status: float(n) for status, n in found}


def test_stop_from_the_caller_stops_the_next_one_and_start_brings_it_back(
    app: LocalServer, fake: FakeTwilio
) -> None:
    everywhere = {"allowed_from": "00:00", "allowed_until": "24:00", "repeat_hours": 0}  # a real clock
    on = {"enabled": True, "sender": SENDER, "channel": "sms", **everywhere}
    assert app.client.put(SETTINGS, json=on, headers=app.headers()).status_code == 200
    body = "Thanks{% if caller_name %} {{ caller_name }}{% endif %}, we got your message."
    template = {"intent": "billing", "language": "en", "hours": "any", "body": body}
    assert app.client.put(f"{SETTINGS}/templates", json=template, headers=app.headers()).status_code == 200
    before = len(fake.sent_to(CALLER))
    counted = _scraped(app)
    sent = _settled(app, _voicemail(app))
    assert sent.status == "sent", sent.reason
    assert [m["body"] for m in fake.sent_to(CALLER)][before:] == ["Thanks, we got your message."]
    _text(app, "STOP")
    stopped = _settled(app, _voicemail(app))
    assert (stopped.status, stopped.reason) == (
        "skipped",
        "the caller opted out of messages from this sender",
    )
    _text(app, "START")
    again = _settled(app, _voicemail(app))
    assert again.status == "sent", again.reason
    assert len(fake.sent_to(CALLER)) == before + 2
    listed = app.client.get("/v1/acknowledgements?team=billing&limit=3", headers=app.headers()).json()
    assert [a["status"] for a in listed] == ["sent", "skipped", "sent"]
    assert _scraped(app) == {"sent": counted["sent"] + 2, "skipped": counted["skipped"] + 1}


def test_a_voicemail_processed_by_the_apps_worker_is_acknowledged_once_by_its_sender(
    app: LocalServer, fake: FakeTwilio, audio_server: AudioServer
) -> None:
    """The whole path in one process: the worker transcribes (a fixed engine) and triages, the result's
    transaction writes the acknowledgement, the app's sender sends it."""
    h = app.headers()
    on = {
        "enabled": True,
        "sender": SENDER,
        "channel": "sms",
        "allowed_from": "00:00",
        "allowed_until": "24:00",
    }
    assert app.client.put(SETTINGS, json=on, headers=h).status_code == 200
    body = "Thanks {{ caller_name }}, we got your message about {{ topic }}."
    template = {
        "intent": "billing",
        "language": "en",
        "hours": "any",
        "body": body,
    }  # replaces the STOP test's
    assert app.client.put(f"{SETTINGS}/templates", json=template, headers=h).status_code == 200
    caller = "+447700900456"
    shutil.copy(ROOT / "samples" / "billing_invoice.wav", audio_server.root / "ack.wav")
    vm_id = app.post_url(f"{audio_server.url}/ack.wav", mailbox="billing", **{"from": caller})
    assert app.wait(vm_id)["status"] == "done"
    row = _settled(app, vm_id)
    assert row.status == "sent", row.reason
    assert [m["body"] for m in fake.sent_to(caller)] == ["Thanks Dana, we got your message about your bill."]
    shown = app.get(vm_id)["acknowledgement"]
    assert shown["status"] == "sent" and shown["body"] == "Thanks Dana, we got your message about your bill."
    # A reprocess of the voicemail writes no second one.
    again = app.client.post(f"/v1/voicemails/{vm_id}/reprocess", json={}, headers=h)
    assert again.status_code in (200, 202), again.text
    time.sleep(1)
    assert len(fake.sent_to(caller)) == 1
