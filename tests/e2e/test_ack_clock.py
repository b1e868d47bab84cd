"""Acknowledgements through a real `voice serve` (worker included, tiny.en) whose clock the test moves: the
process runs under libfaketime (Debian's faketime package), which re-reads an offset from a file on every
call, so the server, its worker and its sender all live at the test's time, with no test hook in Voice
(tests/support/faketime/sitecustomize.py works around libfaketime's time.sleep). The
local Twilio server is the peer; the caller's texts are Twilio's signed inbound webhook. December, so London
is on UTC: 14:00 UTC is 14:00 local."""

from __future__ import annotations

import glob
import json
import math
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN, AudioServer
from tests.support.paths import ROOT
from tests.support.serve import VoiceServer, make_server
from tests.support.twilio_server import FakeTwilio, Fault, serve

pytestmark = pytest.mark.e2e

SENDER = "+447700900000"
TEMPLATE = (
    "Thanks {{ caller_name }}, we got your message about {{ topic }}. {{ team|capitalize }} will call you "
    "back {{ callback_by }}. Reply STOP to opt out."
)
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)
SITE = Path(__file__).parents[1] / "support" / "faketime"  # its sitecustomize.py says why


def _libfaketime() -> str:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's faketime package (libfaketime) for the clock of `voice serve`")
        pytest.skip("libfaketime is not installed (apt-get install faketime)")
    return found[0]


@dataclass
class Clock:
    """The served process's time: an offset from the real clock, in the file libfaketime reads."""

    path: Path

    def set(self, at: datetime) -> None:
        """Now is ``at`` or up to a second after it (never before: 13:59:59.7 would promise 15:59); the file
        is replaced whole, as the server reads it on every call."""
        offset = math.ceil((at - datetime.now(UTC)).total_seconds())
        staged = self.path.with_suffix(".new")
        staged.write_text(f"{offset:+d}\n")
        os.replace(staged, self.path)


@dataclass
class World:
    server: VoiceServer
    twilio: FakeTwilio
    clock: Clock
    audio: AudioServer

    def voicemail(self, at: datetime, number: str, sample: str = "billing_invoice.wav") -> str:
        """``sample`` left by ``number`` at ``at`` on the billing mailbox, processed by the server."""
        self.clock.set(at)
        name = f"{uuid.uuid4().hex}{Path(sample).suffix}"
        shutil.copy(ROOT / "samples" / sample, self.audio.root / name)
        vm_id = self.server.post_url(f"{self.audio.url}/{name}", mailbox="billing", **{"from": number})
        assert self.server.wait(vm_id)["status"] == "done"
        return vm_id

    def ack(self, vm_id: str, until: tuple[str, ...] = ("sent", "skipped", "failed")) -> dict:
        """The voicemail's acknowledgement once its status is one of ``until`` (or after 20 s)."""
        deadline = time.monotonic() + 20
        while True:
            ack = self.server.get(vm_id)["acknowledgement"]
            if (ack and ack["status"] in until) or time.monotonic() > deadline:
                assert ack is not None, vm_id
                return ack  # type: ignore[no-any-return]
            time.sleep(0.1)

    def text(self, number: str, body: str) -> None:
        """``number`` texting ``body`` to the sender: Twilio's inbound message webhook, signed."""
        url = self.server.url + "/v1/integrations/twilio/messages"
        sid = "SM" + uuid.uuid4().hex
        form = {"AccountSid": TWILIO_SID, "MessageSid": sid, "SmsMessageSid": sid, "From": number,
                "To": SENDER, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}  # fmt: skip
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
        r = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
        assert r.status_code == 200, r.text

    def bodies(self, number: str) -> list[str]:
        return [m["body"] for m in self.twilio.sent_to(number)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, audio_server: AudioServer) -> Iterator[World]:
    library = _libfaketime()
    tmp = tmp_path_factory.mktemp("ack-clock")
    clock = Clock(tmp / "faketime.rc")
    clock.set(MONDAY + timedelta(hours=13))
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        server = make_server(
            tmp,
            LD_PRELOAD=library,
            FAKETIME_TIMESTAMP_FILE=str(clock.path),
            FAKETIME_NO_CACHE="1",  # read the file on every call: a move of the clock is seen at once
            FAKETIME_DONT_FAKE_MONOTONIC="1",  # timeouts and polls keep the real clock's pace
            PYTHONPATH=os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH")])),
            VOICE_TWILIO__ACCOUNTS=json.dumps([{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}]),
            VOICE_TWILIO__API_BASE_URL=fake.url,
            VOICE_ACKS__POLL_INTERVAL_S="0.2",
        )
        server.env["VOICE_TWILIO__PUBLIC_URL"] = server.url
        server.cli("db", "upgrade")
        server.cli("teams", "create", "billing", "--mailbox", "billing", "--timezone", "Europe/London",
                   "--hours", "mon-fri 09:00-17:00", "--deadline-hours", "2")  # fmt: skip
        server.cli("ack", "enable", "billing", "--sender", SENDER)  # 08:00-21:00, one per caller a day
        server.cli("ack", "template", "billing", TEMPLATE, "--intent", "billing", "--language", "en")
        server.start()
        try:
            yield World(server, fake, clock, audio_server)
        finally:
            server.stop()


