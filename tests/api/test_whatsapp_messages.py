"""Twilio's inbound message webhook on the app in process (SQLite file, no worker), signed by the official
twilio library's RequestValidator: voice notes become voicemails once per MessageSid, forged requests store
nothing, images are dropped, and STOP / START change the opt-out list."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from voice.storage import opt_outs
from voice.storage.ack_models import AckOptOut
from voice.storage.models import CallRecord, Voicemail
from voice.storage.voicemails import CallInfo
from voice.usecases import ingest, voice_notes

PATH = "/v1/integrations/twilio/messages"
MEDIA_HOST = "https://api.twilio.com/"
CALLER, OURS = "+447700900123", "+442079460000"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    twilio = {
        "accounts": [{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}],
        "media_prefixes": [MEDIA_HOST],
    }
    with local_server(app_settings(tmp_path_factory.mktemp("wa") / "data", twilio=twilio)) as server:
        yield server


def _message(
    body: str = "", frm: str = f"whatsapp:{CALLER}", to: str = f"whatsapp:{OURS}", **extra: str
) -> dict:
    sid = "MM" + uuid.uuid4().hex
    return {"AccountSid": TWILIO_SID, "MessageSid": sid, "SmsMessageSid": sid, "From": frm, "To": to,
            "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01", **extra}  # fmt: skip


def _voice_note(**extra: str) -> dict:
    params = _message(**extra)
    message = f"{MEDIA_HOST}2010-04-01/Accounts/{TWILIO_SID}/Messages/{params['MessageSid']}"
    media = f"{message}/Media/ME{uuid.uuid4().hex}"
    return {**params, "NumMedia": "1", "MediaUrl0": media, "MediaContentType0": "audio/ogg", **extra}


def _post(
    app: LocalServer, params: dict, token: str = TWILIO_TOKEN, signed: dict | None = None
) -> httpx.Response:
    signature = RequestValidator(token).compute_signature(app.url + PATH, signed or params)
    return app.client.post(PATH, data=params, headers={"X-Twilio-Signature": signature})


def _voicemails(app: LocalServer, message_sid: str) -> list[Voicemail]:
    with app.sm() as session:
        found = session.scalars(select(Voicemail).where(Voicemail.recording_id == message_sid)).all()
        for vm in found:
            session.expunge(vm.call)
        return list(found)


def test_a_voice_note_is_a_voicemail_once(app: LocalServer) -> None:
    params = _voice_note(ProfileName="Maria")
    r = _post(app, params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml") and r.text.endswith("<Response/>")
    again = _post(app, params)  # Twilio retrying the webhook
    assert again.status_code == 200 and again.text == r.text
    [vm] = _voicemails(app, params["MessageSid"])
    assert vm.status == "queued" and vm.audio_url == params["MediaUrl0"]
    assert vm.fetch_auth == f"twilio:{TWILIO_SID}"  # the account's name: its token is read at fetch time
    call = vm.call
    assert call.source == "whatsapp" and call.from_number == CALLER
    assert call.to_number == call.mailbox == OURS
    assert call.external_id == f"wa:{CALLER}>{OURS}:{datetime.now(UTC).date().isoformat()}"
    assert "Maria" not in str(call.meta) and TWILIO_TOKEN not in str(call.meta)
    # A second note in the same conversation is a second voicemail on the same call record.
    second = _voice_note()
    assert _post(app, second).status_code == 200
    [vm2] = _voicemails(app, second["MessageSid"])
    assert vm2.id != vm.id and vm2.call_id == vm.call_id


def test_a_retry_after_midnight_finds_the_first_voicemail(app: LocalServer) -> None:
    """Without a ConversationSid a conversation is a day: the day before's record is looked up too."""
    sid = "MM" + uuid.uuid4().hex
    now = datetime.now(UTC)
    calls = [
        CallInfo(
            external_id=f"wa:{CALLER}>{OURS}:{day.date().isoformat()}", source="whatsapp", from_number=CALLER
        )
        for day in (now - timedelta(days=1), now)
    ]
    with app.sm() as session:
        first = ingest.ingest(session, ingest.Arrival(calls[0], recording_id=sid, audio_url=MEDIA_HOST + "a"),
                              lambda _id: None)  # fmt: skip
        retry = voice_notes.ingest_voice_note(
            session, ingest.Arrival(calls[1], recording_id=sid, audio_url=MEDIA_HOST + "a"), lambda _id: None,
            earlier=calls[0],
        )  # fmt: skip
    assert first.created and not retry.created and retry.id == first.id
    assert len(_voicemails(app, sid)) == 1


