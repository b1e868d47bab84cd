"""Routing rules (issue 21, "Routing rules") on the app in process: the admin API (/v1/routing) with its
refusals and their reasons, and the pipeline's end routing a voicemail of a routed mailbox (fixed engine,
real worker): its team, assignee and the decision in its history; a reprocess routes it again only while
nobody has handled it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.app import LocalServer, app_settings, bearer, local_server
from tests.support.http_servers import AudioServer, WebhookReceiver
from tests.support.paths import ROOT

PASSWORD = "correct horse battery"
SAMPLE = ROOT / "samples" / "billing_invoice.wav"  # speech, so it reaches the (fixed) engine
RULES = {
    "rules": [
        {
            "name": "vip",
            "when": {"caller_list": "vip"},
            "then": {"priority": 20, "tags": ["vip"]},
            "continue": True,
        },
        {
            "name": "invoices",
            "when": {"mailbox": ["accounts"]},
            "then": {"team": "billing", "assign": "round_robin"},
        },
        {"name": "default", "default": True, "then": {"team": "support"}},
    ]
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    from voice.storage import teams

    with local_server(app_settings(tmp_path_factory.mktemp("routing") / "data", worker=True)) as server:
        for name in ("alice", "bob", "sam"):
            server.create_user(name, PASSWORD, "agent")
        with server.sm() as session:
            teams.create_team(session, "billing", ["accounts"], "Europe/Berlin", "mon-fri 09:00-17:00")
            teams.create_team(session, "support", ["helpdesk"])
            teams.add_member(session, "billing", username="alice")
            teams.add_member(session, "billing", username="bob")
            teams.add_member(session, "support", username="sam")
            session.commit()
        yield server


def test_an_admin_manages_the_rules_and_every_refusal_says_why(app: LocalServer) -> None:
    client, h = app.client, app.headers()
    r = client.put("/v1/routing/rules", json=RULES, headers=h)
    assert r.status_code == 200, r.text
    assert [rule["name"] for rule in r.json()["rules"]] == ["vip", "invoices", "default"]
    assert r.json()["rules"][0] == RULES["rules"][0] | {
        "then": {"priority": 20.0, "tags": ["vip"]},
        "when": {"caller_list": ["vip"]},
    }

    urgent = {"name": "urgent", "when": {"urgency": ["urgent"]}, "then": {"team": "support"}}
    r = client.post("/v1/routing/rules", params={"position": 1}, json=urgent, headers=h)
    assert r.status_code == 201 and [x["name"] for x in r.json()["rules"]][:2] == ["urgent", "vip"], r.text
    r = client.patch("/v1/routing/rules/urgent", json={"enabled": False, "position": 3}, headers=h)
    assert [(x["name"], x.get("enabled", True)) for x in r.json()["rules"]] == [
        ("vip", True),
        ("invoices", True),
        ("urgent", False),
        ("default", True),
    ]
    assert client.delete("/v1/routing/rules/urgent", headers=h).status_code == 204

    for method, path, body, status, reason in [
        ("POST", "/v1/routing/rules", {"name": "vip"}, 409, "routing rule 'vip' exists already"),
        ("POST", "/v1/routing/rules", {"name": "d2", "default": True}, 409, "rule 'default' is the default"),
        (
            "POST",
            "/v1/routing/rules",
            {"name": "x", "when": {"intent": "bills"}},
            422,
            "rule 'x', when.intent: unknown intent 'bills'",
        ),
        ("DELETE", "/v1/routing/rules/urgent", None, 404, "no routing rule 'urgent'"),
        ("PATCH", "/v1/routing/rules/nope", {"enabled": True}, 404, "no routing rule 'nope'"),
        (
            "PUT",
            "/v1/routing/rules",
            {"rules": [{"name": "a", "then": {"assign": "x"}}]},
            422,
            "rule 'a' (#1), then.assign",
        ),
        (
            "PUT",
            "/v1/routing/rules",
            {"rules": [{"name": "a"}, {"name": "a"}]},
            422,
            "two rules are named 'a'",
        ),
        ("POST", "/v1/routing/lists/vip/numbers", {"numbers": ["call me"]}, 422, "'call me' is not a phone"),
        ("DELETE", "/v1/routing/lists/gold", None, 404, "no caller list 'gold'"),
        ("GET", f"/v1/voicemails/{'0' * 32}/routing", None, 404, "voicemail not found"),
    ]:
        r = client.request(method, path, json=body, headers=h)
        assert r.status_code == status and reason in r.json()["detail"], (method, path, r.text)
    # A refused PUT changed nothing.
    assert [x["name"] for x in client.get("/v1/routing/rules", headers=h).json()["rules"]] == [
        "vip",
        "invoices",
        "default",
    ]

    r = client.post("/v1/routing/lists/vip/numbers", json={"numbers": ["+1 (415) 555-0100"]}, headers=h)
    assert r.status_code == 200 and r.json() == {"lists": {"vip": ["+14155550100"]}}, r.text
    assert client.get("/v1/routing/lists", headers=h).json() == {"lists": {"vip": ["+14155550100"]}}

    for role in ("ingest", "agent"):
        other = bearer(app.create_key(role, f"routing-{role}")["key"])
        for method, path in [
            ("GET", "/v1/routing/rules"),
            ("PUT", "/v1/routing/rules"),
            ("GET", "/v1/routing/lists"),
            ("GET", f"/v1/voicemails/{'0' * 32}/routing"),
        ]:
            r = client.request(method, path, json={"rules": []}, headers=other)
            assert r.status_code == 403, (role, method, path, r.text)


def _history(app: LocalServer, vm_id: str) -> list[str]:
    return [e["detail"] or "" for e in app.get(vm_id)["history"]]


def _reprocessed(app: LocalServer, vm_id: str) -> None:
    r = app.client.post(f"/v1/voicemails/{vm_id}/reprocess", headers=app.headers())
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    deadline = time.monotonic() + 60
    while app.client.get(f"/v1/reprocess-runs/{run_id}", headers=app.headers()).json()["state"] != "done":
        assert time.monotonic() < deadline, "run not done"
        time.sleep(0.05)


def test_a_voicemail_of_a_routed_mailbox_ends_with_its_team_assignee_and_history(
    app: LocalServer, audio_server: AudioServer, webhook_receiver: WebhookReceiver
) -> None:
    from voice.storage.models import Team, Voicemail, WebhookDelivery

    h = app.headers()
    hooked = app.create_key("admin", "routing-hooked", f"{webhook_receiver.url}/routing")["key"]
    assert app.client.put("/v1/routing/rules", json=RULES, headers=h).status_code == 200
    app.client.post("/v1/routing/lists/vip/numbers", json={"numbers": ["+14155550100"]}, headers=h)
    shutil.copy(SAMPLE, audio_server.root / "routing-vip.wav")
    vm_id = app.post_url(
        f"{audio_server.url}/routing-vip.wav", key=hooked, mailbox="accounts", **{"from": "+14155550100"}
    )
    vm = app.wait(vm_id)
    assert vm["status"] == "done" and vm["assignee"] == "alice", vm
    assert vm["team"] == "billing" and vm["tags"] == ["vip"]
    with app.sm() as session:  # the completion webhook was written after routing, in the same transaction
        payload = json.loads(
            session.scalars(
                select(WebhookDelivery.payload).where(WebhookDelivery.voicemail_id == vm_id)
            ).one()
        )
    data = payload["data"]
    assert (data["team"], data["assignee"], data["tags"]) == ("billing", "alice", ["vip"])
    expected = (
        "routing: rule 'vip' (caller on list vip); +20 priority; tagged vip; "
        "routed to billing by rule 'invoices' (mailbox=accounts); assigned to alice (round robin)"
    )
    assert _history(app, vm_id)[-1] == expected
    with app.sm() as session:
        row = session.get(Voicemail, vm_id)
        assert row is not None and row.tags == ["vip"] and row.routing_points == 20
        assert row.team_id == session.scalar(select(Team.id).where(Team.name == "billing"))
        triaged = vm["transcript"]["summary"]["priority"]
        assert row.priority == triaged + 20

    explained = app.client.get(f"/v1/voicemails/{vm_id}/routing", headers=h).json()
    assert explained["applied"]["assignee"] == "alice" and explained["applied"]["rules"] == [
        "vip",
        "invoices",
    ]
    assert explained["now"]["assignee"] == "bob"  # alice's turn is taken; nothing stored by explaining
    assert app.get(vm_id)["assignee"] == "alice"

    # Nobody has handled it: a reprocess routes it again, to the same team, so alice keeps it.
    _reprocessed(app, vm_id)
    assert app.get(vm_id)["assignee"] == "alice"
    assert _history(app, vm_id)[-1].endswith("kept with alice, its assignee since first routed")
    # Handled: a reprocess leaves it where it is.
    r = app.client.patch(f"/v1/voicemails/{vm_id}", json={"agent_state": "handled"}, headers=h)
    assert r.status_code == 200, r.text
    _reprocessed(app, vm_id)
    after = app.get(vm_id)
    assert after["assignee"] == "alice" and not after["history"][-1]["detail"].startswith("routing:")

    # Another mailbox: the default rule.
    shutil.copy(SAMPLE, audio_server.root / "routing-other.wav")
    other = app.wait(app.post_url(f"{audio_server.url}/routing-other.wav", mailbox="helpdesk"))
    assert _history(app, other["id"])[-1] == "routing: routed to support by default rule 'default'"
    assert other["assignee"] is None and other["team"] == "support" and other["tags"] == []


# --- `voice routing` ---------------------------------------------------------------------------------

RULES_YAML = """\
rules:
- name: vip
  when:
    caller_list: [vip]
  then:
    priority: 20.0
    tags: [vip]
  continue: true
