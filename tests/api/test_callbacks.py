"""Callback tracking through the API, on the real app in process: an agent key bound to team billing records
an attempt and its outcome on billing's voicemail (reached marks it handled, the history says so, the time to
first callback is kept) and gets the same 404 as for a missing voicemail on support's; an upstream system
reports an outbound call by number with its key; Twilio's status callback for an outbound call, signed with
the official twilio library's RequestValidator, is recorded once however often Twilio sends it."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from twilio.request_validator import RequestValidator

from tests.support.app import bearer, local_app, new_key
from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.seed import seed_voicemail

MISSING = "0" * 32
PASSWORD = "correct horse battery"
STATUS = "/v1/integrations/twilio/call-status"


@dataclass
class World:
    client: TestClient
    sm: sessionmaker[Session]
    vm: dict[str, str]
    keys: dict[str, str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from voice.core.config import TwilioAccount, TwilioSettings
    from voice.storage import teams

    twilio = TwilioSettings(
        accounts=[TwilioAccount(account_sid=TWILIO_SID, auth_token=SecretStr(TWILIO_TOKEN))]
    )
    with contextlib.ExitStack() as stack:
        client, sm, _ = stack.enter_context(local_app(tmp_path, twilio=twilio))
        vm = {}
        with sm() as session:
            for name, mailbox, number in [
                ("billing", "accounts", "+12125550134"),
                ("billing2", "accounts", "+12125550134"),
                ("support", "helpdesk", "+12125550134"),
            ]:
                vm[name] = seed_voicemail(session, mailbox=mailbox, from_number=number)
            session.commit()
        keys = {name: new_key(sm, role, name)[1] for name, role in
                [("billing-agent", "agent"), ("admin", "admin"), ("ingest", "ingest")]}  # fmt: skip
        with sm() as session:
            teams.create_team(session, "billing", ["accounts"], callback_hours=4)
            teams.create_team(session, "support", ["helpdesk"])
            teams.add_member(session, "billing", api_key="billing-agent")
            session.commit()
        yield World(client, sm, vm, keys)


def test_an_agent_records_a_callback_and_its_outcome_and_another_teams_voicemail_is_404(world: World) -> None:
    c, h = world.client, bearer(world.keys["billing-agent"])
    vm = world.vm["billing"]
    r = c.post(f"/v1/voicemails/{vm}/callbacks", json={}, headers=h)
    assert r.status_code == 201, r.text
    attempt = r.json()
    assert (attempt["who"], attempt["source"], attempt["outcome"]) == ("billing-agent", "api", None)
    assert attempt["number"] == "+12125550134"
    r = c.patch(f"/v1/voicemails/{vm}/callbacks/{attempt['id']}", json={"outcome": "reached"}, headers=h)
    assert r.status_code == 200 and r.json()["outcome"] == "reached"
    r = c.patch(f"/v1/voicemails/{vm}/callbacks/{attempt['id']}", json={"outcome": "no_answer"}, headers=h)
    assert r.status_code == 409
    listed = c.get(f"/v1/voicemails/{vm}/callbacks", headers=h).json()
    assert listed["agent_state"] == "handled" and [a["id"] for a in listed["items"]] == [attempt["id"]]
    assert listed["first_callback_at"] is not None and listed["time_to_first_callback_s"] >= 0
    detail = c.get(f"/v1/voicemails/{vm}", headers=h).json()
    assert detail["first_callback_at"] == listed["first_callback_at"] == attempt["started_at"]
    history = [e["detail"] for e in detail["history"]]
    assert f"callback #{attempt['id']} by billing-agent: reached" in history
    assert "billing-agent: marked handled" in history
    # bad outcome: 422; unknown attempt: 404
    assert c.post(f"/v1/voicemails/{vm}/callbacks", json={"outcome": "maybe"}, headers=h).status_code == 422
    assert (
        c.patch(f"/v1/voicemails/{vm}/callbacks/99999", json={"outcome": "reached"}, headers=h).status_code
        == 404
    )
    # another team's voicemail: the same 404 as a missing one, and nothing recorded
    other = world.vm["support"]
    missing = c.post(f"/v1/voicemails/{MISSING}/callbacks", json={}, headers=h)
    for call in (
        lambda v: c.post(f"/v1/voicemails/{v}/callbacks", json={"outcome": "reached"}, headers=h),
        lambda v: c.get(f"/v1/voicemails/{v}/callbacks", headers=h),
        lambda v: c.patch(
            f"/v1/voicemails/{v}/callbacks/{attempt['id']}", json={"outcome": "reached"}, headers=h
        ),
    ):
        refused = call(other)
        assert refused.status_code == 404 and refused.json() == missing.json() == {
            "detail": "voicemail not found"
        }
    admin = bearer(world.keys["admin"])
    assert c.get(f"/v1/voicemails/{other}/callbacks", headers=admin).json()["items"] == []
    # an ingest key reads but does not record callbacks
    assert (
        c.post(f"/v1/voicemails/{vm}/callbacks", json={}, headers=bearer(world.keys["ingest"])).status_code
        == 403
    )


def test_an_upstream_report_matches_the_open_voicemails_the_key_sees_once(world: World) -> None:
    c, h = world.client, bearer(world.keys["billing-agent"])
    body = {
        "call_id": "crm-77",
        "number": "(212) 555-0134",
        "status": "completed",
        "duration_s": 95,
        "agent": "alice",
    }
    r = c.post("/v1/callbacks/outbound", json=body, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert not out["replayed"] and out["final"]
    # billing's two voicemails from that number; support's is not this key's to see
    assert sorted(a["voicemail_id"] for a in out["recorded"]) == sorted(
        [world.vm["billing"], world.vm["billing2"]]
    )
    assert {(a["who"], a["source"], a["outcome"]) for a in out["recorded"]} == {
        ("alice", "upstream", "reached")
    }
    again = c.post("/v1/callbacks/outbound", json=body, headers=h).json()
    assert again["replayed"] and len(again["recorded"]) == 2
    admin = bearer(world.keys["admin"])
    assert c.get(f"/v1/voicemails/{world.vm['support']}/callbacks", headers=admin).json()["items"] == []
    bad = c.post("/v1/callbacks/outbound", json={**body, "call_id": "x", "number": "anonymous"}, headers=h)
    assert bad.status_code == 422


def test_a_call_id_another_team_reported_neither_shows_nor_blocks(world: World) -> None:
    """Upstream call ids are the upstream system's and collide across teams: a replay is looked for only
    among the voicemails the reporter sees (a billing key once got support's attempt back, note included)."""
    from voice.storage import teams

    support = new_key(world.sm, "agent", "support-agent")[1]
    with world.sm() as session:
        teams.add_member(session, "support", api_key="support-agent")
        session.commit()
    c = world.client
    body = {"call_id": "1", "number": "+12125550134", "status": "completed", "duration_s": 60, "agent": "sam"}
    theirs = c.post("/v1/callbacks/outbound", json=body, headers=bearer(support)).json()
    assert [a["voicemail_id"] for a in theirs["recorded"]] == [world.vm["support"]]
    ours = c.post("/v1/callbacks/outbound", json=body, headers=bearer(world.keys["billing-agent"])).json()
    assert not ours["replayed"]
    assert sorted(a["voicemail_id"] for a in ours["recorded"]) == sorted(
        [world.vm["billing"], world.vm["billing2"]]
    )
    again = c.post("/v1/callbacks/outbound", json=body, headers=bearer(world.keys["billing-agent"])).json()
    assert again["replayed"] and world.vm["support"] not in {a["voicemail_id"] for a in again["recorded"]}


def _signed(client: TestClient, params: dict[str, str], token: str = TWILIO_TOKEN) -> dict[str, str]:
    signature = RequestValidator(token).compute_signature("http://testserver" + STATUS, params)
    return {"X-Twilio-Signature": signature}


def test_twilio_status_callback_for_an_outbound_call_is_recorded_once(world: World) -> None:
    from voice.storage.models import CallbackAttempt, Voicemail

    c = world.client
    params = {
        "AccountSid": TWILIO_SID,
        "CallSid": "CA" + "1" * 32,
        "CallStatus": "no-answer",
        "CallDuration": "0",
        "Direction": "outbound-api",
        "From": "+12125550100",
        "To": "+12125550134",
    }
    # not signed by the account's token: refused, nothing recorded
    forged = c.post(STATUS, data=params, headers=_signed(c, params, "not-the-token"))
    assert forged.status_code == 403
    ringing = {**params, "CallStatus": "ringing"}
    assert c.post(STATUS, data=ringing, headers=_signed(c, ringing)).json()["final"] is False
    first = c.post(STATUS, data=params, headers=_signed(c, params))
    assert first.status_code == 200, first.text
    recorded = first.json()["recorded"]
    assert len(recorded) == 3 and {a["outcome"] for a in recorded} == {"no_answer"}  # no key: every open one
    for _ in range(2):  # Twilio retries
        again = c.post(STATUS, data=params, headers=_signed(c, params))
        assert again.json()["replayed"] and len(again.json()["recorded"]) == 3
    inbound = {**params, "CallSid": "CA" + "2" * 32, "Direction": "inbound"}
    assert c.post(STATUS, data=inbound, headers=_signed(c, inbound)).json()["recorded"] == []
    with world.sm() as session:
        assert session.scalar(select(func.count()).select_from(CallbackAttempt)) == 3
        vm = session.get(Voicemail, world.vm["billing"])
        assert vm is not None and vm.first_callback_at is not None and vm.agent_state != "handled"
    # a long completed call reached the caller: handled
    done = {**params, "CallSid": "CA" + "3" * 32, "CallStatus": "completed", "CallDuration": "95"}
    assert {a["outcome"] for a in c.post(STATUS, data=done, headers=_signed(c, done)).json()["recorded"]} == {
        "reached"
    }
    with world.sm() as session:
        assert {session.get(Voicemail, v).agent_state for v in world.vm.values()} == {"handled"}  # type: ignore[union-attr]


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def test_the_voicemail_page_records_a_callback_and_its_outcome(world: World) -> None:
    """Signed in as billing's agent: Call back is a tel: link inside the form that records the attempt (app.js
    posts it), the outcome form follows, "reached" marks the voicemail handled; no inline script (CSP);
    a post without the CSRF token is refused; support's voicemail is 404."""
    from voice.storage import teams, users

    with world.sm() as session:
        users.create_user(session, "alice", PASSWORD, "agent")
        teams.add_member(session, "billing", username="alice")
        session.commit()
    c, vm = world.client, world.vm["billing"]
    token = _csrf(c.get("/login").text)
    form = {"username": "alice", "password": PASSWORD, "next": "/", "csrf_token": token}
    assert c.post("/login", data=form, follow_redirects=False).status_code == 303
    page = c.get(f"/voicemails/{vm}")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<a href="tel:+12125550134" id="call-back"' in page.text
    assert "<script>" not in page.text and 'id="outcome-form"' not in page.text
    csrf = _csrf(page.text)
    assert c.post(f"/voicemails/{vm}/callbacks", data={}, follow_redirects=False).status_code == 403
    other = c.post(
        f"/voicemails/{world.vm['support']}/callbacks", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert other.status_code == 404
    started = c.post(f"/voicemails/{vm}/callbacks", data={"csrf_token": csrf}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == f"/voicemails/{vm}"
    page = c.get(f"/voicemails/{vm}").text
    action = re.search(
        r'action="(/voicemails/[0-9a-f]+/callbacks/\d+)" class="inline" id="outcome-form"', page
    )
    assert action, "no outcome form after the attempt"
    done = c.post(action.group(1), data={"csrf_token": csrf, "outcome": "reached", "note": "sorted"},
                  follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    page = c.get(f"/voicemails/{vm}").text
    assert 'id="outcome-form"' not in page and ">Reopen<" in page  # handled
    assert "alice <small>(agent)</small>: reached" in page
    assert "callback #1 by alice: reached (sorted)" in page and "alice: marked handled" in page


def test_a_team_lead_is_set_through_the_api(world: World) -> None:
    from voice.storage import users

    with world.sm() as session:
        users.create_user(session, "lena", PASSWORD, "agent")
        session.commit()
    c, admin = world.client, bearer(world.keys["admin"])
    assert c.post("/v1/teams/billing/members", json={"user": "lena"}, headers=admin).status_code == 200
    r = c.patch(
        "/v1/teams/billing/members", json={"user": "lena", "lead": True, "available": False}, headers=admin
    )
    assert r.status_code == 200 and (r.json()["leads"], r.json()["unavailable"]) == (["lena"], ["lena"])
    r = c.patch("/v1/teams/billing/members", json={"user": "lena", "lead": False}, headers=admin)
    assert r.json()["leads"] == [] and r.json()["unavailable"] == ["lena"]
    assert c.patch("/v1/teams/billing/members", json={"user": "lena"}, headers=admin).status_code == 422
    assert (
        c.patch("/v1/teams/support/members", json={"user": "lena", "lead": True}, headers=admin).status_code
        == 404
    )


def test_voice_teams_lead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from voice.cli import app as cli
    from voice.core import config
    from voice.storage import db, teams, users

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICE_DATABASE_URL", raising=False)
    config.get_settings.cache_clear()
    try:
        url = config.get_settings().db_url
        db.upgrade(url)
        engine = db.make_engine(url)
        with db.make_sessionmaker(engine)() as session:
            users.create_user(session, "lena", PASSWORD, "agent")
            teams.create_team(session, "billing", ["accounts"])
            teams.add_member(session, "billing", username="lena")
            session.commit()
        engine.dispose()
        runner = CliRunner()
        out = runner.invoke(cli, ["teams", "lead", "billing", "lena"], env={"COLUMNS": "200"})
        assert out.exit_code == 0 and "members lena (lead)" in out.output, out.output
        out = runner.invoke(cli, ["teams", "available", "billing", "lena", "--off"], env={"COLUMNS": "200"})
        assert "members lena (lead) (unavailable)" in out.output, out.output
        out = runner.invoke(cli, ["teams", "lead", "billing", "lena", "--off"], env={"COLUMNS": "200"})
        assert out.exit_code == 0 and "members lena (unavailable)" in out.output, out.output
        out = runner.invoke(cli, ["teams", "lead", "billing", "nobody"], env={"COLUMNS": "200"})
        assert out.exit_code == 2 and "no user 'nobody'" in out.output, out.output
    finally:
        config.get_settings.cache_clear()
