"""Against a real server: call records with real transcripts, and keys made and revoked by the real CLI.
Keys, roles, idempotency, filters and paging on the app in process are in tests/api/test_access.py."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx

from tests.support.audio import encode
from tests.support.http_servers import AudioServer
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_keys_made_and_revoked_by_the_cli(voice_server: VoiceServer) -> None:
    url = voice_server.url
    cli = voice_server.create_key("agent", "cli-made")
    assert httpx.get(f"{url}/v1/voicemails", headers=_h(cli["key"])).status_code == 200
    voice_server.cli("keys", "revoke", "cli-made")
    assert httpx.get(f"{url}/v1/voicemails", headers=_h(cli["key"])).status_code == 401
    out = voice_server.cli("keys", "list")
    assert "cli-made" in out.stdout and "revoked" in out.stdout and cli["key"] not in out.stdout


def test_call_record_with_transcripts(
    voice_server: VoiceServer, audio_server: AudioServer, tmp_path: Path
) -> None:
    encode(clip_path("en_arctic_a0010"), audio_server.root / "call-a.wav")
    encode(clip_path("en_arctic_a0024"), audio_server.root / "call-b.mp3", "-c:a", "libmp3lame")
    call = {
        "external_id": f"CA-{uuid.uuid4().hex[:8]}",
        "source": "crm",
        "from": "(212) 555-0199",
        "mailbox": "support",
    }
    ids = []
    for name, rec in (("call-a.wav", "R1"), ("call-b.mp3", "R2")):
        r = httpx.post(
            voice_server.url + "/v1/voicemails",
            json={"audio_url": f"{audio_server.url}/{name}", "call": call, "recording_id": rec},
            headers=voice_server.headers(),
        )
        ids.append(r.json()["id"])
    for vm_id in ids:
        assert voice_server.wait(vm_id)["status"] == "done"
    call_id = voice_server.get(ids[0])["call"]["id"]
    r = httpx.get(f"{voice_server.url}/v1/calls/{call_id}", headers=voice_server.headers())
    assert r.status_code == 200
    record = r.json()
    assert record["external_id"] == call["external_id"] and record["from_number"] == "+12125550199"
    assert record["metadata"]["from_as_received"] == "(212) 555-0199"
    assert [v["id"] for v in record["voicemails"]] == ids
    texts = {v["recording_id"]: v["transcript"]["text"] for v in record["voicemails"]}
    assert wer(reference("en_arctic_a0010"), texts["R1"]) < 0.3
    assert wer(reference("en_arctic_a0024"), texts["R2"]) < 0.3
    assert all(v["transcript"]["summary"]["text"] for v in record["voicemails"])
    assert httpx.get(f"{voice_server.url}/v1/calls/nope", headers=voice_server.headers()).status_code == 404

    # Reprocessing is a run of this one voicemail: it adds a revision; the voicemail stays done throughout.
    r = httpx.post(f"{voice_server.url}/v1/voicemails/{ids[0]}/reprocess", headers=voice_server.headers())
    assert r.status_code == 202 and r.json()["status"] == "done"
    run_url = f"{voice_server.url}/v1/reprocess-runs/{r.json()['run_id']}"
    deadline = time.monotonic() + 120
    while httpx.get(run_url, headers=voice_server.headers()).json()["state"] != "done":
        assert time.monotonic() < deadline, "the reprocess run did not finish"
        time.sleep(0.2)
    again = voice_server.get(ids[0])
    assert again["status"] == "done" and again["transcript"]["revision"] == 2
    assert any("reprocess requested" in (e["detail"] or "") for e in again["history"])