def test_the_acknowledgement_follows_the_clock_and_the_caller(world: World) -> None:
    mobile, landline = "+447700900123", "+442079460018"
    body = (
        "Thanks Daniel, we got your message about your bill. Billing will call you back today at 16:00. "
        "Reply STOP to opt out."
    )
    # A billing voicemail from a UK mobile at 14:00 local: one SMS in English, a callback in 2 business hours.
    first = world.voicemail(MONDAY + timedelta(hours=14), mobile)
    ack = world.ack(first)
    assert (ack["status"], ack["channel"], ack["body"]) == ("sent", "sms", body), ack
    assert world.bodies(mobile) == [body]
    # The same caller 10 minutes later, a landline and a robocall: nothing.
    again = world.voicemail(MONDAY + timedelta(hours=14, minutes=10), mobile)
    line = world.voicemail(MONDAY + timedelta(hours=14, minutes=11), landline)
    robot = world.voicemail(MONDAY + timedelta(hours=14, minutes=12), "+447700900124", "robocall.wav")
    assert [(world.ack(v)["status"], world.ack(v)["reason"]) for v in (again, line, robot)] == [
        ("skipped", "the caller was acknowledged within the team's repeat window"),
        ("skipped", "the caller's number is a landline"),
        ("skipped", "spam or a robocall"),
    ]
    assert world.bodies(mobile) == [body] and world.bodies("+447700900124") == []


def test_at_11pm_it_waits_and_goes_at_8am(world: World) -> None:
    night_caller = "+447700900125"
    vm_id = world.voicemail(MONDAY + timedelta(hours=23), night_caller)
    assert world.ack(vm_id, until=("waiting",))["status"] == "waiting"
    world.clock.set(MONDAY + timedelta(days=1, hours=7, minutes=59, seconds=50))
    time.sleep(1.0)  # five of the sender's polls at 07:59
    assert world.ack(vm_id, until=("waiting",))["status"] == "waiting" and world.bodies(night_caller) == []
    world.clock.set(MONDAY + timedelta(days=1, hours=8))
    ack = world.ack(vm_id)
    # Two business hours from 23:00 Monday: 09:00-11:00 Tuesday, "today" for a message sent on Tuesday.
    assert ack["status"] == "sent" and "will call you back today at 11:00." in ack["body"], ack
    assert world.bodies(night_caller) == [ack["body"]]


def test_stop_start_and_twilios_21610(world: World) -> None:
    # A week on: Voice takes the same words from three other numbers within a week for a robocall, and the
    # tests before left billing_invoice.wav from three numbers.
    tuesday = MONDAY + timedelta(days=8, hours=10)
    stopper, unsubscribed = "+447700900126", "+447700900127"
    world.text(stopper, "STOP")
    stopped = world.voicemail(tuesday, stopper)
    assert (world.ack(stopped)["status"], world.ack(stopped)["reason"]) == (
        "skipped",
        "the caller opted out of messages from this sender",
    )
    world.text(stopper, "START")
    back = world.voicemail(tuesday + timedelta(minutes=1), stopper)
    assert world.ack(back)["status"] == "sent" and len(world.bodies(stopper)) == 1
    # The carrier says the caller unsubscribed (21610): failed with the code, and never messaged again.
    world.twilio.fail(Fault(400, 21610, "Attempt to send to unsubscribed recipient"))
    refused = world.voicemail(tuesday + timedelta(minutes=2), unsubscribed)
    ack = world.ack(refused)
    assert (ack["status"], ack["error_code"]) == ("failed", 21610), ack
    later = world.voicemail(tuesday + timedelta(days=2), unsubscribed)
    assert (world.ack(later)["status"], world.ack(later)["reason"]) == (
        "skipped",
        "the caller opted out of messages from this sender",
    )
    assert world.bodies(unsubscribed) == []
