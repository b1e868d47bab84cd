"""The inbox's Team column and its team and tag filters, and the same filters on GET /v1/voicemails (#21):
a voicemail's team is the one it was routed to, else its mailbox's (the access rule's reading); an agent can
filter among their own teams only (another team's name gives an empty list, never that team's voicemails), an
admin among all; a tag matches one of the voicemail's tags exactly. On the real app in process, on SQLite
and PostgreSQL."""

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
from tests.support.seed import seed_voicemail
from tests.support.services import temp_postgres

PASSWORD = "correct horse battery"


@dataclass
class World:
    client: TestClient
    sm: sessionmaker[Session]
    vm: dict[str, str]  # name -> voicemail id
    keys: dict[str, str]  # billing-agent, admin -> bearer secret


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    from voice.storage import teams, users
    from voice.storage.models import Team, Voicemail
    from voice.usecases import routing

    with contextlib.ExitStack() as stack:
        url = (
            stack.enter_context(temp_postgres("voice_inbox_teams")) if request.param == "postgresql" else None
        )
        client, sm, _settings = stack.enter_context(
            local_app(tmp_path, **({"database_url": url} if url else {}))
        )
        keys = {
            name: new_key(sm, role, name)[1]
            for name, role in [("billing-agent", "agent"), ("admin", "admin")]
        }
        with sm() as session:
            teams.create_team(session, "billing", ["invoices"])
            teams.create_team(session, "support", ["helpdesk"])
            users.create_user(session, "alice", PASSWORD, "agent")
            users.create_user(session, "root", PASSWORD, "admin")
            teams.add_member(session, "billing", username="alice")
            teams.add_member(session, "billing", api_key="billing-agent")
            routing.add_rule(
                session, {"name": "vip", "when": {"caller_list": "vip"}, "then": {"tags": ["vip"]}}
            )
            billing = session.scalar(select(Team.id).where(Team.name == "billing"))
            # name: (mailbox, routed to billing, tags)
            rows = {
                "billing": ("invoices", False, []),
                "support": ("helpdesk", False, []),
                "routed": ("helpdesk", True, ["vip"]),  # support's mailbox, routed to billing
                "support-vip": ("helpdesk", False, ["vip", "vip-gold"]),
                "gold": ("helpdesk", False, ["vip-gold"]),
                "pool": ("general", False, []),  # a mailbox of no team
            }
            vm = {}
            for name, (mailbox, routed, tags) in rows.items():
                vm[name] = seed_voicemail(session, mailbox=mailbox)
                row = session.get(Voicemail, vm[name])
                assert row is not None
                row.tags, row.team_id = tags, billing if routed else None
            session.commit()
        yield World(client, sm, vm, keys)


def _listed(world: World, key: str, **params: str) -> set[str]:
    r = world.client.get("/v1/voicemails", params={"limit": "500", **params}, headers=bearer(world.keys[key]))
    assert r.status_code == 200, r.text
    return {world_name(world, i["id"]) for i in r.json()["items"]}


def world_name(world: World, vm_id: str) -> str:
    return next(name for name, known in world.vm.items() if known == vm_id)


def test_the_api_filters_by_team_and_tag_within_what_the_key_sees(world: World) -> None:
    assert _listed(world, "admin", team="billing") == {"billing", "routed"}
    assert _listed(world, "admin", team="support") == {"support", "support-vip", "gold"}
    assert _listed(world, "admin", tag="vip") == {"routed", "support-vip"}  # not vip-gold
    assert _listed(world, "admin", tag="VIP") == {"routed", "support-vip"}  # tags are lower case
    assert _listed(world, "admin", tag="vip-gold") == {"support-vip", "gold"}
    assert _listed(world, "admin", tag="vi") == set() == _listed(world, "admin", tag="vi%")
    assert _listed(world, "admin", tag="vip_gold") == set()  # "_" is no wildcard
    assert _listed(world, "admin", team="support", tag="vip") == {"support-vip"}
    assert _listed(world, "admin", team="nobody") == set()

    # An agent of billing: billing's, and nothing of support's even when asking for support by name.
    assert _listed(world, "billing-agent", team="billing") == {"billing", "routed"}
    assert _listed(world, "billing-agent", team="support") == set()
    assert _listed(world, "billing-agent", tag="vip") == {"routed"}
    assert _listed(world, "billing-agent", team="support", tag="vip") == set()


