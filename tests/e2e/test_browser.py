"""The web inbox in real headless Chromium (Debian's, driven by Playwright) against a real server with
real processed voicemails. Screenshots go to the test's folder (and to docs/ with VOICE_SCREENSHOTS=docs)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.audio import concat_clips
from tests.support.http_servers import AudioServer
from tests.support.paths import ROOT
from tests.support.serve import make_server

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
LONG_CLIPS = ["en_ls_198-209-0000", "en_ls_3436-172162-0000", "en_ls_5703-47212-0000"]


def _browser_or_skip() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        playwright_missing = True
    else:
        playwright_missing = False
    if playwright_missing or not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs Debian's chromium and the playwright package (.ci/run and setup install them)"
            )
        pytest.skip("no Chromium or playwright here")


@pytest.fixture(scope="module")
def inbox_server(
    tmp_path_factory: pytest.TempPathFactory, audio_server: AudioServer
) -> Iterator[tuple[str, Path, Callable[[str, str, str], str], str]]:
    _browser_or_skip()
    tmp = tmp_path_factory.mktemp("browser")
    long = concat_clips(LONG_CLIPS, audio_server.root / "browser-long.wav", "-ar", "8000")
    # VOICE_BROWSER_MODEL=base for the README's screenshots (tiny.en is English only).
    server = make_server(tmp, VOICE_TRANSCRIPTION__MODEL=os.environ.get("VOICE_BROWSER_MODEL", "tiny.en"))
    server.start()
    server.cli("users", "create", "dana", "--role", "agent", "--password-stdin", input="a long passphrase\n")
    samples = ROOT / "samples"
    ids = [
        server.post_url(f"{audio_server.url}/{long.name}", mailbox="support", **{"from": "+12125550111"}),
    ]
    for name, mailbox, caller in (
        ("billing_invoice.wav", "billing", "+12125550134"),
        ("urgent_leak.amr", "service", "+19175550183"),
        ("es_appointment.ogg", "citas", "+34612345678"),
        ("robocall.wav", "billing", "+12025550173"),
        ("hangup.wav", "support", "+12125550199"),
    ):
        shutil.copy(samples / name, audio_server.root / f"browser-{name}")
        ids.append(server.post_url(f"{audio_server.url}/browser-{name}", mailbox=mailbox, **{"from": caller}))
    texts = [server.wait(vm_id, timeout=300).get("text") or "" for vm_id in ids]
    # A word in the long voicemail's transcript only, whatever the model heard.
    others = " ".join(texts[1:]).lower()
    words = sorted(set(re.findall(r"[A-Za-z]{6,}", texts[0])), key=lambda w: (-len(w), w))
    unique = next(w for w in words if w.lower() not in others)

    def post(name: str, mailbox: str, caller: str) -> str:
        return server.post_url(f"{audio_server.url}/{name}", mailbox=mailbox, **{"from": caller})

    try:
        yield server.url, tmp, post, unique
    finally:
        server.stop()


def test_agent_flow_in_chromium(inbox_server: tuple[str, Path, Callable[[str, str, str], str], str]) -> None:
    from playwright.sync_api import sync_playwright

    url, out, post, word = inbox_server
    shots = Path(os.environ["VOICE_SCREENSHOTS"]) if os.environ.get("VOICE_SCREENSHOTS") else out
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 820})
            # Anything the Content-Security-Policy blocks is reported here (and in the console).
            page.add_init_script(
                "window.__csp = []; document.addEventListener('securitypolicyviolation',"
                " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
            )
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: console.append(str(e)))
            first = page.goto(url + "/voicemails/whatever")
            assert (
                first is not None and "/login" in page.url
            )  # no session: the sign-in page, and nothing else
            csp = first.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
            assert "frame-ancestors 'none'" in csp and first.headers["x-frame-options"] == "DENY"
            assert first.headers["x-content-type-options"] == "nosniff"
            assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"  # app.css
            page.fill("input[name=username]", "dana")
            page.fill("input[name=password]", "a long passphrase")
            page.click("button[type=submit]")
            page.wait_for_url(url + "/voicemails/whatever")  # back where the agent wanted to go (a 404 here)
            page.goto(url + "/")
            rows = page.locator("#inbox tbody tr[data-href]")
            assert rows.count() == 6
            assert page.locator("text=No message: the caller hung up or said nothing.").count() == 1
            page.screenshot(path=str(shots / "inbox.png"), full_page=True)

            # A new voicemail appears at the top without a reload.
            first_before = rows.first.get_attribute("data-id")
            new_id = post("browser-billing_invoice.wav", "live", "+12125550177")
            page.wait_for_selector(f"#inbox tr[data-id='{new_id}']", timeout=60_000)
            assert rows.count() == 7 and rows.first.get_attribute("data-id") == new_id != first_before

            page.keyboard.press("j")
            page.keyboard.press("j")
            assert page.locator("#inbox tr.selected").count() == 1
            page.goto(url + "/?mailbox=support&state=new")
            assert page.locator("#inbox tbody tr[data-href]").count() == 1
            assert page.locator("#inbox tr.state-no_speech").count() == 0

            # Search a word that is in one transcript only; the match is highlighted.
            page.goto(url + "/")
            page.keyboard.press("/")
            page.keyboard.type(word)
            page.keyboard.press("Enter")
            page.wait_for_url(f"**q={word}**")
            assert page.locator("#inbox tbody tr[data-href]").count() == 1
            assert page.locator("#inbox mark").first.inner_text().lower() == word.lower()
            page.keyboard.press("j")
            page.keyboard.press("Enter")
            page.wait_for_url("**/voicemails/*")
            segments = page.locator(".segments li")
            assert segments.count() >= 3
            third = float(segments.nth(2).get_attribute("data-start") or "0")
            assert third > 1.0
            page.wait_for_function("document.getElementById('player').readyState >= 1")
            segments.nth(2).click()
            page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {third}) < 1.0")
            page.wait_for_selector(".segments li.playing")
            page.evaluate("document.getElementById('player').pause()")
            page.screenshot(path=str(shots / "voicemail.png"), full_page=True)

            # Right-to-left text runs right to left, next to Chinese.
            page.fill("textarea[name=text]", "سأتصل بالعميل غدا صباحا")
            page.click("button:has-text('Add note')")
            arabic = page.locator(".note-text", has_text="سأتصل")
            assert arabic.evaluate("el => getComputedStyle(el).direction") == "rtl"
            page.fill("textarea[name=text]", "已回电，客户很满意")
            page.click("button:has-text('Add note')")
            chinese = page.locator(".note-text", has_text="已回电")
            assert chinese.evaluate("el => getComputedStyle(el).direction") == "ltr"

            # A form post without the CSRF token is refused, even with the session cookie.
            forged = page.request.post(page.url + "/state", form={"state": "handled"})
            assert forged.status == 403

            page.keyboard.press("h")  # mark handled: app.js works under the CSP
            page.wait_for_selector("text=Reopen")
            assert "marked handled" in page.inner_text(".history")
            assert page.evaluate("window.__csp") == []
            blocked = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
            assert blocked == [], blocked
            # The inbox cannot be framed by another page.
            framed = browser.new_page()
            framed.set_content(f'<iframe src="{url}/login"></iframe>')
            framed.wait_for_timeout(500)
            frame = framed.frames[-1]
            assert frame.url != f"{url}/login" or frame.evaluate("document.body.innerText") == ""
            framed.close()

            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            phone.context.add_cookies(page.context.cookies())
            phone.goto(url + "/")
            phone.screenshot(path=str(shots / "inbox-phone.png"))
            assert phone.locator("#inbox tbody tr[data-href]").count() == 7
            phone.close()

            page.click("button:has-text('Sign out')")
            page.wait_for_url("**/login")
            page.goto(url + "/")
            assert "/login" in page.url
        finally:
            browser.close()
    assert (shots / "inbox.png").stat().st_size > 10_000 and (shots / "voicemail.png").stat().st_size > 10_000
