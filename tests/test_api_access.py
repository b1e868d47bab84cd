"""Keys and roles, idempotent posts, call records, filters and cursor paging, against a real server."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.audio import encode
from tests.support.http_servers import AudioServer
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path, reference, wer


@pytest.fixture(scope="module")
def keys(voice_server: VoiceServer) -> dict[str, str]:
    return {
        role: voice_server.create_key(role, f"access-{role}")["key"] for role in ("ingest", "agent", "admin")
    }


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_every_endpoint_but_health_needs_a_key(voice_server: VoiceServer, keys: dict[str, str]) -> None:
    url = voice_server.url
    assert httpx.get(url + "/healthz").status_code == 200
    spec = httpx.get(url + "/openapi.json").json()
    checked = 0
    for path, ops in spec["paths"].items():
        concrete = path.replace("{voicemail_id}", "x").replace("{call_id}", "x").replace("{key_id}", "x")
        concrete = concrete.replace("{run_id}", "x")
        for method in ops:
            if path == "/healthz":
                continue
            for headers in ({}, _h("vk_nope_nope"), _h("Basic abc"), _h(keys["admin"] + "x")):
                r = httpx.request(method, url + concrete, headers=headers)
                expected = 403 if path.startswith("/v1/integrations/twilio") else 401
                assert r.status_code == expected, (method, path, headers, r.status_code, r.text)
            checked += 1
    assert checked >= 12, spec["paths"].keys()
    r = httpx.get(url + "/v1/voicemails")
    assert r.headers["www-authenticate"] == "Bearer" and "API key" in r.json()["detail"]


def test_roles(voice_server: VoiceServer, keys: dict[str, str], audio_server: AudioServer) -> None:
    url = voice_server.url
    mine = voice_server.post_url(f"{audio_server.url}/missing-ingest.wav", key=keys["ingest"])
    other = voice_server.post_url(f"{audio_server.url}/missing-admin.wav", key=keys["admin"])
    voice_server.wait(mine)
    voice_server.wait(other)

    ingest = _h(keys["ingest"])
    assert httpx.get(f"{url}/v1/voicemails/{mine}", headers=ingest).json()["status"] == "failed"
    assert httpx.get(f"{url}/v1/voicemails/{other}", headers=ingest).status_code == 404
    listed = httpx.get(f"{url}/v1/voicemails?limit=500", headers=ingest).json()
    assert [i["id"] for i in listed["items"]] == [mine] and sum(listed["counts"].values()) == 1
    for method, path in [
        ("PATCH", f"/v1/voicemails/{mine}"),
        ("POST", f"/v1/voicemails/{mine}/reprocess"),
        ("DELETE", f"/v1/voicemails/{mine}"),
        ("GET", "/v1/keys"),
    ]:
        r = httpx.request(method, url + path, headers=ingest, json={"agent_state": "handled"})
        assert r.status_code == 403 and "role" in r.json()["detail"], (method, path, r.text)

    agent = _h(keys["agent"])
    assert {mine, other} <= {
        i["id"] for i in httpx.get(f"{url}/v1/voicemails?limit=500", headers=agent).json()["items"]
    }
    r = httpx.patch(
        f"{url}/v1/voicemails/{other}", headers=agent, json={"agent_state": "handled", "assignee": "dana"}
    )
    assert r.status_code == 200 and r.json()["agent_state"] == "handled" and r.json()["assignee"] == "dana"
    assert any(e["detail"] == "access-agent: marked handled, assigned to dana" for e in r.json()["history"])
    r = httpx.patch(f"{url}/v1/voicemails/{other}", headers=agent, json={"assignee": None})
    assert r.json()["assignee"] is None and r.json()["agent_state"] == "handled"
    assert (
        httpx.patch(f"{url}/v1/voicemails/{other}", headers=agent, json={"agent_state": "bogus"}).status_code
        == 422
    )
    assert httpx.post(f"{url}/v1/voicemails/{other}/reprocess", headers=agent).status_code == 403
    assert httpx.delete(f"{url}/v1/voicemails/{other}", headers=agent).status_code == 403

    admin = _h(keys["admin"])
    assert httpx.delete(f"{url}/v1/voicemails/{other}", headers=admin).status_code == 204
    assert httpx.get(f"{url}/v1/voicemails/{other}", headers=admin).status_code == 404
    assert not (voice_server.data_dir / "audio" / other[:2] / other).exists()


def test_keys_are_hashed_listed_and_revocable(voice_server: VoiceServer, keys: dict[str, str]) -> None:
    url, admin = voice_server.url, _h(keys["admin"])
    r = httpx.post(f"{url}/v1/keys", headers=admin, json={"name": "crm", "role": "ingest"})
    assert r.status_code == 201
    created = r.json()
    assert created["key"].startswith("vk_" + created["prefix"] + "_") and created[
        "webhook_secret"
    ].startswith("whsec_")
    new = _h(created["key"])
    assert httpx.get(f"{url}/v1/voicemails", headers=new).status_code == 200
    listed = httpx.get(f"{url}/v1/keys", headers=admin).json()
    assert any(k["id"] == created["id"] and k["last_used_at"] for k in listed)
    assert created["key"] not in httpx.get(f"{url}/v1/keys", headers=admin).text
    db = (voice_server.data_dir / "voice.db").read_bytes() + (
        voice_server.data_dir / "voice.db-wal"
    ).read_bytes()
    assert created["key"].encode() not in db and created["key"].split("_", 2)[2].encode() not in db
    assert httpx.delete(f"{url}/v1/keys/{created['id']}", headers=admin).json()["revoked_at"]
    r = httpx.get(f"{url}/v1/voicemails", headers=new)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]

    cli = voice_server.create_key("agent", "cli-made")
    assert httpx.get(f"{url}/v1/voicemails", headers=_h(cli["key"])).status_code == 200
    voice_server.cli("keys", "revoke", "cli-made")
    assert httpx.get(f"{url}/v1/voicemails", headers=_h(cli["key"])).status_code == 401
    out = voice_server.cli("keys", "list")
    assert "cli-made" in out.stdout and "revoked" in out.stdout and cli["key"] not in out.stdout


@pytest.mark.parametrize("name", ["", "\t", "   ", "crm\nadmin", "crm\tadmin"])
def test_a_key_name_that_is_blank_or_not_one_line_is_a_422(
    voice_server: VoiceServer, keys: dict[str, str], name: str
) -> None:
    r = httpx.post(
        f"{voice_server.url}/v1/keys", headers=_h(keys["admin"]), json={"name": name, "role": "ingest"}
    )
    assert r.status_code == 422 and "name" in r.text, r.text


def test_idempotency_key_and_recording_dedupe(
    voice_server: VoiceServer, keys: dict[str, str], audio_server: AudioServer
) -> None:
    url, ingest = voice_server.url, _h(keys["ingest"])
    body = {"audio_url": f"{audio_server.url}/missing-idem.wav", "call": {"from": "+12125550134"}}
    idem = {**ingest, "Idempotency-Key": str(uuid.uuid4())}

    results: list[httpx.Response] = []

    def post() -> None:
        results.append(httpx.post(f"{url}/v1/voicemails", json=body, headers=idem, timeout=30))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {202}
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 7
    changed = httpx.post(f"{url}/v1/voicemails", json={**body, "language": "en"}, headers=idem)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json()["detail"]
    # The same key from another API key is another request.
    other = httpx.post(
        f"{url}/v1/voicemails",
        json=body,
        headers={**_h(keys["agent"]), "Idempotency-Key": idem["Idempotency-Key"]},
    )
    assert other.status_code == 202 and other.json()["id"] != results[0].json()["id"]

    call = {"external_id": f"CA-{uuid.uuid4().hex[:8]}", "source": "crm", "from": "+12125550134"}
    first = httpx.post(
        f"{url}/v1/voicemails", json={**body, "call": call, "recording_id": "RE1"}, headers=ingest
    )
    again = httpx.post(
        f"{url}/v1/voicemails", json={**body, "call": call, "recording_id": "RE1"}, headers=ingest
    )
    second = httpx.post(
        f"{url}/v1/voicemails", json={**body, "call": call, "recording_id": "RE2"}, headers=ingest
    )
    assert first.json()["id"] == again.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] != first.json()["id"]
    a, b = voice_server.get(first.json()["id"]), voice_server.get(second.json()["id"])
    assert a["call"]["id"] == b["call"]["id"] and a["recording_id"] == "RE1"


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

    # Reprocessing adds a revision; the voicemail ends done again.
    r = httpx.post(f"{voice_server.url}/v1/voicemails/{ids[0]}/reprocess", headers=voice_server.headers())
    assert r.status_code == 202
    again = voice_server.wait(ids[0])
    assert again["status"] == "done" and again["transcript"]["revision"] == 2
    assert any("reprocess requested" in (e["detail"] or "") for e in again["history"])


def test_filters_and_cursor_pages_hold_steady(voice_server: VoiceServer, audio_server: AudioServer) -> None:
    mailbox = f"mb-{uuid.uuid4().hex[:6]}"
    ids = [
        voice_server.post_url(
            f"{audio_server.url}/missing-{i}.wav", mailbox=mailbox, **{"from": f"+1212555{i:04d}"}
        )
        for i in range(5)
    ]
    url, h = voice_server.url + "/v1/voicemails", voice_server.headers()
    pages: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"mailbox": mailbox, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(url, params=params, headers=h).json()
        pages += [i["id"] for i in page["items"]]
        if len(pages) == 2:  # a new voicemail arriving between pages does not shift them
            ids.append(voice_server.post_url(f"{audio_server.url}/missing-new.wav", mailbox=mailbox))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == list(reversed(ids[:5]))
    caller = httpx.get(url, params={"caller": "(212) 555-0003"}, headers=h).json()["items"]
    assert [i["id"] for i in caller] == [ids[3]]
    assert (
        httpx.get(url, params={"mailbox": mailbox, "since": "2999-01-01T00:00:00Z"}, headers=h).json()[
            "items"
        ]
        == []
    )
    until = httpx.get(url, params={"mailbox": mailbox, "until": "2000-01-01T00:00:00Z"}, headers=h).json()
    assert until["items"] == []
    for vm_id in ids:
        voice_server.wait(vm_id)
    failed = httpx.get(url, params={"mailbox": mailbox, "status": "failed", "limit": 500}, headers=h).json()
    assert len(failed["items"]) == 6
    assert httpx.get(url, params={"mailbox": mailbox, "status": "done"}, headers=h).json()["items"] == []
    done_en = httpx.get(url, params={"language": "en", "status": "done", "limit": 500}, headers=h).json()[
        "items"
    ]
    assert done_en and all(i["language"] == "en" for i in done_en)
    assert httpx.get(url, params={"language": "de"}, headers=h).json()["items"] == []
    assert httpx.get(url, params={"cursor": "garbage"}, headers=h).status_code == 422
