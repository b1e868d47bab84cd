"""Twilio's recording status callback, signed by the official twilio library's RequestValidator: a real
server fetches and transcribes a signed one; the app in process refuses forged ones and checks the rest."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from api.main import create_app
from tests.support.app import LocalServer, app_settings, local_server
from tests.support.audio import encode
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN, AudioServer
from tests.support.serve import VoiceServer
from tests.support.services import temp_postgres
from tests.support.speech import clip_path, reference, wer
from voice.core.config import Settings, TwilioAccount, TwilioSettings, WorkerSettings
from voice.storage.db import upgrade

CALLBACK = "/v1/integrations/twilio/recording"


def _callback(audio_server: AudioServer, recording_sid: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": TWILIO_SID,
        "CallSid": "CA" + uuid.uuid4().hex,
        "RecordingSid": recording_sid,
        # Twilio's RecordingUrl has no suffix; Voice adds the media format (.wav).
        "RecordingUrl": f"{audio_server.url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{recording_sid}",
        "RecordingStatus": "completed",
        "RecordingDuration": "3",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
        "RecordingStartTime": "Mon, 23 Nov 2026 09:15:00 +0000",
        "From": "+12125550134",
        "To": "+12125550100",
        **extra,
    }


def _post(
    server: VoiceServer, params: dict[str, str], token: str = TWILIO_TOKEN, url: str | None = None
) -> httpx.Response:
    target = url or server.url + CALLBACK
    signature = RequestValidator(token).compute_signature(target, params)
    return httpx.post(
        server.url + CALLBACK, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
    )


def test_signed_callback_fetches_with_account_credentials(
    voice_server: VoiceServer, audio_server: AudioServer
) -> None:
    sid = "RE" + uuid.uuid4().hex
    encode(clip_path("en_arctic_a0024"), audio_server.root / f"{sid}.wav", "-ar", "8000", "-c:a", "pcm_mulaw")
    params = _callback(audio_server, sid)
    r = _post(voice_server, params)
    assert r.status_code == 200, r.text
    vm = voice_server.wait(r.json()["id"])
    assert vm["status"] == "done", vm
    assert wer(reference("en_arctic_a0024"), vm["text"]) < 0.3
    assert vm["recording_id"] == sid
    call = vm["call"]
    assert call["source"] == "twilio" and call["external_id"] == params["CallSid"]
    assert call["from_number"] == "+12125550134" and call["to_number"] == "+12125550100"
    assert call["started_at"].startswith("2026-11-23T09:15:00")
    media = f"/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}.wav"
    assert audio_server.calls[media] == 1  # one request, and it carried the account's basic auth

    again = _post(voice_server, params)  # Twilio retrying the same callback
    assert again.json()["id"] == vm["id"] and again.headers["idempotent-replayed"] == "true"
    assert audio_server.calls[media] == 1

    db = voice_server.data_dir / "voice.db"
    stored = db.read_bytes() + (db.parent / "voice.db-wal").read_bytes()
    assert TWILIO_TOKEN.encode() not in stored and TWILIO_TOKEN not in (
        voice_server.log.read_text() if voice_server.log else ""
    )


@pytest.fixture(scope="module")
def app(audio_server: AudioServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The app in process with the Twilio account the shared real server has."""
    twilio = {
        "accounts": [{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "api_key_name": "twilio-owner"}],
        "media_prefixes": [audio_server.url + "/2010-04-01/"],
    }
    with local_server(app_settings(tmp_path_factory.mktemp("twilio") / "data", twilio=twilio)) as server:
        yield server


def _post_local(
    app: LocalServer, params: dict[str, str], token: str = TWILIO_TOKEN, url: str | None = None
) -> httpx.Response:
    target = url or app.url + CALLBACK
    signature = RequestValidator(token).compute_signature(target, params)
    return app.client.post(CALLBACK, data=params, headers={"X-Twilio-Signature": signature})


def test_forged_callbacks_are_refused(app: LocalServer, audio_server: AudioServer) -> None:
    params = _callback(audio_server, "RE" + uuid.uuid4().hex)
    target = app.url + CALLBACK
    good = RequestValidator(TWILIO_TOKEN).compute_signature(target, params)

    tampered = {**params, "From": "+19995550000"}
    r = app.client.post(CALLBACK, data=tampered, headers={"X-Twilio-Signature": good})
    assert r.status_code == 403 and "does not match" in r.json()["detail"]
    assert _post_local(app, params, token="not-the-token").status_code == 403
    assert app.client.post(CALLBACK, data=params).status_code == 403  # no signature
    other_account = {**params, "AccountSid": "AC" + "f" * 32}
    assert _post_local(app, other_account).status_code == 403
    # Signed for another URL (a replay against another endpoint) does not count either.
    assert _post_local(app, params, url=target + "?x=1").status_code == 403
    listed = app.client.get("/v1/voicemails?limit=500", headers=app.headers()).json()
    assert not any(i["recording_id"] == params["RecordingSid"] for i in listed["items"])