def test_forged_messages_store_nothing(app: LocalServer) -> None:
    params = _voice_note()
    tampered = {**params, "From": "whatsapp:+447700900999"}
    r = _post(app, tampered, signed=params)
    assert r.status_code == 403 and "does not match" in r.json()["detail"]
    assert _post(app, params, token="not-the-token").status_code == 403
    assert app.client.post(PATH, data=params).status_code == 403  # no signature
    assert _post(app, {**params, "AccountSid": "AC" + "f" * 32}).status_code == 403
    stop = _message("STOP")
    assert _post(app, stop, token="not-the-token").status_code == 403
    assert _voicemails(app, params["MessageSid"]) == []
    with app.sm() as session:
        assert not opt_outs.is_opted_out(session, CALLER, f"whatsapp:{OURS}")


def test_images_and_text_are_not_stored(app: LocalServer) -> None:
    with app.sm() as session:
        before = session.scalar(select(func.count()).select_from(CallRecord))
    photo = _voice_note(MediaContentType0="image/jpeg")
    text = _message("Hello, can you call me back?")
    for params in (photo, text):
        r = _post(app, params)
        assert r.status_code == 200 and r.text.endswith("<Response/>")
        assert _voicemails(app, params["MessageSid"]) == []
    with app.sm() as session:
        assert session.scalar(select(func.count()).select_from(CallRecord)) == before
    # An audio URL off Twilio's media hosts is refused: the account's credentials would go with it.
    foreign = _voice_note(MediaUrl0="https://attacker.example/ME1")
    r = _post(app, foreign)
    assert r.status_code == 422 and "media host" in r.json()["detail"]


def _opted_out(app: LocalServer, number: str, sender: str) -> bool:
    with app.sm() as session:
        return opt_outs.is_opted_out(session, number, sender)


def test_stop_then_start(app: LocalServer) -> None:
    caller = "+447700900456"
    wa_sender, sms_sender = f"whatsapp:{OURS}", "+442079460001"
    assert not _opted_out(app, caller, wa_sender)
    assert _post(app, _message(" Stop ", frm=f"whatsapp:{caller}")).status_code == 200
    assert _opted_out(app, caller, wa_sender)
    assert not _opted_out(app, caller, sms_sender)  # per sender: the SMS number did not hear STOP
    assert _post(app, _message("STOP", frm=f"whatsapp:{caller}")).status_code == 200  # again: one row
    with app.sm() as session:
        rows = session.scalars(select(AckOptOut).where(AckOptOut.number_hash == opt_outs.number_hash(caller)))
        [row] = list(rows)
        assert row.sender == wa_sender and row.source == "stop" and caller not in row.number_hash
    assert _post(app, _message("start", frm=f"whatsapp:{caller}")).status_code == 200
    assert not _opted_out(app, caller, wa_sender)

    # SMS through a messaging service, in French: both the number and the service stop.
    stop = _message("Arrêt", frm=caller, to=sms_sender, MessagingServiceSid="MG" + "1" * 32)
    assert _post(app, stop).status_code == 200
    assert _opted_out(app, caller, sms_sender) and _opted_out(app, caller, "MG" + "1" * 32)
    assert not _opted_out(app, caller, wa_sender)
    # A message that only mentions stopping is not a keyword.
    assert _post(app, _message("please stop the invoice", frm=f"whatsapp:{caller}")).status_code == 200
    assert not _opted_out(app, caller, wa_sender)


def test_erasing_a_caller_keeps_only_the_hash_on_the_opt_out_list(app: LocalServer) -> None:
    from voice.usecases.erasure import erase_caller

    caller = "+447700900789"
    note = _voice_note(From=f"whatsapp:{caller}")
    assert _post(app, note).status_code == 200
    assert not _opted_out(app, caller, "+15550000000")
    report = erase_caller(app.sm, app.settings, caller, "test:h6")
    assert len(report.voicemails) == 1 and _voicemails(app, note["MessageSid"]) == []
    for sender in (f"whatsapp:{OURS}", "+15550000000", "MG" + "2" * 32):
        assert _opted_out(app, caller, sender)
    with app.sm() as session:
        [row] = session.scalars(
            select(AckOptOut).where(AckOptOut.number_hash == opt_outs.number_hash(caller))
        )
        assert (row.sender, row.source) == ("*", "erasure")
    # START from the erased caller does not undo the erasure's entry.
    assert _post(app, _message("START", frm=f"whatsapp:{caller}")).status_code == 200
    assert _opted_out(app, caller, f"whatsapp:{OURS}")
    erase_caller(app.sm, app.settings, caller, "test:h6")  # erased twice: still one entry
    with app.sm() as session:
        hashed = opt_outs.number_hash(caller)
        assert session.scalar(select(func.count()).where(AckOptOut.number_hash == hashed)) == 1
