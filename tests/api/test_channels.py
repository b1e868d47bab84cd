"""Notification channels on the app in process: the admin API (/v1/channels, secrets write-only and sealed
with the storage key), a team's privacy settings, the pipeline's end notifying a channel through the app's
own sender (fixed engine, real worker), and `voice channels` on a real database."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from tests.support.app import LocalServer, app_settings, bearer, local_server
from tests.support.http_servers import AudioServer, WebhookReceiver
from tests.support.paths import ROOT

SAMPLE = ROOT / "samples" / "billing_invoice.wav"
KEY = base64.b64encode(b"k" * 32).decode()
SLACK_URL = "https://hooks.slack.com/services/T000/B000/secret-part"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    from voice.storage import teams

    settings = app_settings(
        tmp_path_factory.mktemp("channels") / "data",
        worker=True,
        storage={"encryption_key": KEY},
        notifications={"poll_interval_s": 0.05, "backoff_s": 0.0},
        public_url="https://inbox.example.com",
    )
    with local_server(settings) as server:
        server.create_user("alice", "correct horse battery", "agent")
        with server.sm() as session:
            teams.create_team(session, "billing", ["accounts"])
            teams.add_member(session, "billing", username="alice")  # routing sends nothing to an empty team
            session.commit()
        yield server


def test_an_admin_manages_channels_and_never_gets_a_secret_back(
    app: LocalServer, webhook_receiver: WebhookReceiver
) -> None:
    from voice.storage.models import NotificationChannel

    client, h = app.client, app.headers()
    r = client.post(
        "/v1/channels",
        json={"name": "Slack-Billing", "kind": "slack", "secrets": {"url": SLACK_URL}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["name"], made["kind"], made["secrets_set"], made["new_secret"]) == (
        "slack-billing",
        "slack",
        ["url"],
        None,
    )
    assert "secret-part" not in r.text
    hook = client.post(
        "/v1/channels",
        json={"name": "hook", "kind": "webhook", "settings": {"url": f"{webhook_receiver.url}/channel-test"}},
        headers=h,
    ).json()
    assert hook["new_secret"].startswith("whsec_") and hook["secrets_set"] == ["secret"]
    listed = client.get("/v1/channels", headers=h)
    assert [c["name"] for c in listed.json()] == ["hook", "slack-billing"]
    assert "secret-part" not in listed.text and hook["new_secret"] not in listed.text
    with app.sm() as session:  # sealed under the storage key: the database holds no URL or signing secret
        stored = " ".join(s or "" for s in session.scalars(select(NotificationChannel.secrets)))
        assert (
            "secret-part" not in stored and hook["new_secret"][6:] not in stored and "aesgcm:url:" in stored
        )

    r = client.patch("/v1/channels/slack-billing", json={"digest_minutes": 15, "enabled": False}, headers=h)
    assert (r.json()["digest_minutes"], r.json()["enabled"]) == (15, False)
    r = client.patch("/v1/channels/slack-billing", json={"digest_minutes": None}, headers=h)
    assert r.json()["digest_minutes"] is None and r.json()["enabled"] is False

    for method, path, body, code, reason in [
        (
            "POST",
            "/v1/channels",
            {"name": "hook", "kind": "teams", "secrets": {"url": SLACK_URL}},
            409,
            "exists",
        ),
        (
            "POST",
            "/v1/channels",
            {"name": "m", "kind": "email", "settings": {"host": "h"}},
            422,
            "needs sender, to",
        ),
        (
            "POST",
            "/v1/channels",
            {"name": "s", "kind": "slack", "settings": {"url": "x"}},
            422,
            "no setting 'url'",
        ),
        (
            "POST",
            "/v1/channels",
            {"name": "s", "kind": "slack", "secrets": {"url": "ftp://x"}},
            422,
            "http(s) URL",
        ),
        ("POST", "/v1/channels", {"name": "s", "kind": "sms"}, 422, ""),
        ("PATCH", "/v1/channels/nope", {"enabled": True}, 404, "no channel 'nope'"),
        ("DELETE", "/v1/channels/nope", None, 404, "no channel 'nope'"),
        ("PUT", "/v1/teams/nope/notifications", {"transcript": True}, 404, "no team 'nope'"),
    ]:
        r = client.request(method, path, json=body, headers=h)
        assert r.status_code == code and reason in r.text, (method, path, r.text)

    r = client.post("/v1/channels/hook/test", headers=h)
    assert r.json()["ok"] is True and r.json()["status_code"] == 200, r.text
    [got] = [x for x in webhook_receiver.received if x.path == "/channel-test"]
    payload = Webhook(hook["new_secret"]).verify(got.body, {k.lower(): v for k, v in got.headers.items()})
    assert payload["type"] == "voicemail.test"

    assert client.get("/v1/teams/billing/notifications", headers=h).json() == {
        "team": "billing", "transcript": False, "audio": False
    }  # fmt: skip
    r = client.put("/v1/teams/billing/notifications", json={"transcript": True}, headers=h)
    assert r.json() == {"team": "billing", "transcript": True, "audio": False}
    client.put("/v1/teams/billing/notifications", json={"transcript": False}, headers=h)
    assert client.delete("/v1/channels/slack-billing", headers=h).status_code == 204


def test_only_admins_manage_channels(app: LocalServer) -> None:
    for role in ("ingest", "agent"):
        h = bearer(app.create_key(role, f"channels-{role}")["key"])
        for method, path, body in [
            ("GET", "/v1/channels", None),
            ("POST", "/v1/channels", {"name": "x", "kind": "slack", "secrets": {"url": SLACK_URL}}),
            ("PATCH", "/v1/channels/x", {"enabled": True}),
            ("DELETE", "/v1/channels/x", None),
            ("POST", "/v1/channels/x/test", None),
            ("GET", "/v1/channels/x/notifications", None),
            ("PUT", "/v1/teams/billing/notifications", {"audio": True}),
        ]:
            r = app.client.request(method, path, json=body, headers=h)
            assert r.status_code == 403, (role, method, path, r.text)


def test_a_processed_voicemail_notifies_the_rules_channel_through_the_apps_sender(
    app: LocalServer, audio_server: AudioServer, webhook_receiver: WebhookReceiver
) -> None:
    h = app.headers()
    r = app.client.post(
        "/v1/channels",
        json={
            "name": "flaky",
            "kind": "webhook",
            "settings": {"url": f"{webhook_receiver.url}/fail-1/pipeline"},
        },
        headers=h,
    )
    secret = r.json()["new_secret"]
    rules = {
        "rules": [
            {
                "name": "accounts",
                "when": {"mailbox": ["accounts"]},
                "then": {"team": "billing", "notify": ["flaky"]},
            }
        ]
    }
    assert app.client.put("/v1/routing/rules", json=rules, headers=h).status_code == 200
    shutil.copy(SAMPLE, audio_server.root / "notify.wav")
    vm_id = app.post_url(f"{audio_server.url}/notify.wav", mailbox="accounts", **{"from": "+14155550100"})
    vm = app.wait(vm_id)
    assert vm["status"] == "done" and vm["team"] == "billing"
    assert vm["history"][-1]["detail"] == (
        "routing: routed to billing by rule 'accounts' (mailbox=accounts); notify flaky"
    )
    hits = webhook_receiver.wait_for(lambda x: x.path == "/fail-1/pipeline" and len(
        [y for y in webhook_receiver.received if y.path == "/fail-1/pipeline"]) >= 2, timeout=30)  # fmt: skip
    first, second = [x for x in webhook_receiver.received if x.path == "/fail-1/pipeline"][:2]
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # the same message, retried once
    payload = Webhook(secret).verify(second.body, {k.lower(): v for k, v in second.headers.items()})
    [item] = payload["data"]["voicemails"]
    assert item["url"] == f"https://inbox.example.com/voicemails/{vm_id}" and item["team"] == "billing"
    assert item["transcript"] is None and hits
    log = app.client.get("/v1/channels/flaky/notifications", headers=h)
    for _ in range(50):
        if log.json()[0]["status"] == "sent":
            break
        log = app.client.get("/v1/channels/flaky/notifications", headers=h)
    [row] = log.json()
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert [a["status_code"] for a in row["attempt_log"]] == [500, 200]
    metrics = app.client.get("/metrics", headers=h).text
    assert 'voice_notifications{status="sent"} 1.0' in metrics, metrics
    app.client.put("/v1/routing/rules", json={"rules": []}, headers=h)


def test_voice_channels_on_a_real_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook_receiver: WebhookReceiver
) -> None:
    from typer.testing import CliRunner

    from voice.cli import app as cli
    from voice.core import config
    from voice.storage import db, teams

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICE_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        url = config.get_settings().db_url
        db.upgrade(url)
        sm = db.make_sessionmaker(db.make_engine(url))
        with sm() as session:
            teams.create_team(session, "billing", ["accounts"])
            session.commit()
        runner = CliRunner()

        def voice(*args: str, code: int = 0, stdin: str | None = None) -> str:
            out = runner.invoke(cli, list(args), input=stdin, env={"COLUMNS": "200"})
            assert out.exit_code == code, (args, out.output)
            return out.output

        out = voice("channels", "add", "ops", "--kind", "webhook", "--url", f"{webhook_receiver.url}/cli")
        assert any(
            line.startswith("ops              webhook  url=http://127.0.0.1:") for line in out.splitlines()
        )
        assert "whsec_" in out  # printed once
        mail = ["--host", "127.0.0.1", "--port", "2525", "--from", "v@example.com", "--username", "v"]
        mail += ["--to", "a@example.com", "--to", "b@example.com", "--password", "-"]
        voice("channels", "add", "mail", "--kind", "email", *mail, stdin="pw-from-stdin\n")
        listed = voice("channels", "list")
        assert "to=a@example.com,b@example.com" in listed and "secrets set: password" in listed
        assert "pw-from-stdin" not in listed + voice("channels", "list", "--json")
        assert "digest 30 min" in voice(
            "channels", "update", "mail", "--digest-minutes", "30", "--port", "2525"
        )
        assert "[disabled]" in voice("channels", "update", "mail", "--disable")
        assert "no setting 'host'" in voice("channels", "update", "ops", "--host", "x", code=2)
        assert "a slack channel needs url" in voice("channels", "add", "s", "--kind", "slack", code=2)
        assert "sent to ops (200" in voice("channels", "test", "ops")
        assert [r.path for r in webhook_receiver.received].count("/cli") == 1
        assert "billing: transcript on, audio off" in voice("channels", "privacy", "billing", "--transcript")
        voice("channels", "delete", "ops")
        assert "no channel 'ops'" in voice("channels", "test", "ops", code=2)
        failed = voice("channels", "test", "mail", code=1)
        assert "not sent" in failed
    finally:
        config.get_settings.cache_clear()
