"""/v1/audit and /v1/erasures: the audit trail of API reads, changes and deletions on a real server (and
the CLI's view of it), erasure of a caller on the app in process, database errors without parameters."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app import app_settings, local_server
from tests.support.http_servers import AudioServer
from tests.support.serve import VoiceServer


def test_reads_changes_and_deletion_are_audited(voice_server: VoiceServer, audio_server: AudioServer) -> None:
    url = voice_server.url
    agent = voice_server.create_key("agent", "audit-agent")["key"]
    vm_id = voice_server.post_url(f"{audio_server.url}/missing-audit.wav", **{"from": "+12125550177"})
    voice_server.wait(vm_id)
    assert httpx.get(f"{url}/v1/voicemails/{vm_id}", headers=voice_server.headers(agent)).status_code == 200
    r = httpx.patch(
        f"{url}/v1/voicemails/{vm_id}", headers=voice_server.headers(agent), json={"agent_state": "handled"}
    )
    assert r.status_code == 200
    httpx.get(f"{url}/v1/voicemails/{vm_id}/revisions", headers=voice_server.headers(agent))
    assert httpx.delete(f"{url}/v1/voicemails/{vm_id}", headers=voice_server.headers()).status_code == 204

    admin = voice_server.headers()
    everything = httpx.get(f"{url}/v1/audit", params={"voicemail_id": vm_id}, headers=admin).json()
    assert ("key:test-admin", "read") in [(e["actor"], e["action"]) for e in everything]  # our polls
    trail = [e for e in everything if (e["actor"], e["action"]) != ("key:test-admin", "read")]
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("key:audit-agent", "read"),
        ("key:audit-agent", "update"),
        ("key:audit-agent", "read"),
        ("key:test-admin", "delete"),
    ]
    assert trail[1]["detail"] == {"fields": ["agent_state"]}
    assert trail[3]["detail"]["revisions"] == 0 and trail[3]["detail"]["call_records"] == 1
    # The same from the command line; agents cannot read the trail.
    lines = voice_server.cli("audit", "--voicemail", vm_id, "--actor", "key:audit-agent", "--json").stdout
    assert [json.loads(line)["action"] for line in lines.splitlines()] == ["read", "update", "read"]
    assert httpx.get(f"{url}/v1/audit", headers=voice_server.headers(agent)).status_code == 403
    assert httpx.get(f"{url}/v1/audit", params={"action": "nope"}, headers=admin).status_code == 422


def test_erasure_of_a_caller(tmp_path: Path, audio_server: AudioServer) -> None:
    with local_server(app_settings(tmp_path / "data", worker=True)) as app:
        client, headers = app.client, app.headers()
        ids = [
            app.post_url(f"{audio_server.url}/missing-erase-{i}.wav", **{"from": "(212) 555-0166"})
            for i in range(2)
        ]
        for vm_id in ids:
            app.wait(vm_id)
        body = {"caller": "+1 212 555 0166", "dry_run": True}
        dry = client.post("/v1/erasures", json=body, headers=headers)
        assert dry.status_code == 200 and sorted(dry.json()["voicemails"]) == sorted(ids), dry.text
        done = client.post("/v1/erasures", json={"caller": "+12125550166"}, headers=headers).json()
        assert sorted(done["voicemails"]) == sorted(ids) and done["call_records"] == 2
        assert done["caller"] == "+1••••••••66"
        for vm_id in ids:
            assert client.get(f"/v1/voicemails/{vm_id}", headers=headers).status_code == 404
        erased = client.get("/v1/audit", params={"action": "erase"}, headers=headers).json()
        assert erased[-1]["voicemail_id"] is None and erased[-1]["detail"]["voicemails"] == 2
        assert "0166" not in json.dumps(erased)


def test_database_errors_do_not_show_their_parameters(
    sm: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """A failing statement's error (what the service logs) names the SQL, not the callers' numbers,
    metadata or filenames bound to it."""
    with sm() as session, pytest.raises(DBAPIError) as exc:
        session.execute(
            text("SELECT no_such_column FROM audit_events WHERE actor = :caller"), {"caller": "+12125550199"}
        )
    logging.getLogger("voice.test").error("query failed", exc_info=exc.value)
    assert "no_such_column" in str(exc.value)
    assert "12125550199" not in str(exc.value) and "12125550199" not in caplog.text
