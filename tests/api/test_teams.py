"""Teams (issue 21, "Teams and access"): the admin API (/v1/teams) with its refusals and their reasons, the
`voice teams` command on a real database, and callback deadlines taken from the team that owns a mailbox.
Who sees what is in tests/api/test_team_access.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app import LocalServer, app_settings, bearer, local_server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with local_server(app_settings(tmp_path_factory.mktemp("teams") / "data")) as server:
        server.create_user("alice", PASSWORD, "agent")
        yield server


def test_an_admin_makes_a_team_changes_it_and_deletes_it(app: LocalServer) -> None:
    client, h = app.client, app.headers()
    body = {
        "name": "Billing",
        "mailboxes": ["billing", "accounts", "billing"],
        "timezone": "Europe/Berlin",
        "business_hours": "MON-FRI 9:00-17:00",
        "callback_deadline_hours": 4,
    }
    r = client.post("/v1/teams", json=body, headers=h)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["name"] == "billing" and made["mailboxes"] == ["accounts", "billing"]
    assert made["timezone"] == "Europe/Berlin" and made["business_hours"] == "mon-fri 09:00-17:00"
    assert made["callback_deadline_hours"] == 4 and made["users"] == [] and made["api_keys"] == []
    assert made["created_at"].endswith(("Z", "+00:00"))
    assert [t["name"] for t in client.get("/v1/teams", headers=h).json()] == ["billing"]

    r = client.patch(
        "/v1/teams/billing",
        json={"mailboxes": ["billing", "invoices"], "timezone": "America/New_York", "business_hours": None},
        headers=h,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["mailboxes"] == ["billing", "invoices"] and changed["timezone"] == "America/New_York"
    assert changed["business_hours"] is None and changed["callback_deadline_hours"] == 4  # not sent: kept
    r = client.patch("/v1/teams/billing", json={"callback_deadline_hours": None}, headers=h)
    assert r.json()["callback_deadline_hours"] is None and r.json()["mailboxes"] == ["billing", "invoices"]
    assert client.get("/v1/teams/BILLING", headers=h).json()["timezone"] == "America/New_York"
    r = client.patch("/v1/teams/billing", json={"timezone": None}, headers=h)
    assert r.status_code == 422 and "always has a time zone" in r.json()["detail"]

    assert client.delete("/v1/teams/billing", headers=h).status_code == 204
    for method in ("GET", "PATCH", "DELETE"):
        r = client.request(method, "/v1/teams/billing", headers=h, json={})
        assert r.status_code == 404 and r.json()["detail"] == "no team 'billing'", (method, r.text)
    # Its mailboxes are free again.
    r = client.post("/v1/teams", json={"name": "ledger", "mailboxes": ["invoices"]}, headers=h)
    assert r.status_code == 201 and r.json()["timezone"] == "UTC" and r.json()["business_hours"] is None
    assert client.delete("/v1/teams/ledger", headers=h).status_code == 204


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"timezone": "Mars/Olympus"}, 422, "unknown time zone 'Mars/Olympus': use an IANA name"),
        ({"business_hours": "9-5"}, 422, "business hours: '9-5' is not DAYS HH:MM-HH:MM"),
        ({"business_hours": "mon-fri 17:00-09:00"}, 422, "the start is not before the end"),
        (
            {"business_hours": "weekdays 09:00-17:00"},
            422,
            "'weekdays' in 'weekdays 09:00-17:00' is not a day",
        ),
        ({"callback_deadline_hours": 0}, 422, "the callback deadline is a number of hours above 0"),
        ({"callback_deadline_hours": -2}, 422, "the callback deadline is a number of hours above 0"),
        ({"name": "sales team"}, 422, "a team name is 1 to 60 letters"),
        ({"name": "-sales"}, 422, "a team name is 1 to 60 letters"),
        ({"mailboxes": [" "]}, 422, "a mailbox name is 1 to 100 characters"),
        ({"name": "support"}, 409, "team 'support' exists already"),
        ({"mailboxes": ["helpdesk"]}, 409, "mailbox 'helpdesk' belongs to team 'support' already"),
    ],
)
def test_a_team_that_cannot_be_made_is_refused_with_the_reason(
    app: LocalServer, body: dict, status: int, reason: str
) -> None:
    client, h = app.client, app.headers()
    if client.get("/v1/teams/support", headers=h).status_code == 404:
        assert client.post(
            "/v1/teams", json={"name": "support", "mailboxes": ["helpdesk"]}, headers=h
        ).is_success
    r = client.post("/v1/teams", json={"name": "sales", **body}, headers=h)
    assert r.status_code == status, r.text
    assert reason in r.json()["detail"], r.text
    assert client.get("/v1/teams/sales", headers=h).status_code == 404  # nothing half made
    r = client.patch("/v1/teams/support", json={k: v for k, v in body.items() if k != "name"}, headers=h)
    assert r.status_code in (200, 409, 422), r.text  # a bad change is refused as a bad team is
    if "name" not in body and status == 422:
        assert r.status_code == 422 and reason in r.json()["detail"]


def test_members_are_web_users_and_agent_keys(app: LocalServer) -> None:
    client, h = app.client, app.headers()
    assert (
        client.post("/v1/teams", json={"name": "front", "mailboxes": ["front"]}, headers=h).status_code == 201
    )
    agent = app.create_key("agent", "front-desk")
    ingest = app.create_key("ingest", "front-pbx")
    members = "/v1/teams/front/members"
    r = client.post(members, json={"user": "alice"}, headers=h)
    assert r.status_code == 200 and r.json()["users"] == ["alice"], r.text
    assert client.post(members, json={"user": "alice"}, headers=h).json()["users"] == ["alice"]  # once
    r = client.post(members, json={"api_key": "front-desk"}, headers=h)
    assert r.json()["api_keys"] == [{"id": agent["id"], "name": "front-desk"}], r.text
    for body, status, reason in [
        ({"user": "bob"}, 422, "no user 'bob': make one with `voice users create`"),
        ({"api_key": "nobody"}, 422, "no active API key with id or name 'nobody'"),
        ({"api_key": ingest["id"]}, 422, "key 'front-pbx' is an ingest key, which sees only what it posted"),
        ({"user": "alice", "api_key": "front-desk"}, 422, "send either user or api_key"),
        ({}, 422, "send either user or api_key"),
    ]:
        r = client.post(members, json=body, headers=h)
        assert r.status_code == status and reason in r.text, (body, r.text)
    r = client.post("/v1/teams/nowhere/members", json={"user": "alice"}, headers=h)
    assert r.status_code == 404 and r.json()["detail"] == "no team 'nowhere'"

    r = client.delete(members, params={"user": "alice"}, headers=h)
    assert r.status_code == 200 and r.json()["users"] == []
    r = client.delete(members, params={"user": "alice"}, headers=h)
    assert r.status_code == 404 and r.json()["detail"] == "'alice' is not in team 'front'"
    r = client.delete(members, params={"api_key": agent["id"]}, headers=h)
    assert r.status_code == 200 and r.json()["api_keys"] == []
    # A revoked key cannot be bound.
    assert client.delete(f"/v1/keys/{agent['id']}", headers=h).status_code == 200
    r = client.post(members, json={"api_key": agent["id"]}, headers=h)
    assert r.status_code == 422 and "no active API key" in r.json()["detail"]


def test_only_admins_manage_teams(app: LocalServer) -> None:
    client = app.client
    for role in ("ingest", "agent"):
        h = bearer(app.create_key(role, f"teams-{role}")["key"])
        for method, path, body in [
            ("GET", "/v1/teams", None),
            ("POST", "/v1/teams", {"name": "x"}),
            ("GET", "/v1/teams/front", None),
            ("PATCH", "/v1/teams/front", {"timezone": "UTC"}),
            ("DELETE", "/v1/teams/front", None),
            ("POST", "/v1/teams/front/members", {"user": "alice"}),
            ("DELETE", "/v1/teams/front/members?user=alice", None),
        ]:
            r = client.request(method, path, json=body, headers=h)
            assert r.status_code == 403 and "admin role" in r.json()["detail"], (role, method, path, r.text)
        assert client.get("/v1/teams").status_code == 401


# --- `voice teams` ---------------------------------------------------------------------------------


def test_voice_teams_on_a_real_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from voice.cli import app as cli
    from voice.core import config
    from voice.storage import db, keys, teams, users

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICE_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        url = config.get_settings().db_url
        db.upgrade(url)
        sm = db.make_sessionmaker(db.make_engine(url))
        with sm() as session:
            users.create_user(session, "alice", PASSWORD, "agent")
            users.create_user(session, "bob", PASSWORD, "agent")
            keys.create_key(session, "helpdesk", "agent")
            keys.create_key(session, "pbx", "ingest")
            session.commit()
        runner = CliRunner()

        def voice(*args: str, code: int = 0) -> str:
            out = runner.invoke(cli, ["teams", *args], env={"COLUMNS": "200"})
            assert out.exit_code == code, (args, out.output)
            return out.output

        made = voice("create", "billing", "--mailbox", "billing", "--mailbox", "accounts", "--timezone",
                     "Europe/Berlin", "--hours", "mon-fri 09:00-17:00", "--deadline-hours", "2")  # fmt: skip
        assert "created team 'billing'" in made and "tz Europe/Berlin" in made and "deadline 2 h" in made
        voice("create", "support", "-m", "support")
        assert "members alice,bob" in voice("add", "billing", "alice", "bob")
        assert "key:helpdesk" in voice("add", "billing", "--key", "helpdesk")
        listed = json.loads(voice("list", "--json"))
        assert listed == [
            {
                "name": "billing",
                "mailboxes": ["accounts", "billing"],
                "timezone": "Europe/Berlin",
                "business_hours": "mon-fri 09:00-17:00",
                "callback_deadline_hours": 2.0,
                "users": ["alice", "bob"],
                "unavailable": [],
                "api_keys": [{"id": listed[0]["api_keys"][0]["id"], "name": "helpdesk"}],
            },
            {
                "name": "support",
                "mailboxes": ["support"],
                "timezone": "UTC",
                "business_hours": None,
                "callback_deadline_hours": None,
                "users": [],
                "unavailable": [],
                "api_keys": [],
            },
        ]
        for args, reason in [
            (("create", "billing"), "team 'billing' exists already"),
            (("create", "sales", "--timezone", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
            (("create", "sales", "--hours", "weekdays"), "'weekdays' is not DAYS HH:MM-HH:MM"),
            (("create", "sales", "-m", "support"), "mailbox 'support' belongs to team 'support' already"),
            (("add", "billing", "carol"), "no user 'carol'"),
            (("add", "billing", "--key", "pbx"), "key 'pbx' is an ingest key"),
            (("add", "nowhere", "alice"), "no team 'nowhere'"),
            (("add", "billing"), "name at least one user"),
            (("remove", "support", "alice"), "'alice' is not in team 'support'"),
            (("delete", "nowhere"), "no team 'nowhere'"),
        ]:
            assert reason in " ".join(voice(*args, code=2).split()), args
        assert "sales" not in voice("list")
        updated = voice("update", "billing", "--no-hours", "--deadline-hours", "8", "-m", "billing")
        assert "mailboxes billing " in updated and "hours -" in updated and "deadline 8 h" in updated
        assert "members bob,key:helpdesk" in voice("remove", "billing", "alice")
        voice("delete", "support")
        with sm() as session:
            assert [t.name for t in teams.list_teams(session)] == ["billing"]
            assert teams.deadlines(session) == {"billing": 8.0}
    finally:
        config.get_settings.cache_clear()


# --- callback deadlines ------------------------------------------------------------------------------


def test_a_teams_deadline_comes_before_the_settings(sm: sessionmaker[Session], tmp_path: Path) -> None:
    """SQLite and PostgreSQL: a team's mailboxes go overdue after the team's deadline; a team without one,
    and mailboxes of no team, keep settings.sla's (per mailbox, else the default)."""
    from voice.core.config import Settings
    from voice.storage import teams
    from voice.storage.models import Voicemail, VoicemailEvent, utcnow
    from voice.storage.voicemails import CallInfo, create_voicemail
    from voice.usecases.overdue import mark_overdue

    settings = Settings(
        data_dir=tmp_path, sla={"default_hours": 4, "mailboxes": {"sales": 1, "billing": 100}}
    )
    now = utcnow()
    cases = {  # (mailbox, hours ago) -> overdue?
        ("billing", 3): True,  # team billing: 2 h, before the settings' 100 h
        ("accounts", 3): True,  # team billing's other mailbox
        ("accounts", 1): False,
        ("support", 3): False,  # team support sets no deadline: the default 4 h
        ("support", 5): True,
        ("sales", 2): True,  # no team: the settings' 1 h
        (None, 3): False,
        (None, 5): True,
    }
    ids = {}
    with sm() as session:
        teams.create_team(session, "billing", ["billing", "accounts"], callback_hours=2)
        teams.create_team(session, "support", ["support"])
        for case in cases:
            mailbox, hours = case
            stored = create_voicemail(session, CallInfo(mailbox=mailbox), audio_url="https://x.example/a")
            vm = session.get(Voicemail, stored.id)
            assert vm is not None
            vm.status, vm.agent_state, vm.priority = "done", "new", 20.0
            vm.created_at = now - timedelta(hours=hours)
            ids[case] = vm.id
        session.commit()
    marked = mark_overdue(sm, settings, now)
    assert sorted(marked) == sorted(ids[c] for c, due in cases.items() if due)
    assert mark_overdue(sm, settings, now) == []
    with sm() as session:
        detail = session.scalar(
            select(VoicemailEvent.detail)
            .where(VoicemailEvent.voicemail_id == ids[("billing", 3)])
            .order_by(VoicemailEvent.id.desc())
            .limit(1)
        )
        assert detail == "not handled within the 2 h callback deadline"


@pytest.mark.e2e
def test_the_installed_voice_command_has_teams(tmp_path: Path) -> None:
    """The `voice` entry point itself (a process of its own): a refusal exits 2 with the reason on stderr."""
    import subprocess

    from tests.support.paths import VOICE

    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "VOICE_DATA_DIR": str(tmp_path)}

    def voice(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([VOICE, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done

    voice("db", "upgrade")
    bad = voice("teams", "create", "billing", "--timezone", "Mars/Olympus", code=2)
    assert "unknown time zone 'Mars/Olympus'" in bad.stderr
    voice(
        "teams",
        "create",
        "billing",
        "--mailbox",
        "billing",
        "--mailbox",
        "accounts",
        "--hours",
        "mon-fri 09:00-17:00",
    )
    voice("keys", "create", "--name", "helpdesk", "--role", "agent")
    voice("teams", "add", "billing", "--key", "helpdesk")
    listed = json.loads(voice("teams", "list", "--json").stdout)
    assert [(t["name"], t["mailboxes"], t["business_hours"]) for t in listed] == [
        ("billing", ["accounts", "billing"], "mon-fri 09:00-17:00")
    ]
    assert [k["name"] for k in listed[0]["api_keys"]] == ["helpdesk"]
