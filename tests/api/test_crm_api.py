"""CRM connectors on the app in process: the admin API (/v1/crm/connectors, tokens write-only and sealed with
the storage key), a processed voicemail reaching a local Zendesk through the app's own CrmSender (fixed
engine, real worker) after two 500s, an agent marking it handled through the API (one comment), and
`voice crm` on a real database."""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.http_servers import AudioServer
from tests.support.hubspot_server import TOKEN as HUBSPOT_TOKEN
from tests.support.hubspot_server import hubspot_server
from tests.support.paths import ROOT
from tests.support.zendesk_server import EMAIL, TOKEN, ZendeskServer, zendesk_server

SAMPLE = ROOT / "samples" / "billing_invoice.wav"
KEY = base64.b64encode(b"k" * 32).decode()


@pytest.fixture(scope="module")
def zendesk() -> Iterator[ZendeskServer]:
    with zendesk_server() as server:
        yield server


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    from voice.storage import teams

    settings = app_settings(
        tmp_path_factory.mktemp("crm") / "data",
        worker=True,
        storage={"encryption_key": KEY},
        crm={"poll_interval_s": 0.05, "backoff_s": 0.0},
        public_url="https://inbox.example.com",
    )
    with local_server(settings) as server:
        with server.sm() as session:
            teams.create_team(session, "billing", ["accounts"])
            session.commit()
        yield server


def _until(check: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


def test_an_admin_manages_connectors_and_never_gets_a_token_back(
    app: LocalServer, zendesk: ZendeskServer
) -> None:
    from voice.storage.models import CrmConnector

    client, h = app.client, app.headers()
    body = {
        "name": "Zendesk-Billing",
        "kind": "zendesk",
        "team": "billing",
        "settings": {"base_url": zendesk.url, "email": EMAIL},
        "secrets": {"api_token": TOKEN},
    }
    r = client.post("/v1/crm/connectors", json=body, headers=h)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["name"], made["team"], made["secrets_set"]) == ("zendesk-billing", "billing", ["api_token"])
    assert made["settings"]["minimisation"] == "summary" and TOKEN not in r.text
    assert client.post("/v1/crm/connectors", json=body, headers=h).status_code == 409
    listed = client.get("/v1/crm/connectors", headers=h)
    assert [c["name"] for c in listed.json()] == ["zendesk-billing"] and TOKEN not in listed.text
    with app.sm() as session:
        sealed = session.scalars(select(CrmConnector.secrets)).one()
    assert sealed is not None and sealed.startswith("aesgcm:api_token:") and TOKEN not in sealed
    refused = [
        ({**body, "name": "x", "secrets": {}}, "needs an email and api_token, or an oauth_token"),
        ({**body, "name": "x", "settings": {"base_url": zendesk.url, "minimisation": "all"}}, "minimisation"),
        ({**body, "name": "x", "team": "nobody"}, "no team 'nobody'"),
    ]
    for wrong, why in refused:
        r = client.post("/v1/crm/connectors", json=wrong, headers=h)
        assert r.status_code == 422 and why in r.json()["detail"], r.text
    r = client.post("/v1/crm/connectors/zendesk-billing/test", headers=h)
    assert r.json() == {"ok": True, "detail": f"signed in to {zendesk.url} as {EMAIL} (admin)"}
    agent = app.create_key("agent", "crm-agent")["key"]
    assert client.get("/v1/crm/connectors", headers=app.headers(agent)).status_code == 403
    assert client.delete("/v1/crm/connectors/none", headers=h).status_code == 404


def test_a_processed_voicemail_becomes_one_ticket_and_handling_it_one_comment(
    app: LocalServer, zendesk: ZendeskServer, audio_server: AudioServer
) -> None:
    h = app.headers()
    if not app.client.get("/v1/crm/connectors", headers=h).json():
        test_an_admin_manages_connectors_and_never_gets_a_token_back(app, zendesk)
    zendesk.fail("POST", r"/api/v2/tickets\.json", 500, 500)
    shutil.copy(SAMPLE, audio_server.root / "crm.wav")
    vm_id = app.post_url(f"{audio_server.url}/crm.wav", mailbox="accounts", **{"from": "+14155550100"})
    vm = app.wait(vm_id)
    assert vm["status"] == "done"
    _until(lambda: any(t["external_id"] == vm_id for t in zendesk.tickets.values()))
    [ticket] = [t for t in zendesk.tickets.values() if t["external_id"] == vm_id]
    assert ticket["subject"] == vm["summary"]["text"] and "team_billing" in ticket["tags"]
    assert ticket["comments"][0]["body"].startswith(vm["summary"]["text"])
    _until(
        lambda: (
            app.client.get("/v1/crm/connectors/zendesk-billing/syncs", headers=h).json()[0]["status"]
            == "sent"
        )
    )
    syncs = app.client.get("/v1/crm/connectors/zendesk-billing/syncs", headers=h).json()
    assert [(s["event"], s["status"], s["attempts"]) for s in syncs] == [("created", "sent", 3)]

    r = app.client.patch(f"/v1/voicemails/{vm_id}", json={"agent_state": "handled"}, headers=h)
    assert r.status_code == 200, r.text
    _until(lambda: len(ticket["comments"]) == 2)
    time.sleep(0.3)  # nothing more comes
    assert len(ticket["comments"]) == 2 and ticket["comments"][1]["body"].startswith("Handled in Voice")
    assert len([t for t in zendesk.tickets.values() if t["external_id"] == vm_id]) == 1

    r = app.client.post("/v1/erasures", json={"caller": "+14155550100"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["sent_to_crm"] == [
        {
            "connector": "zendesk-billing",
            "kind": "zendesk",
            "ids": {"ticket_id": str(ticket["id"]), "requester_id": str(ticket["requester_id"])},
            "voicemail": vm_id,
        }
    ]


def test_voice_crm_on_a_real_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from voice.cli import app as cli
    from voice.core import config
    from voice.storage import db

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICE_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    runner = CliRunner()

    def voice(*args: str, code: int = 0, stdin: str | None = None) -> str:
        out = runner.invoke(cli, list(args), input=stdin, env={"COLUMNS": "200"})
        assert out.exit_code == code, (args, out.output)
        return out.output

    try:
        db.upgrade(config.get_settings().db_url)
        with hubspot_server() as hubspot:
            add = ["crm", "add", "hs", "--kind", "hubspot", "--base-url", hubspot.url, "--create-contacts"]
            out = voice(*add, "--mailbox", "accounts", "--token", "-", stdin=f"{HUBSPOT_TOKEN}\n")
            assert "hs               hubspot  mailbox=accounts" in out and "create_contacts=True" in out
            listed = voice("crm", "list") + voice("crm", "list", "--json")
            assert "secrets set: token" in listed and HUBSPOT_TOKEN not in listed
            assert f"signed in to {hubspot.url}" in voice("crm", "test", "hs")
            voice("crm", "add", "bad", "--kind", "hubspot", "--base-url", hubspot.url, "--token", "wrong")
            assert "HTTP 401" in voice("crm", "test", "bad", code=1)
            assert "needs its private app's token" in voice("crm", "add", "x", "--kind", "hubspot", code=2)
            voice("crm", "delete", "hs")
            assert "no connector 'hs'" in voice("crm", "test", "hs", code=2)
    finally:
        config.get_settings.cache_clear()