def test_the_team_filter_ignores_case_as_the_tag_filter_does(world: World) -> None:
    """Team names are stored lower case: "Billing" is billing, for the API and the inbox, and within what the
    caller sees; a team that does not exist still gives an empty list."""
    for name in ("Billing", " BILLING "):
        assert _listed(world, "admin", team=name) == {"billing", "routed"}
        assert _listed(world, "billing-agent", team=name) == {"billing", "routed"}
    assert _listed(world, "billing-agent", team="Support") == set()
    assert _listed(world, "admin", team="Nobody") == set()

    _sign_in(world.client, "alice")
    assert _teams_shown(world, team="BILLING") == {"billing": "billing", "routed": "billing"}
    assert _teams_shown(world, team="Support") == {}
    page = world.client.get("/", params={"team": "Billing"}).text
    assert re.search(r"<option selected>billing</option>", page), "the picker shows the team chosen"


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:300]
    return m.group(1)


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = {
        "username": username,
        "password": PASSWORD,
        "next": "/",
        "csrf_token": _csrf(client.get("/login").text),
    }
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def _teams_shown(world: World, **params: str) -> dict[str, str]:
    """The inbox's rows as voicemail name -> what its Team cell says."""
    r = world.client.get("/", params=params)
    assert r.status_code == 200, r.text
    rows = re.findall(r'<tr data-href="[^"]+" data-id="([0-9a-f]{32})".*?</tr>', r.text, re.S)
    cells = re.findall(
        r'data-id="([0-9a-f]{32})".*?<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td><time', r.text, re.S
    )
    assert len(cells) == len(rows), r.text
    return {world_name(world, vm_id): team for vm_id, team in cells}


def _filter_choices(html: str) -> list[str]:
    select_ = re.search(r'<select name="team"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_.group(1)) if select_ else []


def _tags_offered(html: str) -> list[str]:
    datalist = re.search(r'<datalist id="tags">(.*?)</datalist>', html, re.S)
    assert datalist, html[:300]
    return re.findall(r'<option value="([^"]*)">', datalist.group(1))


def test_the_tag_suggestions_name_only_tags_the_user_may_see(world: World) -> None:
    """A rule that tags support's voicemails: its tag is not offered to billing's agent (it names another
    team's business), only the tags on voicemails she sees; an admin is offered every rule's tags."""
    from voice.storage.models import Voicemail
    from voice.usecases import routing

    with world.sm() as session:
        then = {"team": "support", "tags": ["lawsuit-acme"]}
        routing.add_rule(session, {"name": "legal", "when": {"caller_list": "vip"}, "then": then})
        gold = session.get(Voicemail, world.vm["gold"])
        assert gold is not None
        gold.tags = ["vip-gold", "lawsuit-acme"]
        session.commit()
    _sign_in(world.client, "alice")
    assert _tags_offered(world.client.get("/").text) == ["vip"]  # on "routed", hers; no rule of hers adds it
    _sign_in(world.client, "root")
    assert _tags_offered(world.client.get("/").text) == ["lawsuit-acme", "vip"]


def test_the_inbox_shows_each_voicemails_team_and_filters_among_the_users_teams(world: World) -> None:
    client = world.client
    _sign_in(client, "alice")
    page = client.get("/").text
    assert "<th>Team</th>" in page
    assert _filter_choices(page) == ["All teams", "billing"]  # her own teams only
    assert '<option value="vip">' in page and '<option value="vip-gold">' not in page  # the tags rules add
    assert _teams_shown(world) == {"billing": "billing", "routed": "billing"}
    assert _teams_shown(world, team="billing") == {"billing": "billing", "routed": "billing"}
    assert _teams_shown(world, team="support") == {}  # not hers: nothing, not support's list
    assert _teams_shown(world, tag="vip") == {"routed": "billing"}
    # The live rows keep the filters.
    poll = re.search(r'data-poll="([^"]*)"', client.get("/", params={"team": "billing", "tag": "vip"}).text)
    assert poll and "team=billing" in poll.group(1) and "tag=vip" in poll.group(1)

    _sign_in(client, "root")
    page = client.get("/").text
    assert _filter_choices(page) == ["All teams", "billing", "support"]
    assert _teams_shown(world) == {
        "billing": "billing",
        "support": "support",
        "routed": "billing",
        "support-vip": "support",
        "gold": "support",
        "pool": "",
    }
    assert _teams_shown(world, team="support", tag="vip") == {"support-vip": "support"}
    assert _teams_shown(world, team="nobody") == {}
