"""The dashboard in real headless Chromium (Debian's, driven by Playwright) against a real `voice serve` on
the seeded set of tests/support/analytics_seed.py: billing's lead signs in, follows the header's link and
sees billing's figures as computed by hand in tests/unit/test_analytics.py (140 voicemails, median 9450 s,
shown as 2.6 h; p90 16290 s, 4.5 h; 20% within the deadline) drawn by the vendored Chart.js with nothing
blocked by the CSP; on a phone the charts stack in one column. Screenshots go to the test's folder (docs/
with VOICE_SCREENSHOTS=docs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, _browser_or_skip
from tests.support.analytics_seed import PASSWORD, seed_dashboard_set
from tests.support.serve import make_server

pytestmark = pytest.mark.e2e

RANGE = "since=2026-11-02&until=2026-11-15"


def _seed(data: Path) -> None:
    from voice.storage import db, teams, users

    url = f"sqlite:///{data / 'voice.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as session:
        seed_dashboard_set(session)
        users.create_user(session, "lena", PASSWORD, "agent")
        teams.add_member(session, "billing", username="lena")
        teams.set_lead(session, "billing", "lena", True)
        session.commit()
    engine.dispose()


def test_lead_sees_the_hand_computed_figures_in_chromium(tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    server = make_server(tmp_path)
    _seed(server.data_dir)
    server.start()
    shots = Path(os.environ["VOICE_SCREENSHOTS"]) if os.environ.get("VOICE_SCREENSHOTS") else tmp_path
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 1360, "height": 900})
                page.add_init_script(
                    "window.__csp = []; document.addEventListener('securitypolicyviolation',"
                    " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
                )
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                missing: list[str] = []
                page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url + "/login")
                page.fill("input[name=username]", "lena")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(server.url + "/")
                page.click("header >> text=Dashboard")
                page.wait_for_url(server.url + "/dashboard")
                page.goto(f"{server.url}/dashboard?{RANGE}")
                assert page.inner_text("#kpi-total") == "140"
                assert page.inner_text("#kpi-median") == "2.6 h" and page.inner_text("#kpi-p90") == "4.5 h"
                assert page.inner_text("#kpi-deadline") == "20%"
                drawn = page.evaluate(
                    "() => { const c = Chart.getChart(document.getElementById('chart-per-day'));"
                    " return c ? c.data.datasets[0].data.reduce((a, b) => a + b, 0) : null; }"
                )
                assert drawn == 140  # the chart holds billing's voicemails, none of support's
                agents = page.evaluate("Chart.getChart(document.getElementById('chart-agents')).data.labels")
                assert sorted(agents) == ["alice", "bob"]
                # Chromium's own favicon request is a console 404 without a page response; every file of the
                # page loads (missing is empty).
                errors = [e for e in errors if not e.startswith("Failed to load resource")]
                assert page.evaluate("window.__csp") == [] and errors == [], errors
                assert missing == [], missing
                page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
                phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
                phone.context.add_cookies(page.context.cookies())
                phone.goto(f"{server.url}/dashboard?{RANGE}")
                boxes = [phone.locator(f"#{i}").bounding_box() for i in ("chart-per-day", "chart-week")]
                assert all(b is not None and b["width"] <= 390 for b in boxes)
                assert boxes[0] is not None and boxes[1] is not None and boxes[1]["y"] > boxes[0]["y"]
                phone.screenshot(path=str(shots / "dashboard-phone.png"))
            finally:
                browser.close()
    finally:
        server.stop()
