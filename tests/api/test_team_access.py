"""Teams and access (issue 21): an agent of team billing, signed in to the inbox or calling with an agent key
bound to billing, walks every read path (list, search, the live rows, detail, audio, transcript downloads,
webhooks, revisions, call records, state updates, notes) against a voicemail of team support and gets the
same 404 as for a voicemail that does not exist, while billing's voicemail answers; admins see both; agents
in no team see only mailboxes no team owns; with no team at all everyone sees everything, as before. On
SQLite and PostgreSQL, on the real app in process."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app import bearer, local_app, new_key
from tests.support.seed import seed_voicemail, with_audio
from tests.support.services import temp_postgres

PASSWORD = "correct horse battery"
MISSING = "0" * 32  # no voicemail has this id


@dataclass
class World:
    client: TestClient
    sm: sessionmaker[Session]
    vm: dict[str, str]  # billing, support, pool (a mailbox of no team), none (no mailbox) -> voicemail id
    call: dict[str, str]  # the same -> call record id
    keys: dict[str, str]  # billing-agent, both-agent, lone-agent, admin, ingest -> bearer secret


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    from voice.storage import teams, users
    from voice.storage.models import Voicemail

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(temp_postgres("voice_teams")) if request.param == "postgresql" else None
        client, sm, settings = stack.enter_context(
            local_app(tmp_path, **({"database_url": url} if url else {}))
        )
        vm, call = {}, {}
        with sm() as session:
            for name, mailbox in [
                ("billing", "invoices"),
                ("support", "helpdesk"),
                ("pool", "general"),
                ("none", None),
            ]:
                # The same words in every transcript: a search finds each one it may.
                vm[name] = seed_voicemail(
                    session, mailbox=mailbox, text=f"Invoice question for {name}, call back"
                )
                with_audio(session, settings, vm[name])
                call[name] = session.scalar(select(Voicemail.call_id).where(Voicemail.id == vm[name])) or ""
            for user, role in [("alice", "agent"), ("sam", "agent"), ("nora", "agent"), ("root", "admin")]:
                users.create_user(session, user, PASSWORD, role)
            session.commit()
        roles = {"billing-agent": "agent", "both-agent": "agent", "lone-agent": "agent", "admin": "admin"}
        keys = {name: new_key(sm, role, name)[1] for name, role in {**roles, "ingest": "ingest"}.items()}
        with sm() as session:
            teams.create_team(
                session, "billing", ["invoices", "accounts"], "Europe/Berlin", "mon-fri 09:00-17:00", 4
            )
            teams.create_team(session, "support", ["helpdesk"])
            teams.add_member(session, "billing", username="alice")
            teams.add_member(session, "support", username="sam")
            teams.add_member(session, "billing", api_key="billing-agent")
            teams.add_member(session, "billing", api_key="both-agent")
            teams.add_member(session, "support", api_key="both-agent")
            session.commit()
        yield World(client, sm, vm, call, keys)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:300]
    return m.group(1)


def _sign_in(client: TestClient, username: str) -> str:
    """Sign in as ``username`` (after signing out whoever was); returns a CSRF token for forms."""
    client.cookies.clear()
    token = _csrf(client.get("/login").text)
    form = {"username": username, "password": PASSWORD, "next": "/", "csrf_token": token}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    return _csrf(client.get("/").text)


def _api_reads(vm_id: str, call_id: str, assignee: str = "alice") -> list[tuple[str, str, dict | None]]:
    """Every API path on one voicemail; the PATCH assigns ``assignee``, a member of the voicemail's team."""
    return [
        ("GET", f"/v1/voicemails/{vm_id}", None),
        ("GET", f"/v1/voicemails/{vm_id}/webhooks", None),
        ("GET", f"/v1/voicemails/{vm_id}/revisions", None),
        ("PATCH", f"/v1/voicemails/{vm_id}", {"agent_state": "handled", "assignee": assignee}),
        ("GET", f"/v1/calls/{call_id}", None),
    ]


