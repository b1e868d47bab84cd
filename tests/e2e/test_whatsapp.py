"""A WhatsApp voice note through a real `voice serve`: Twilio's inbound message webhook, signed by the
official twilio library's RequestValidator, with an Opus voice note (libopus in Ogg, 16 kHz mono, as
WhatsApp records them) of real speech, served with the account's basic auth; it ends as a done voicemail
with the right words, fetched once, and a retried webhook makes no second voicemail."""

from __future__ import annotations

import subprocess
import time
import uuid

import httpx
from twilio.request_validator import RequestValidator

from tests.support.audio import encode
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN, AudioServer
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer

PATH = "/v1/integrations/twilio/messages"
CLIP = "en_arctic_a0024"


def _post(server: VoiceServer, params: dict[str, str]) -> httpx.Response:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(server.url + PATH, params)
    return httpx.post(server.url + PATH, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)


def _by_message(server: VoiceServer, message_sid: str) -> list[dict]:
    r = httpx.get(server.url + "/v1/voicemails?limit=500", headers=server.headers(), timeout=30)
    r.raise_for_status()
    return [i for i in r.json()["items"] if i["recording_id"] == message_sid]


def test_whatsapp_voice_note_is_transcribed(voice_server: VoiceServer, audio_server: AudioServer) -> None:
    message_sid, media_sid = "MM" + uuid.uuid4().hex, "ME" + uuid.uuid4().hex
    note = encode(clip_path(CLIP), audio_server.root / media_sid, "-ac", "1", "-ar", "16000",
                  "-c:a", "libopus", "-b:a", "24k", "-f", "ogg")  # fmt: skip
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                            str(note)], capture_output=True, text=True, check=True)  # fmt: skip
    assert probe.stdout.strip() == "opus"
    media_path = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/{message_sid}/Media/{media_sid}"
    params = {
        "AccountSid": TWILIO_SID,
        "MessageSid": message_sid,
        "SmsMessageSid": message_sid,
        "From": "whatsapp:+447700900123",
        "To": "whatsapp:+442079460000",
        "ProfileName": "Maria",
        "WaId": "447700900123",
        "Body": "",
        "NumMedia": "1",
        "MediaUrl0": audio_server.url + media_path,
        "MediaContentType0": "audio/ogg",
        "ApiVersion": "2010-04-01",
    }
    r = _post(voice_server, params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml") and r.text.endswith("<Response/>")
    deadline = time.monotonic() + 30
    while not (found := _by_message(voice_server, message_sid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    [listed] = found
    vm = voice_server.wait(listed["id"])
    assert vm["status"] == "done", vm
    assert wer(reference(CLIP), vm["text"]) < 0.3, vm["text"]
    call = vm["call"]
    assert call["source"] == "whatsapp" and call["from_number"] == "+447700900123"
    assert call["to_number"] == "+442079460000" and call["mailbox"] == "+442079460000"
    assert audio_server.calls[media_path] == 1  # fetched once, with the account's basic auth

    again = _post(voice_server, params)  # Twilio retrying the webhook
    assert again.status_code == 200 and len(_by_message(voice_server, message_sid)) == 1
    assert audio_server.calls[media_path] == 1