- name: invoices
  when:
    intent: [billing]
    hours: open
  then:
    team: billing
    assign: round_robin
- name: after-hours
  when:
    intent: [billing]
  then:
    team: support
    notify: [pager]
- name: default
  then:
    team: support
  default: true
"""


def test_voice_routing_on_a_real_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from tests.support.seed import seed_voicemail
    from voice.cli import app as cli
    from voice.core import config
    from voice.storage import channels, db, teams, users

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICE_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        url = config.get_settings().db_url
        db.upgrade(url)
        sm = db.make_sessionmaker(db.make_engine(url))
        with sm() as session:
            for name in ("alice", "bob", "sam"):
                users.create_user(session, name, PASSWORD, "agent")
            teams.create_team(session, "billing", ["accounts"], "Europe/Berlin", "mon-fri 09:00-17:00")
            teams.create_team(session, "support", ["helpdesk"])
            channels.add(
                session, None, "pager", "slack", {}, {"url": "https://hooks.slack.com/services/T/B/x"}
            )
            for name in ("alice", "bob"):
                teams.add_member(session, "billing", username=name)
            teams.add_member(session, "support", username="sam")  # a team of nobody is not routed to
            vm_id = seed_voicemail(session, mailbox="accounts", intent="billing", from_number="+14155550100")
            session.commit()
        runner = CliRunner()

        def voice(*args: str, code: int = 0, stdin: str | None = None) -> str:
            out = runner.invoke(cli, list(args), input=stdin, env={"COLUMNS": "200"})
            assert out.exit_code == code, (args, out.output)
            return out.output

        (tmp_path / "rules.yaml").write_text(RULES_YAML)
        assert "loaded 4 rules" in voice("routing", "load", str(tmp_path / "rules.yaml"))
        assert voice("routing", "export") == RULES_YAML  # config as code: what was loaded comes back
        (tmp_path / "bad.yaml").write_text(
            "rules:\n- name: x\n  when: {intent: bills}\n- name: y\n  then: {team: 1x}\n"
        )
        bad = " ".join(voice("routing", "load", str(tmp_path / "bad.yaml"), code=2).split())
        assert "nothing changed" in bad and "rule 'x' (#1), when.intent: unknown intent 'bills'" in bad
        assert voice("routing", "export") == RULES_YAML

        assert "+14155550100" in voice("routing", "lists", "add", "vip", "+1 (415) 555-0100")
        assert "'nope' is not a phone number" in voice("routing", "lists", "add", "vip", "nope", code=2)
        assert json.loads(voice("routing", "lists", "show", "--json")) == {"vip": ["+14155550100"]}
        listed = voice(
            "routing", "add", "urgent", "--urgency", "urgent", "--team", "support", "--position", "1"
        )
        assert listed.splitlines()[1].startswith("  1.    urgent")
        voice("routing", "move", "urgent", "4")
        assert "urgent" in voice("routing", "disable", "urgent") and "[disabled]" in voice("routing", "list")
        assert "no routing rule 'nope'" in voice("routing", "enable", "nope", code=2)
        voice("routing", "delete", "urgent")
        assert voice("routing", "export") == RULES_YAML

        cards = [
            {
                "intent": "billing",
                "mailbox": "accounts",
                "caller": "+14155550100",
                "at": "2026-12-02T09:30:00Z",
            },
            {"intent": "billing", "mailbox": "accounts", "at": "2026-12-02T10:00:00+01:00"},
            {"intent": "billing", "at": "2026-12-02T20:00:00Z"},
            {"summary": {"intent": "support", "flags": []}, "call": {"mailbox": "helpdesk"}},
        ]
        text = "\n".join(json.dumps(c) for c in cards) + "\n\n"
        (tmp_path / "cards.jsonl").write_text(text)
        out = voice("routing", "test", str(tmp_path / "cards.jsonl")).splitlines()
        assert out == [
            "1: rule 'vip' (caller on list vip); +20 priority; tagged vip; "
            "routed to billing by rule 'invoices' (intent=billing, inside billing's business hours); "
            "assigned to alice (round robin)",
            "2: routed to billing by rule 'invoices' (intent=billing, inside billing's business hours); "
            "assigned to bob (round robin)",
            "3: routed to support by rule 'after-hours' (intent=billing); notify pager",
            "4: routed to support by default rule 'default'",
        ]
        as_json = [
            json.loads(line) for line in voice("routing", "test", "-", "--json", stdin=text).splitlines()
        ]
        assert [(d["line"], d["team"], d["assignee"]) for d in as_json] == [
            (1, "billing", "alice"),
            (2, "billing", "bob"),
            (3, "support", None),
            (4, "support", None),
        ]
        wrong = voice("routing", "test", "-", stdin='{"intent": "billing", "at": "yesterday"}\n[1]\n', code=2)
        assert (
            "line 1: 'yesterday' is not an ISO 8601 time" in wrong
            and "line 2: a card is a JSON object" in wrong
        )

        explained = voice("routing", "explain", vm_id).splitlines()
        assert (
            explained[0].startswith("now:     rule 'vip' (caller on list vip)")
            and "routed to" in explained[0]
        )
        assert explained[1] == "applied: never routed"
        assert "voicemail not found" in voice("routing", "explain", "0" * 32, code=2)
        with sm() as session:  # nothing stored by test or explain
            from voice.storage.models import TeamMember, Voicemail

            stored = session.get(Voicemail, vm_id)
            assert stored is not None and stored.routing is None and stored.team_id is None
            assert all(t is None for t in session.scalars(select(TeamMember.last_assigned_at)))

        assert "alice (unavailable)" in voice("teams", "available", "billing", "alice", "--off")
        assert "'sam' is not in team 'billing'" in voice("teams", "available", "billing", "sam", code=2)
        out = voice("routing", "test", "-", stdin=json.dumps(cards[1]) + "\n")
        assert "assigned to bob" in out
    finally:
        config.get_settings.cache_clear()


@pytest.mark.e2e
def test_the_installed_voice_command_has_routing(tmp_path: Path) -> None:
    """The `voice` entry point itself: a rule file with a problem exits 2 with where and why on stderr and
    changes nothing; `voice routing test` reads cards from standard input."""
    import subprocess

    from tests.support.paths import VOICE

    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "VOICE_DATA_DIR": str(tmp_path)}

    def voice(*args: str, code: int = 0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [VOICE, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done

    voice("db", "upgrade")
    voice("teams", "create", "support", "--mailbox", "helpdesk")
    voice("keys", "create", "--name", "helpdesk", "--role", "agent")
    voice("teams", "add", "support", "--key", "helpdesk")  # a team of nobody is not routed to
    (tmp_path / "bad.yaml").write_text("rules:\n- name: x\n  then: {assign: random}\n")
    bad = voice("routing", "load", str(tmp_path / "bad.yaml"), code=2)
    assert "nothing changed" in bad.stderr and "rule 'x' (#1), then.assign" in bad.stderr
    (tmp_path / "rules.yaml").write_text(RULES_YAML)
    voice("routing", "load", str(tmp_path / "rules.yaml"))
    assert voice("routing", "export").stdout == RULES_YAML
    out = voice("routing", "test", "-", stdin='{"intent": "support", "mailbox": "helpdesk"}\n').stdout
    # No list "vip" here: the rule that names it cannot be applied, and says so.
    fell_back = (
        "rule 'vip' cannot be applied: no caller list 'vip'; routed to support by default rule 'default'"
    )
    assert out == f"1: {fell_back}\n"
