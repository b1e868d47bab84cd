"""GET /v1/analytics, its CSV figures, /metrics' dashboard counts and the inbox's dashboard page, on the real
app in process over the seeded set of tests/support/analytics_seed.py (the figures worked out by hand are in
tests/unit/test_analytics.py): an admin key counts both teams, billing's agent key only billing, an ingest
key gets 403; each CSV holds the JSON's numbers; the page is for admins and leads only, links each CSV and
runs no inline script."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.support.analytics_seed import PASSWORD, seed_dashboard_set
from tests.support.app import bearer, local_app, new_key

RANGE = {"since": "2026-11-02", "until": "2026-11-15"}


@dataclass
class World:
    client: TestClient
    sm: sessionmaker[Session]
    keys: dict[str, str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    from voice.storage import teams, users

    with local_app(tmp_path) as (client, sm, _):
        with sm() as session:
            seed_dashboard_set(session)
        keys = {name: new_key(sm, role, name)[1] for name, role in
                [("billing-agent", "agent"), ("admin", "admin"), ("ingest", "ingest")]}  # fmt: skip
        with sm() as session:
            teams.add_member(session, "billing", api_key="billing-agent")
            users.create_user(session, "lena", PASSWORD, "agent")
            teams.add_member(session, "billing", username="lena")
            teams.set_lead(session, "billing", "lena", True)
            session.commit()
        yield World(client, sm, keys)


def _get(w: World, key: str, path: str = "/v1/analytics", **params: str) -> dict:
    r = w.client.get(path, params={**RANGE, **params}, headers=bearer(w.keys[key]))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_admin_and_agent_figures_and_ingest_refused(world: World) -> None:
    everything = _get(world, "admin")
    assert everything["total"] == 200 and everything["called_back"] == 20
    assert (everything["callback_median_s"], everything["callback_p90_s"]) == pytest.approx((9450, 16290))
    assert {t["key"]: t["count"] for t in everything["by_team"]} == {"billing": 140, "support": 60}
    billing = _get(world, "billing-agent")
    assert billing["total"] == 140 and billing["within_deadline"] == pytest.approx(0.2)
    assert {t["key"] for t in billing["by_team"]} == {"billing"}
    assert "sam" not in {a["agent"] for a in billing["callbacks_by_agent"]}
    assert _get(world, "billing-agent", team="support")["total"] == 0  # never support's numbers
    r = world.client.get("/v1/analytics", headers=bearer(world.keys["ingest"]))
    assert r.status_code == 403
    assert (
        world.client.get("/v1/analytics/per_day.csv", headers=bearer(world.keys["ingest"])).status_code == 403
    )
    r = world.client.get("/v1/analytics", params={"team": "nobody"}, headers=bearer(world.keys["admin"]))
    assert r.status_code == 422 and "nobody" in r.json()["detail"]


def test_csv_matches_json(world: World) -> None:
    h = bearer(world.keys["admin"])
    data = _get(world, "admin")
    per_day = _csv(world.client.get("/v1/analytics/per_day.csv", params=RANGE, headers=h).text)
    assert per_day[0] == ["day", "voicemails"]
    assert [[d["key"], str(d["count"])] for d in data["per_day"]] == per_day[1:]
    same = world.client.get(
        "/v1/analytics", params={**RANGE, "format": "csv", "figure": "per_day"}, headers=h
    )
    assert _csv(same.text) == per_day and same.headers["content-type"].startswith("text/csv")
    week = _csv(world.client.get("/v1/analytics/per_hour_of_week.csv", params=RANGE, headers=h).text)
    assert [[int(v) for v in row[1:]] for row in week[1:]] == data["per_hour_of_week"]
    agents = _csv(world.client.get("/v1/analytics/callbacks_by_agent.csv", params=RANGE, headers=h).text)
    alice = next(row for row in agents if row[0] == "alice")
    assert (
        alice[:2] == ["alice", "14"]
        and dict(zip(agents[0][2:], alice[2:], strict=True))["wrong_number"] == "4"
    )
    timing = _csv(world.client.get("/v1/analytics/callback_time.csv", params=RANGE, headers=h).text)
    assert [float(v) for v in timing[1][:5]] == [
        20,
        data["callback_median_s"],
        data["callback_p90_s"],
        190,
        26,
    ]
    assert world.client.get("/v1/analytics/nothing.csv", headers=h).status_code == 404
    r = world.client.get("/v1/analytics", params={"format": "csv"}, headers=h)
    assert r.status_code == 422 and "per_day" in r.json()["detail"]


def test_metrics_export_the_counts_by_team(world: World) -> None:
    text = world.client.get("/metrics", headers=bearer(world.keys["admin"])).text
    assert 'voice_voicemails_by_intent{intent="support",team="support"} 60.0' in text
    assert 'voice_voicemails_by_intent{intent="spam_robocall",team="billing"} 20.0' in text
    assert 'voice_callback_attempts{outcome="reached",team="billing"} 5.0' in text
    assert 'voice_called_back{team="billing"} 20.0' in text


def _sign_in(c: TestClient, name: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert token is not None
    form = {"username": name, "password": PASSWORD, "next": "/", "csrf_token": token.group(1)}
    assert c.post("/login", data=form, follow_redirects=False).status_code == 303


def test_dashboard_page_for_leads_and_admins_only(world: World) -> None:
    c = world.client
    _sign_in(c, "alice")  # a billing agent, not its lead
    assert 'href="/dashboard"' not in c.get("/").text
    assert c.get("/dashboard").status_code == 403
    assert c.get("/dashboard/per_day.csv").status_code == 403
    _sign_in(c, "lena")  # billing's lead
    assert 'href="/dashboard"' in c.get("/").text
    page = c.get("/dashboard", params=RANGE)
    assert page.status_code == 200
    html = page.text
    assert re.search(r'id="kpi-total">140<', html)  # billing's only: the lead does not count support's
    assert re.search(r'id="kpi-deadline">20%<', html)
    assert 'src="/static/vendor/chart.umd.min.js"' in html
    # No inline script: every <script> either loads a file from this site or is a JSON data block.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for figure in ("per_day", "by_intent", "callbacks_by_agent", "repeat_callers"):
        assert f'href="/dashboard/{figure}.csv?since=2026-11-02' in html
    rows = _csv(c.get("/dashboard/by_team.csv", params=RANGE).text)
    assert rows == [["team", "voicemails"], ["billing", "140"]]
    assert c.get("/static/vendor/chart.umd.min.js").status_code == 200
    bad = c.get("/dashboard", params={"since": "yesterday"})  # a notice above the page, not a 422
    assert bad.status_code == 200 and "is not a day" in bad.text
