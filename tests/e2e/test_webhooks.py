"""Completion webhooks: signed by the Standard Webhooks scheme, retried with backoff, every attempt kept."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.support.app import app_settings, local_server
from tests.support.audio import encode
from tests.support.http_servers import AudioServer, WebhookReceiver
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer


def test_done_webhook_is_signed_retried_and_recorded(
    voice_server: VoiceServer, audio_server: AudioServer, webhook_receiver: WebhookReceiver
) -> None:
    path = f"/fail-2/{uuid.uuid4().hex}"  # the receiver answers 500 twice, then 200
    key = voice_server.create_key("ingest", "crm-hooks", webhook_url=webhook_receiver.url + path)
    encode(clip_path("en_arctic_a0010"), audio_server.root / "hook.wav")
    call = {"external_id": "CA-hook", "source": "crm", "from": "+12125550134"}
    vm_id = voice_server.post_url(f"{audio_server.url}/hook.wav", key=key["key"], **call)

    got = webhook_receiver.wait_for(
        lambda r: r.path == path and len([x for x in webhook_receiver.received if x.path == path]) >= 3
    )
    attempts = [r for r in webhook_receiver.received if r.path == path]
    assert len(attempts) == 3
    # Retries carry the same message: same webhook-id, same body.
    assert len({r.headers["webhook-id"] for r in attempts}) == 1 and len({r.body for r in attempts}) == 1
    last = got[-1]
    payload = Webhook(key["webhook_secret"]).verify(last.body, last.headers)
    assert payload["type"] == "voicemail.done"
    data = payload["data"]
    assert data["id"] == vm_id and data["status"] == "done"
    assert data["call"]["external_id"] == "CA-hook" and data["call"]["id"]
    assert wer(reference("en_arctic_a0010"), data["transcript"]["text"]) < 0.3
    assert data["summary"]["text"]

    # The signature is real: another secret or a changed body does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(last.body, last.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(key["webhook_secret"]).verify(last.body.replace(b"done", b"done "), last.headers)

    deliveries = _deliveries(voice_server, vm_id, lambda d: d and d[0]["state"] == "delivered")
    assert [a["status_code"] for a in deliveries[0]["attempts"]] == [500, 500, 200]
    gaps = [
        _ts(b["at"]) - _ts(a["at"])
        for a, b in zip(deliveries[0]["attempts"], deliveries[0]["attempts"][1:], strict=False)
    ]
    assert gaps[1] > gaps[0] * 1.2, gaps  # backoff grows (0.3 s, then 0.6 s, +-20%)


def test_failed_voicemail_webhook_to_its_own_callback(
    voice_server: VoiceServer, audio_server: AudioServer, webhook_receiver: WebhookReceiver
) -> None:
    key = voice_server.create_key("ingest", "crm-own-callback")
    path = f"/own/{uuid.uuid4().hex}"
    r = httpx.post(
        voice_server.url + "/v1/voicemails",
        json={
            "audio_url": f"{audio_server.url}/missing-hook.wav",
            "callback_url": webhook_receiver.url + path,
        },
        headers=voice_server.headers(key["key"]),
    )
    assert r.status_code == 202
    got = webhook_receiver.wait_for(lambda x: x.path == path)[0]
    payload = Webhook(key["webhook_secret"]).verify(got.body, got.headers)
    assert payload["type"] == "voicemail.failed" and "404" in payload["data"]["status_reason"]
    assert payload["data"]["transcript"] is None


def test_callback_urls_are_checked(tmp_path: Path, audio_server: AudioServer) -> None:
    with local_server(app_settings(tmp_path / "data")) as app:
        for url in (
            "http://169.254.169.254/latest/meta-data",
            "ftp://example.com/x",
            "http://u:p@example.com/",
        ):
            r = app.client.post(
                "/v1/voicemails",
                json={"audio_url": f"{audio_server.url}/x.wav", "callback_url": url},
                headers=app.headers(),
            )
            assert r.status_code == 422 and "callback_url" in r.text, (url, r.text)


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _deliveries(server: VoiceServer, vm_id: str, ready: object, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(f"{server.url}/v1/voicemails/{vm_id}/webhooks", headers=server.headers())
        data = r.json()
        if ready(data) or time.monotonic() > deadline:  # type: ignore[operator]
            return json.loads(r.text)  # type: ignore[no-any-return]
        time.sleep(0.2)
