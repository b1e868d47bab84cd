"""Keys and roles, idempotent posts, filters and cursor paging, on the app in process (the api tier).
Transcripts of real speech and keys made by the real CLI are in tests/e2e/test_api_access.py."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.app import LocalServer, app_settings, bearer, local_server
from tests.support.audio import encode
from tests.support.http_servers import AudioServer
from tests.support.speech import clip_path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with local_server(app_settings(tmp_path_factory.mktemp("access") / "data", worker=True)) as server:
        yield server


@pytest.fixture(scope="module")
def keys(app: LocalServer) -> dict[str, str]:
    return {role: app.create_key(role, f"access-{role}")["key"] for role in ("ingest", "agent", "admin")}


def test_every_endpoint_but_health_needs_a_key(app: LocalServer, keys: dict[str, str]) -> None:
    client = app.client
    assert client.get("/healthz").status_code == 200
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, ops in spec["paths"].items():
        concrete = path.replace("{voicemail_id}", "x").replace("{call_id}", "x").replace("{key_id}", "x")
        concrete = concrete.replace("{run_id}", "x")
        for method in ops:
            if path == "/healthz":
                continue
            for headers in ({}, bearer("vk_nope_nope"), bearer("Basic abc"), bearer(keys["admin"] + "x")):
                r = client.request(method, concrete, headers=headers)
                expected = 403 if path.startswith("/v1/integrations/twilio") else 401
                assert r.status_code == expected, (method, path, headers, r.status_code, r.text)
            checked += 1
    assert checked >= 12, spec["paths"].keys()
    r = client.get("/v1/voicemails")
    assert r.headers["www-authenticate"] == "Bearer" and "API key" in r.json()["detail"]


def test_roles(app: LocalServer, keys: dict[str, str], audio_server: AudioServer) -> None:
    client = app.client
    mine = app.post_url(f"{audio_server.url}/missing-ingest.wav", key=keys["ingest"])
    other = app.post_url(f"{audio_server.url}/missing-admin.wav", key=keys["admin"])
    app.wait(mine)
    app.wait(other)

    ingest = bearer(keys["ingest"])
    assert client.get(f"/v1/voicemails/{mine}", headers=ingest).json()["status"] == "failed"
    assert client.get(f"/v1/voicemails/{other}", headers=ingest).status_code == 404
    listed = client.get("/v1/voicemails?limit=500", headers=ingest).json()
    assert [i["id"] for i in listed["items"]] == [mine] and sum(listed["counts"].values()) == 1
    for method, path in [
        ("PATCH", f"/v1/voicemails/{mine}"),
        ("POST", f"/v1/voicemails/{mine}/reprocess"),
        ("DELETE", f"/v1/voicemails/{mine}"),
        ("GET", "/v1/keys"),
    ]:
        r = client.request(method, path, headers=ingest, json={"agent_state": "handled"})
        assert r.status_code == 403 and "role" in r.json()["detail"], (method, path, r.text)

    agent = bearer(keys["agent"])
    assert {mine, other} <= {
        i["id"] for i in client.get("/v1/voicemails?limit=500", headers=agent).json()["items"]
    }
    app.create_user("dana", "correct horse battery", "agent")  # an assignee is a user (no teams: any)
    r = client.patch(
        f"/v1/voicemails/{other}", headers=agent, json={"agent_state": "handled", "assignee": "dana"}
    )
    assert r.status_code == 200 and r.json()["agent_state"] == "handled" and r.json()["assignee"] == "dana"
    assert any(e["detail"] == "access-agent: marked handled, assigned to dana" for e in r.json()["history"])
    r = client.patch(f"/v1/voicemails/{other}", headers=agent, json={"assignee": None})
    assert r.json()["assignee"] is None and r.json()["agent_state"] == "handled"
    assert (
        client.patch(f"/v1/voicemails/{other}", headers=agent, json={"agent_state": "bogus"}).status_code
        == 422
    )
    assert client.post(f"/v1/voicemails/{other}/reprocess", headers=agent).status_code == 403
    assert client.delete(f"/v1/voicemails/{other}", headers=agent).status_code == 403

    admin = bearer(keys["admin"])
    assert client.delete(f"/v1/voicemails/{other}", headers=admin).status_code == 204
    assert client.get(f"/v1/voicemails/{other}", headers=admin).status_code == 404
    assert not (app.data_dir / "audio" / other[:2] / other).exists()


def test_keys_are_hashed_listed_and_revocable(app: LocalServer, keys: dict[str, str]) -> None:
    client, admin = app.client, bearer(keys["admin"])
    r = client.post("/v1/keys", headers=admin, json={"name": "crm", "role": "ingest"})
    assert r.status_code == 201
    created = r.json()
    assert created["key"].startswith("vk_" + created["prefix"] + "_") and created[
        "webhook_secret"
    ].startswith("whsec_")
    new = bearer(created["key"])
    assert client.get("/v1/voicemails", headers=new).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()
    assert any(k["id"] == created["id"] and k["last_used_at"] for k in listed)
    assert created["key"] not in client.get("/v1/keys", headers=admin).text
    db = (app.data_dir / "voice.db").read_bytes() + (app.data_dir / "voice.db-wal").read_bytes()
    assert created["key"].encode() not in db and created["key"].split("_", 2)[2].encode() not in db
    assert client.delete(f"/v1/keys/{created['id']}", headers=admin).json()["revoked_at"]
    r = client.get("/v1/voicemails", headers=new)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


@pytest.mark.parametrize("name", ["", "\t", "   ", "crm\nadmin", "crm\tadmin"])
def test_a_key_name_that_is_blank_or_not_one_line_is_a_422(
    app: LocalServer, keys: dict[str, str], name: str
) -> None:
    r = app.client.post("/v1/keys", headers=bearer(keys["admin"]), json={"name": name, "role": "ingest"})
    assert r.status_code == 422 and "name" in r.text, r.text


def test_idempotency_key_and_recording_dedupe(
    app: LocalServer, keys: dict[str, str], audio_server: AudioServer
) -> None:
    client, ingest = app.client, bearer(keys["ingest"])
    body = {"audio_url": f"{audio_server.url}/missing-idem.wav", "call": {"from": "+12125550134"}}
    idem = {**ingest, "Idempotency-Key": str(uuid.uuid4())}

    results: list[httpx.Response] = []

    def post() -> None:
        results.append(client.post("/v1/voicemails", json=body, headers=idem))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {202}
    assert len({r.json()["id"] for r in results}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 7
    changed = client.post("/v1/voicemails", json={**body, "language": "en"}, headers=idem)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json()["detail"]
    # The same key from another API key is another request.
    other = client.post(
        "/v1/voicemails",
        json=body,
        headers={**bearer(keys["agent"]), "Idempotency-Key": idem["Idempotency-Key"]},
    )
    assert other.status_code == 202 and other.json()["id"] != results[0].json()["id"]

    call = {"external_id": f"CA-{uuid.uuid4().hex[:8]}", "source": "crm", "from": "+12125550134"}
    first = client.post("/v1/voicemails", json={**body, "call": call, "recording_id": "RE1"}, headers=ingest)
    again = client.post("/v1/voicemails", json={**body, "call": call, "recording_id": "RE1"}, headers=ingest)
    second = client.post("/v1/voicemails", json={**body, "call": call, "recording_id": "RE2"}, headers=ingest)
    assert first.json()["id"] == again.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] != first.json()["id"]
    a, b = app.get(first.json()["id"]), app.get(second.json()["id"])
    assert a["call"]["id"] == b["call"]["id"] and a["recording_id"] == "RE1"


def test_filters_and_cursor_pages_hold_steady(app: LocalServer, audio_server: AudioServer) -> None:
    # On the shared real server other tests' voicemails were done in English; here one is made for the
    # language filter to find.
    encode(clip_path("en_arctic_a0010"), audio_server.root / "filters-en.wav")
    assert app.wait(app.post_url(f"{audio_server.url}/filters-en.wav"))["status"] == "done"
    mailbox = f"mb-{uuid.uuid4().hex[:6]}"
    ids = [
        app.post_url(f"{audio_server.url}/missing-{i}.wav", mailbox=mailbox, **{"from": f"+1212555{i:04d}"})
        for i in range(5)
    ]
    client, url, h = app.client, "/v1/voicemails", app.headers()
    pages: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"mailbox": mailbox, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(url, params=params, headers=h).json()
        pages += [i["id"] for i in page["items"]]
        if len(pages) == 2:  # a new voicemail arriving between pages does not shift them
            ids.append(app.post_url(f"{audio_server.url}/missing-new.wav", mailbox=mailbox))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == list(reversed(ids[:5]))
    caller = client.get(url, params={"caller": "(212) 555-0003"}, headers=h).json()["items"]
    assert [i["id"] for i in caller] == [ids[3]]
    assert (
        client.get(url, params={"mailbox": mailbox, "since": "2999-01-01T00:00:00Z"}, headers=h).json()[
            "items"
        ]
        == []
    )
    until = client.get(url, params={"mailbox": mailbox, "until": "2000-01-01T00:00:00Z"}, headers=h).json()
    assert until["items"] == []
    for vm_id in ids:
        app.wait(vm_id)
    failed = client.get(url, params={"mailbox": mailbox, "status": "failed", "limit": 500}, headers=h).json()
    assert len(failed["items"]) == 6
    assert client.get(url, params={"mailbox": mailbox, "status": "done"}, headers=h).json()["items"] == []
    done_en = client.get(url, params={"language": "en", "status": "done", "limit": 500}, headers=h).json()[
        "items"
    ]
    assert done_en and all(i["language"] == "en" for i in done_en)
    assert client.get(url, params={"language": "de"}, headers=h).json()["items"] == []
    assert client.get(url, params={"cursor": "garbage"}, headers=h).status_code == 422
