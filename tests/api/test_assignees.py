"""Who a voicemail may be assigned to (issue 21): an active web user of the voicemail's team (the team routing
chose, else its mailbox's team); for a voicemail of no team, an admin or an agent in no team (those who see
it). Anyone else is refused with a 422 that says why, through the API and the inbox page alike, and nothing
changes; the page's picker lists only who may take it. Admins are bound by the same rule. On the real app in
process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app import bearer, local_app, new_key
from tests.support.seed import seed_voicemail

PASSWORD = "correct horse battery"


@dataclass
class World:
    client: TestClient
    sm: sessionmaker[Session]
    vm: dict[str, str]  # billing, support, routed (support's mailbox, routed to billing), none -> id
    keys: dict[str, str]  # billing-agent, admin -> bearer secret


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from voice.storage import teams, users
    from voice.storage.models import Team, User, Voicemail

    with local_app(tmp_path) as (client, sm, _settings):
        with sm() as session:
            vm = {
                name: seed_voicemail(session, mailbox=mailbox)
                for name, mailbox in [
                    ("billing", "invoices"),
                    ("support", "helpdesk"),
                    ("routed", "helpdesk"),
                    ("none", None),
                ]
            }
            for user, role in [("alice", "agent"), ("bob", "agent"), ("carl", "agent"), ("sam", "agent"),
                               ("nora", "agent"), ("root", "admin"), ("boss", "admin")]:  # fmt: skip
                users.create_user(session, user, PASSWORD, role)
            session.commit()
        keys = {
            name: new_key(sm, role, name)[1]
            for name, role in [("billing-agent", "agent"), ("admin", "admin")]
        }
        with sm() as session:
            teams.create_team(session, "billing", ["invoices"])
            teams.create_team(session, "support", ["helpdesk"])
            for member in ("alice", "bob", "carl", "boss"):  # boss: an admin in billing
                teams.add_member(session, "billing", username=member)
            teams.add_member(session, "support", username="sam")
            teams.add_member(session, "billing", api_key="billing-agent")
            users.disable_user(session, "carl")
            routed = session.get(Voicemail, vm["routed"])
            assert routed is not None
            routed.team_id = session.query(Team.id).filter(Team.name == "billing").scalar()
            session.commit()
            assert session.query(User).count() == 7
        yield World(client, sm, vm, keys)


def _state(world: World, vm_id: str) -> tuple[str, str | None, int]:
    from voice.storage.models import Voicemail

    with world.sm() as session:
        vm = session.get(Voicemail, vm_id)
        assert vm is not None
        return vm.agent_state, vm.assignee, len(vm.events)


def _patch(world: World, key: str, vm_id: str, body: dict) -> tuple[int, dict]:
    r = world.client.patch(f"/v1/voicemails/{vm_id}", json=body, headers=bearer(world.keys[key]))
    return r.status_code, r.json()


# What an agent is told whoever it names: not whether the user exists, is disabled or is in another team.
AGENT_REFUSAL = "user '{}' cannot be assigned this voicemail: only active members of team 'billing' can"
# An admin, who may list users anyway, is told why.
ADMIN_REFUSALS = {
    "sam": "user 'sam' is not a member of team 'billing', the voicemail's team",
    "nora": "user 'nora' is not a member of team 'billing', the voicemail's team",
    "root": "user 'root' is not a member of team 'billing', the voicemail's team",
    "carl": "user 'carl' is disabled",
    "ghost": "no user 'ghost'",
}


def test_the_api_assigns_only_members_of_the_voicemails_team(world: World) -> None:
    vm = world.vm
    before = _state(world, vm["billing"])
    for who, why in ADMIN_REFUSALS.items():
        # The state in the same body does not change either: the whole update is refused.
        body = {"agent_state": "handled", "assignee": who}
        status, answer = _patch(world, "billing-agent", vm["billing"], body)
        assert (status, answer["detail"]) == (422, AGENT_REFUSAL.format(who)), who
        status, answer = _patch(world, "admin", vm["billing"], body)
        assert (status, answer["detail"]) == (422, why), who
    assert _state(world, vm["billing"]) == before == ("in_progress", "dana", before[2])

    status, body = _patch(
        world, "billing-agent", vm["billing"], {"agent_state": "handled", "assignee": "bob"}
    )
    assert status == 200 and (body["agent_state"], body["assignee"]) == ("handled", "bob")
    assert (
        _patch(world, "billing-agent", vm["billing"], {"assignee": "boss"})[0] == 200
    )  # an admin in billing
    assert _patch(world, "billing-agent", vm["billing"], {"assignee": None})[1]["assignee"] is None

    # Routed to billing from support's mailbox: billing's members, not support's.
    status, body = _patch(world, "billing-agent", vm["routed"], {"assignee": "sam"})
    assert (status, body["detail"]) == (422, AGENT_REFUSAL.format("sam"))
    assert _patch(world, "billing-agent", vm["routed"], {"assignee": "alice"})[1]["assignee"] == "alice"

    # Admins are bound too: an assignee outside support would not even see support's voicemail.
    status, body = _patch(world, "admin", vm["support"], {"assignee": "alice"})
    assert (status, body["detail"]) == (
        422,
        "user 'alice' is not a member of team 'support', the voicemail's team",
    )
    assert _patch(world, "admin", vm["support"], {"assignee": "sam"})[1]["assignee"] == "sam"

    # No team: those who see it, admins and agents in no team.
    status, body = _patch(world, "admin", vm["none"], {"assignee": "alice"})
    assert (status, body["detail"]) == (
        422,
        "user 'alice' is in a team and does not see voicemails of no team",
    )
    assert _patch(world, "admin", vm["none"], {"assignee": "nora"})[1]["assignee"] == "nora"
    assert _patch(world, "admin", vm["none"], {"assignee": "root"})[1]["assignee"] == "root"

    # Keeping the assignee it has is no assignment: allowed, whoever it is (here one set before teams).
    assert _patch(world, "admin", vm["routed"], {"assignee": "alice"})[0] == 200
    with world.sm() as session:
        from voice.storage.models import Voicemail

        row = session.get(Voicemail, vm["support"])
        assert row is not None
        row.assignee, row.updated_at = "dana", datetime.now(UTC)
        session.commit()
    assert _patch(world, "admin", vm["support"], {"agent_state": "handled", "assignee": "dana"})[0] == 200


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:300]
    return m.group(1)


def _sign_in(client: TestClient, username: str) -> str:
    client.cookies.clear()
    form = {
        "username": username,
        "password": PASSWORD,
        "next": "/",
        "csrf_token": _csrf(client.get("/login").text),
    }
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return _csrf(client.get("/").text)


def _picker(html: str) -> list[str]:
    select = re.search(r'<select name="assignee"[^>]*>(.*?)</select>', html, re.S)
    assert select, html
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_page_lists_and_assigns_only_who_may_take_it(world: World) -> None:
    client, vm = world.client, world.vm
    token = _sign_in(client, "alice")
    page = client.get(f"/voicemails/{vm['billing']}").text
    # Nobody, the current assignee (dana, set before teams: kept, shown), then billing's active users.
    assert _picker(page) == ["Nobody", "dana", "alice", "bob", "boss"]
    assert "Assign to me" in page

    before = _state(world, vm["billing"])
    r = client.post(f"/voicemails/{vm['billing']}/assign", data={"assignee": "sam", "csrf_token": token})
    assert r.status_code == 422
    assert f"Not assigned: {AGENT_REFUSAL.format('sam')}".replace("'", "&#39;") in r.text
    for who in ("carl", "ghost"):  # disabled, or no such user: told the same
        r = client.post(f"/voicemails/{vm['billing']}/assign", data={"assignee": who, "csrf_token": token})
        assert r.status_code == 422
        assert f"Not assigned: {AGENT_REFUSAL.format(who)}".replace("'", "&#39;") in r.text
    assert _picker(r.text) == ["Nobody", "dana", "alice", "bob", "boss"]  # the page again, as it was
    assert _state(world, vm["billing"]) == before

    r = client.post(
        f"/voicemails/{vm['billing']}/assign",
        data={"assignee": "bob", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _state(world, vm["billing"])[1] == "bob"
    assert _picker(client.get(f"/voicemails/{vm['billing']}").text) == ["Nobody", "alice", "bob", "boss"]

    # An admin outside support sees support's voicemail but may not take it: no "Assign to me" either.
    token = _sign_in(client, "root")
    page = client.get(f"/voicemails/{vm['support']}").text
    assert _picker(page) == ["Nobody", "dana", "sam"] and "Assign to me" not in page
    r = client.post(f"/voicemails/{vm['support']}/assign", data={"assignee": "root", "csrf_token": token})
    assert r.status_code == 422 and _state(world, vm["support"])[1] == "dana"
    assert "user &#39;root&#39; is not a member of team &#39;support&#39;" in r.text  # an admin is told why
    r = client.post(f"/voicemails/{vm['support']}/assign", data={"assignee": "ghost", "csrf_token": token})
    assert r.status_code == 422 and "no user &#39;ghost&#39;" in r.text
    page = client.get(f"/voicemails/{vm['none']}").text
    assert _picker(page) == ["Nobody", "dana", "boss", "nora", "root"] and "Assign to me" in page