def _api_listed(client: TestClient, key: str, **params: str | list[str]) -> set[str]:
    r = client.get("/v1/voicemails", params={"limit": "500", **params}, headers=bearer(key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert sum(body["counts"].values()) == len(body["items"]) or params, body[
        "counts"
    ]  # counts see as the list
    return {i["id"] for i in body["items"]}


def test_an_agent_key_of_billing_gets_404_for_support_on_every_api_path(world: World) -> None:
    client, vm, call = world.client, world.vm, world.call
    billing = world.keys["billing-agent"]
    assert _api_listed(client, billing) == {vm["billing"]}
    assert _api_listed(client, billing, q="invoice") == {vm["billing"]}  # search
    assert _api_listed(client, billing, mailbox="helpdesk") == set()
    assert _api_listed(client, billing, id=[vm["support"], vm["billing"]]) == {vm["billing"]}
    counts = client.get("/v1/voicemails", headers=bearer(billing)).json()["counts"]
    assert counts == {"done": 1}  # the other teams' voicemails are not even counted

    for (method, path, body), (_, missing, _) in zip(
        _api_reads(vm["support"], call["support"]), _api_reads(MISSING, MISSING), strict=True
    ):
        r = client.request(method, path, json=body, headers=bearer(billing))
        nothing = client.request(method, missing, json=body, headers=bearer(billing))
        # The same answer as for a voicemail or call that does not exist: nothing about it leaks.
        assert (r.status_code, r.json()) == (nothing.status_code, nothing.json()), (method, path)
        assert r.status_code == 404, (method, path, r.text)
    for method, path, body in _api_reads(vm["billing"], call["billing"]):
        r = client.request(method, path, json=body, headers=bearer(billing))
        assert r.status_code == 200, (method, path, r.text)
        if path.startswith("/v1/calls/"):
            assert [v["id"] for v in r.json()["voicemails"]] == [vm["billing"]]
    with world.sm() as session:
        from voice.storage.models import Voicemail

        support = session.get(Voicemail, vm["support"])
        assert support is not None and support.agent_state == "in_progress" and support.assignee == "dana"
        handled = session.get(Voicemail, vm["billing"])
        assert handled is not None and handled.agent_state == "handled" and handled.assignee == "alice"

    # A key of both teams sees both; admins see everything; the ingest key keeps its rule (what it posted).
    assert _api_listed(client, world.keys["both-agent"]) == {vm["billing"], vm["support"]}
    assert _api_listed(client, world.keys["admin"]) == set(vm.values())
    for method, path, body in _api_reads(vm["support"], call["support"], "sam"):
        assert client.request(method, path, json=body, headers=bearer(world.keys["admin"])).status_code == 200
    assert _api_listed(client, world.keys["ingest"]) == set()
    body = {"audio_url": "https://pbx.example.com/a.wav", "call": {"mailbox": "accounts"}}
    posted = client.post("/v1/voicemails", json=body, headers=bearer(world.keys["ingest"]))
    assert posted.status_code == 202, posted.text
    assert _api_listed(client, world.keys["ingest"]) == {posted.json()["id"]}
    # It landed in billing's mailbox "accounts": billing's agents see it, support's do not.
    assert posted.json()["id"] in _api_listed(client, billing)
    assert client.get(f"/v1/voicemails/{posted.json()['id']}", headers=bearer(billing)).status_code == 200


def _web_reads(vm_id: str, csrf: str) -> list[tuple[str, str, dict | None]]:
    form = {"csrf_token": csrf}
    return [
        ("GET", f"/voicemails/{vm_id}", None),
        ("GET", f"/voicemails/{vm_id}/audio", None),
        ("GET", f"/voicemails/{vm_id}/transcript.txt", None),
        ("GET", f"/voicemails/{vm_id}/transcript.srt", None),
        ("GET", f"/voicemails/{vm_id}/transcript.vtt", None),
        ("POST", f"/voicemails/{vm_id}/state", {**form, "state": "handled"}),
        ("POST", f"/voicemails/{vm_id}/assign", {**form, "assignee": "alice"}),
        ("POST", f"/voicemails/{vm_id}/notes", {**form, "text": "seen by another team"}),
    ]


def _inbox_ids(client: TestClient, **params: str) -> set[str]:
    r = client.get("/", params=params)
    assert r.status_code == 200, r.text
    return set(re.findall(r'data-id="([0-9a-f]{32})"', r.text))


def test_an_agent_of_billing_gets_404_for_support_on_every_inbox_page(world: World) -> None:
    client, vm = world.client, world.vm
    csrf = _sign_in(client, "alice")
    assert _inbox_ids(client) == {vm["billing"]}
    assert _inbox_ids(client, q="invoice") == {vm["billing"]}  # search
    assert _inbox_ids(client, mailbox="helpdesk") == set()
    page = client.get("/").text
    assert "<option >invoices</option>" in page and "helpdesk" not in page  # the mailbox filter's choices
    # The live rows: another team's voicemail as the newest seen is as unknown as a missing one.
    assert client.get("/inbox/rows", params={"after": vm["support"]}).status_code == 204
    assert client.get("/inbox/rows", params={"after": MISSING}).status_code == 204

    for (method, path, body), (_, missing, _) in zip(
        _web_reads(vm["support"], csrf), _web_reads(MISSING, csrf), strict=True
    ):
        r = client.request(method, path, data=body, follow_redirects=False)
        nothing = client.request(method, missing, data=body, follow_redirects=False)
        assert r.status_code == 404 and (r.status_code, r.text) == (nothing.status_code, nothing.text), (
            path,
            r.text,
        )
    for method, path, body in _web_reads(vm["billing"], csrf):
        r = client.request(method, path, data=body, follow_redirects=False)
        assert r.status_code in ((303,) if method == "POST" else (200,)), (path, r.status_code, r.text[:300])
    with world.sm() as session:
        from voice.storage.models import Voicemail, VoicemailNote

        support = session.get(Voicemail, vm["support"])
        assert support is not None and support.agent_state == "in_progress" and support.assignee == "dana"
        notes = session.scalars(
            select(VoicemailNote.voicemail_id).where(VoicemailNote.author == "alice")
        ).all()
        assert list(notes) == [vm["billing"]]

    # Sam of support: the other way round. An admin: everything, everywhere.
    _sign_in(client, "sam")
    assert _inbox_ids(client) == {vm["support"]}
    assert client.get(f"/voicemails/{vm['billing']}").status_code == 404
    _sign_in(client, "root")
    assert _inbox_ids(client) == set(vm.values())
    for method, path, _body in _web_reads(vm["support"], ""):
        if method == "GET":
            assert client.get(path).status_code == 200, path


def test_agents_in_no_team_see_the_mailboxes_of_no_team_until_no_team_exists(world: World) -> None:
    """The rule for agents in no team (docs/teams.md): once a team exists, only voicemails whose mailbox
    belongs to no team (or that have none); with no team at all, everything, as before teams existed."""
    from voice.storage import teams

    client, vm = world.client, world.vm
    lone = world.keys["lone-agent"]
    unowned = {vm["pool"], vm["none"]}
    assert _api_listed(client, lone) == unowned
    assert client.get(f"/v1/voicemails/{vm['billing']}", headers=bearer(lone)).status_code == 404
    assert client.get(f"/v1/calls/{world.call['support']}", headers=bearer(lone)).status_code == 404
    assert client.get(f"/v1/calls/{world.call['pool']}", headers=bearer(lone)).status_code == 200
    _sign_in(client, "nora")
    assert _inbox_ids(client) == unowned
    assert client.get(f"/voicemails/{vm['support']}/audio").status_code == 404
    # Billing's agents do not see the unowned ones.
    assert vm["pool"] not in _api_listed(client, world.keys["billing-agent"])

    with world.sm() as session:
        teams.delete_team(session, "support")
        session.commit()
    # Support's mailbox belongs to no team now: the agents in no team see it.
    assert _api_listed(client, lone) == unowned | {vm["support"]}
    with world.sm() as session:
        teams.delete_team(session, "billing")
        session.commit()
    assert _api_listed(client, lone) == set(vm.values())
    assert _api_listed(client, world.keys["billing-agent"]) == set(vm.values())
    assert _inbox_ids(client) == set(vm.values())


def test_a_routed_voicemail_is_seen_by_the_team_it_was_routed_to_and_by_no_other(world: World) -> None:
    """Routing (docs/routing.md) moves a voicemail to a team: that team's agents see it on list, search and
    detail; the team of its mailbox, and agents in no team, get the same 404 as for a missing one. Its
    team deleted, it goes back to its mailbox's team."""
    from voice.routing import route
    from voice.storage import teams
    from voice.storage.models import Voicemail
    from voice.usecases import routing

    client, vm = world.client, world.vm
    support_key = new_key(world.sm, "agent", "support-agent")[1]
    rules = [
        {"name": "helpdesk-to-billing", "when": {"mailbox": "helpdesk"}, "then": {"team": "billing"}},
        {"name": "general-to-support", "when": {"mailbox": "general"}, "then": {"team": "support"}},
    ]
    with world.sm() as session:
        teams.add_member(session, "support", api_key="support-agent")
        routing.load_rule_set(session, {"rules": rules})
        for name in ("support", "pool"):
            row = session.get(Voicemail, vm[name])
            assert row is not None
            row.agent_state, row.assignee = "new", None  # as the pipeline leaves it
        session.flush()
        assert route.after_processing(session, vm["support"]).team == "billing"  # type: ignore[union-attr]
        assert route.after_processing(session, vm["pool"]).team == "support"  # type: ignore[union-attr]
        session.commit()

    billing, lone = world.keys["billing-agent"], world.keys["lone-agent"]
    assert _api_listed(client, billing) == {vm["billing"], vm["support"]}
    assert _api_listed(client, billing, q="invoice") == {vm["billing"], vm["support"]}
    assert client.get(f"/v1/voicemails/{vm['support']}", headers=bearer(billing)).status_code == 200
    # Support's agents: the voicemail of their mailbox went to billing; the pool's came to them.
    assert _api_listed(client, support_key) == {vm["pool"]}
    assert _api_listed(client, support_key, q="invoice") == {vm["pool"]}
    for key, gone in [(support_key, vm["support"]), (lone, vm["pool"]), (billing, vm["pool"])]:
        r = client.get(f"/v1/voicemails/{gone}", headers=bearer(key))
        nothing = client.get(f"/v1/voicemails/{MISSING}", headers=bearer(key))
        assert (r.status_code, r.json()) == (404, nothing.json())
    assert _api_listed(client, lone) == {vm["none"]}  # the pool's voicemail belongs to support now
    _sign_in(client, "sam")
    assert _inbox_ids(client) == {vm["pool"]} and _inbox_ids(client, q="invoice") == {vm["pool"]}
    assert client.get(f"/voicemails/{vm['support']}").status_code == 404
    _sign_in(client, "alice")
    assert _inbox_ids(client) == {vm["billing"], vm["support"]}

    with world.sm() as session:
        teams.delete_team(session, "support")
        session.commit()
    # Routed to a team that is gone: its mailbox (general, of no team now) decides again.
    assert _api_listed(client, lone) == {vm["none"], vm["pool"]}
    assert _api_listed(client, billing) == {vm["billing"], vm["support"]}