def test_absent_recording_and_foreign_media_host(app: LocalServer, audio_server: AudioServer) -> None:
    sid = "RE" + uuid.uuid4().hex
    r = _post_local(app, _callback(audio_server, sid, RecordingStatus="absent", RecordingDuration="0"))
    assert r.status_code == 200 and r.json()["status"] == "no_speech"
    vm = app.get(r.json()["id"])
    assert "absent" in vm["status_reason"]
    # The account's credentials go only to Twilio's media hosts, even on a correctly signed callback.
    foreign = _callback(audio_server, sid, RecordingUrl="https://attacker.example/rec")
    r = _post_local(app, foreign)
    assert r.status_code == 422 and "media host" in r.json()["detail"]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def twilio_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Any]]:
    """The real app in-process on a fresh PostgreSQL, and on SQLite, which stored over-long values silently
    (no worker: only what the callback stores matters)."""
    with contextlib.ExitStack() as stack:
        data = tmp_path_factory.mktemp("twilio-db")
        url = stack.enter_context(temp_postgres("voice_twilio")) if request.param == "postgresql" else None
        settings = Settings(
            data_dir=data,
            database_url=url,
            worker=WorkerSettings(enabled=False),
            twilio=TwilioSettings(
                accounts=[TwilioAccount(account_sid=TWILIO_SID, auth_token=SecretStr(TWILIO_TOKEN))],
                media_prefixes=["https://api.twilio.com/"],
            ),
        )
        upgrade(settings.db_url)  # what `voice db upgrade` does before a server starts
        with TestClient(create_app(settings)) as client:
            yield client, client.app.state.sessionmaker  # type: ignore[attr-defined]


def _signed_post(client: TestClient, params: dict[str, str]) -> httpx.Response:
    url = "http://testserver" + CALLBACK
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return client.post(CALLBACK, data=params, headers={"X-Twilio-Signature": signature})


def _twilio_params(**extra: str) -> dict[str, str]:
    sid = "RE" + uuid.uuid4().hex
    return {
        "AccountSid": TWILIO_SID,
        "CallSid": "CA" + uuid.uuid4().hex,
        "RecordingSid": sid,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Recordings/{sid}",
        "RecordingStatus": "completed",
        "RecordingDuration": "3",
        "From": "+12125550134",
        "To": "+12125550100",
        **extra,
    }


def test_long_and_odd_twilio_fields(twilio_app: tuple[TestClient, Any]) -> None:
    """Issue 17 item 13: SIP callers over 64 characters are real Twilio traffic and must become voicemails
    (raw values in metadata); ids Voice cannot store get a clear 422, never a 500 that Twilio retries."""
    from voice.storage.models import CallRecord, Voicemail

    client, sm = twilio_app
    domain = "a-very-long-customer-trunk-domain-name.sip.us1.twilio.com"
    sip_from = f"sip:+12125550134@{domain}"
    sip_user = "sip:reception.desk.second.floor.building.b@" + domain
    sip_to = "sip:+12125550100@" + domain + ";transport=tls"
    cases = {
        "sip number": _twilio_params(From=sip_from, To=sip_to),
        "sip name": _twilio_params(From=sip_user, Caller=sip_user),
        "odd values": _twilio_params(
            RecordingDuration="9" * 400, RecordingStartTime="Fri, 31 Dec 9999 23:59:59 +0000"
        ),
    }
    stored = {}
    for name, params in cases.items():
        r = _signed_post(client, params)
        assert r.status_code == 200, (name, r.status_code, r.text)
        stored[name] = r.json()["id"]
    with sm() as session:
        calls = {n: session.get(Voicemail, vm_id).call for n, vm_id in stored.items()}
        assert isinstance(calls["sip number"], CallRecord)
        one = calls["sip number"]
        assert one.from_number == "+12125550134" and one.meta["from_as_received"] == sip_from
        assert one.to_number == "+12125550100" and one.meta["to_as_received"] == sip_to
        assert one.mailbox == "+12125550100"
        other = calls["sip name"]
        assert other.from_number == sip_user[:64] and other.meta["from_as_received"] == sip_user
        odd = calls["odd values"]
        assert odd.duration_s is None and odd.started_at is None
        assert odd.meta["RecordingStartTime"].startswith("Fri, 31 Dec 9999")

    refused = {
        "CallSid": _twilio_params(CallSid="CA" + "1" * 199),
        "RecordingSid": _twilio_params(RecordingSid="RE" + "2" * 199),
        "RecordingUrl": _twilio_params(RecordingUrl="https://api.twilio.com/" + "r" * 4000),
        "From": _twilio_params(From="+1212555\x000134"),
    }
    for field_name, params in refused.items():
        r = _signed_post(client, params)
        assert r.status_code == 422 and field_name in r.json()["detail"], (field_name, r.status_code, r.text)
