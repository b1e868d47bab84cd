"""The web inbox against a hostile client, in process (create_app + TestClient over a real database, real
argon2 and real encrypted audio): sign-in throttling, server-side sessions, security headers, redirects,
bad filters and ranges. SQLite here; PostgreSQL for the inputs that only PostgreSQL refuses."""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.app import upgrade_db
from tests.support.seed import seed_voicemail, with_audio
from tests.support.services import temp_postgres
from voice.core.config import Settings
from voice.storage import keys, users, vault
from voice.storage.models import AuditEvent, User, Voicemail, VoicemailNote

PASSWORD = "correct horse battery"
Web = Callable[..., tuple[TestClient, Settings]]


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once for the module (argon2-cffi's defaults, as voice.storage.users hashes): each
    hash costs ~0.15 s of CPU, and every test made three users."""
    return PasswordHasher().hash(PASSWORD)


def _add_users(session: Session, names: Iterable[str]) -> None:
    """Agents whose password is PASSWORD; users.create_user would hash it again for each one."""
    for name in names:
        session.add(User(username=name, password_hash=_password_hash(), role="agent"))
    session.commit()


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


@pytest.fixture
def make_web(tmp_path: Path) -> Iterator[Web]:
    """An app on a fresh database with users alice, bob and carol (one password); ``web`` overrides
    WebSettings, ``db_url`` picks the database."""
    with contextlib.ExitStack() as stack:

        def make(db_url: str | None = None, **web: Any) -> tuple[TestClient, Settings]:
            key = base64.b64encode(os.urandom(32)).decode()
            settings = Settings(
                data_dir=tmp_path,
                worker={"enabled": False},  # type: ignore[arg-type]
                storage={"encryption_key": key},  # type: ignore[arg-type]
                web=web,  # type: ignore[arg-type]
                **({"database_url": db_url} if db_url else {}),
            )
            from api.main import create_app

            upgrade_db(settings.db_url)  # what `voice db upgrade` does before a server starts
            client = stack.enter_context(TestClient(create_app(settings), follow_redirects=False))
            with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
                _add_users(session, ("alice", "bob", "carol"))
            return client, settings

        yield make


def _other(client: TestClient, address: str) -> TestClient:
    """Another browser (its own cookies) on the same app, from ``address``, served by the same event loop
    (one server process; the sign-in check slots belong to it)."""
    other = TestClient(client.app, client=(address, 50000), follow_redirects=False)
    other.portal = client.portal
    return other


def _sign_in(
    client: TestClient, username: str = "alice", password: str = PASSWORD, next_url: str = "/"
) -> Any:
    token = _csrf(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "next": next_url, "csrf_token": token}
    )


def _sign_out(client: TestClient) -> None:
    r = client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)})
    assert r.status_code == 303 and r.headers["location"] == "/login"


def _signed_in(client: TestClient, cookie: str) -> bool:
    """Whether a browser holding only this session cookie sees the inbox."""
    other = _other(client, "10.9.9.9")
    other.cookies.set("voice_session", cookie)
    r = other.get("/")
    assert r.status_code in (200, 303), r.text
    return r.status_code == 200


# --- item 22: sessions are revocable -------------------------------------------------------------


def test_a_copied_session_cookie_dies_with_sign_out_password_change_and_disabling(make_web: Web) -> None:
    client, _ = make_web()
    sm = client.app.state.sessionmaker  # type: ignore[attr-defined]
    assert _sign_in(client).status_code == 303
    copied = client.cookies["voice_session"]
    assert _signed_in(client, copied)
    _sign_out(client)
    assert not _signed_in(client, copied), "a signed-out session cookie still opens the inbox"

    # Two browsers of bob's: a password change signs out both; signing in again works.
    first, second = _other(client, "10.0.0.1"), _other(client, "10.0.0.2")
    assert _sign_in(first, "bob").status_code == 303 and _sign_in(second, "bob").status_code == 303
    one, two = first.cookies["voice_session"], second.cookies["voice_session"]
    assert _signed_in(client, one) and _signed_in(client, two)
    with sm() as session:
        users.set_password(session, "bob", "another long password")
        session.commit()
    assert not _signed_in(client, one) and not _signed_in(client, two)
    assert _sign_in(first, "bob", "another long password").status_code == 303
    assert first.get("/").status_code == 200

    # Disabling carol ends her session; alice's own session is untouched by either.
    carol = _other(client, "10.0.0.3")
    assert _sign_in(carol, "carol").status_code == 303 and _sign_in(client).status_code == 303
    kept = client.cookies["voice_session"]
    with sm() as session:
        users.disable_user(session, "carol")
        session.commit()
    assert not _signed_in(client, carol.cookies["voice_session"])
    assert _signed_in(client, kept)


def test_sessions_expire_on_the_server_too(make_web: Web) -> None:
    client, _ = make_web(session_hours=0.0003)  # about one second
    assert _sign_in(client).status_code == 303
    cookie = client.cookies["voice_session"]
    assert _signed_in(client, cookie)
    time.sleep(1.3)
    assert not _signed_in(client, cookie)


# --- item 10: sign-in throttle ----------------------------------------------------------------------


def _one_hash_cpu() -> float:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash("x" * 12)
    start = time.process_time()
    with contextlib.suppress(Exception):
        hasher.verify(stored, "y" * 12)
    return time.process_time() - start


def test_guesses_past_the_per_user_limit_get_429_and_cost_no_hash(make_web: Web) -> None:
    client, _ = make_web(signin_per_user="3/minute", signin_per_address="1000/minute")
    for _ in range(3):
        r = _sign_in(client, "alice", "wrong password!")
        assert r.status_code == 303 and "error=" in r.headers["location"]
    token = _csrf(client.get("/login").text)
    hash_cpu = _one_hash_cpu()
    start = time.process_time()
    for _ in range(20):
        r = client.post("/login", data={"username": "alice", "password": "guess", "csrf_token": token})
        assert r.status_code == 429, r.text
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert "Too many" in r.text and "csrf_token" in r.text  # the sign-in page again, with the reason
    spent = time.process_time() - start
    # 20 refused guesses together cost less than two password checks: none of them computed a hash.
    assert spent < 2 * hash_cpu, (spent, hash_cpu)
    # The right password is refused too while the user is throttled (else guessing would go on)...
    assert _sign_in(client, "alice").status_code == 429
    # ...and from another address as well: the limit is the user's; other users are not affected.
    assert _sign_in(_other(client, "10.1.1.1"), "alice").status_code == 429
    assert _sign_in(_other(client, "10.1.1.2"), "bob").status_code == 303


def test_a_successful_sign_in_forgets_the_users_failures(make_web: Web) -> None:
    client, _ = make_web(signin_per_user="3/minute", signin_per_address="1000/minute")
    for _ in range(2):
        assert _sign_in(client, "alice", "wrong password!").status_code == 303
    assert _sign_in(client).status_code == 303  # a typo or two, then the right password
    for _ in range(3):
        assert _sign_in(client, "alice", "wrong password!").status_code == 303
    assert _sign_in(client, "alice", "wrong password!").status_code == 429


def test_the_per_address_limit_covers_every_user_name(make_web: Web) -> None:
    client, _ = make_web(signin_per_user="1000/minute", signin_per_address="4/minute")
    attacker = _other(client, "192.0.2.7")
    for name in ("alice", "bob", "carol", "nobody"):
        assert _sign_in(attacker, name, "wrong password!").status_code == 303
    assert _sign_in(attacker, "dave", "wrong password!").status_code == 429
    assert _sign_in(attacker, "alice").status_code == 429
    # IPv6: one /64 is one address (a host has billions of them).
    v6 = [_other(client, f"2001:db8:0:1::{i}") for i in range(1, 6)]
    for c in v6[:4]:
        assert _sign_in(c, "bob", "wrong password!").status_code == 303
    assert _sign_in(v6[4], "bob", "wrong password!").status_code == 429
    assert _sign_in(_other(client, "192.0.2.8"), "alice").status_code == 303  # a neighbour is not blocked


def test_backoff_grows_and_the_right_password_works_after_the_window(make_web: Web) -> None:
    client, _ = make_web(signin_per_user="2/2second;3/hour", signin_per_address="1000/minute")
    for _ in range(2):
        assert _sign_in(client, "alice", "wrong password!").status_code == 303
    first = _sign_in(client, "alice", "wrong password!")
    assert first.status_code == 429 and int(first.headers["retry-after"]) <= 2
    time.sleep(2.2)
    assert _sign_in(client, "alice", "wrong password!").status_code == 303  # one more guess, then an hour
    later = _sign_in(client, "alice", "wrong password!")
    assert later.status_code == 429 and int(later.headers["retry-after"]) > 1000

    # bob mistypes, waits the short window out, and signs in; his failures are then forgotten.
    for _ in range(2):
        assert _sign_in(client, "bob", "wrong password!").status_code == 303
    assert _sign_in(client, "bob").status_code == 429
    time.sleep(2.2)
    ok = _sign_in(client, "bob")
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert client.get("/").status_code == 200


def test_concurrent_password_checks_are_capped(make_web: Web) -> None:
    client, _ = make_web(signin_concurrency=1, signin_queue_s=0, signin_per_address="1000/minute")
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        _add_users(session, (f"agent{i}" for i in range(6)))
    browsers = [_other(client, f"10.2.0.{i}") for i in range(6)]
    tokens = [_csrf(b.get("/login").text) for b in browsers]
    results: list[Any] = [None] * 6
    go = threading.Barrier(6)

    def attempt(i: int) -> None:
        go.wait(10)
        data = {"username": f"agent{i}", "password": PASSWORD, "csrf_token": tokens[i]}
        results[i] = browsers[i].post("/login", data=data)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(r.status_code for r in results)
    assert 303 in codes and 503 in codes, codes  # one check at a time; the others are told to retry
    busy = next(r for r in results if r.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "try again" in busy.text


def test_sign_ins_waiting_for_a_check_slot_do_not_starve_the_api(make_web: Web) -> None:
    # One check at a time and a long queue: the burst's sign-ins mostly wait for a slot. Waiting must not
    # hold the threadpool the API's (sync) routes run in.
    client, _ = make_web(signin_concurrency=1, signin_queue_s=20, signin_per_address="1000/minute")
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        key = keys.create_key(session, "crm", "agent").key
        session.commit()
    api = {"Authorization": f"Bearer {key}"}

    def read() -> float:
        start = time.perf_counter()
        assert client.get("/v1/voicemails", headers=api).status_code == 200
        return time.perf_counter() - start

    baseline = max(read() for _ in range(5))
    n = 56  # more than the threadpool's 40 threads
    browsers = [_other(client, f"10.3.{i // 200}.{i % 200}") for i in range(n)]
    tokens = [_csrf(b.get("/login").text) for b in browsers]
    results: list[int] = []
    go = threading.Barrier(n + 1)

    def attempt(i: int) -> None:
        go.wait(10)
        data = {"username": f"nobody{i}", "password": "wrong password!", "csrf_token": tokens[i]}
        results.append(browsers[i].post("/login", data=data).status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    go.wait(10)
    time.sleep(0.3)  # the burst is in: one check runs, the rest wait for the slot
    loaded = [read() for _ in range(3)]
    for t in threads:
        t.join(60)
    assert sorted(set(results)) == [303] and len(results) == n  # every one was checked in the end
    # Loose on purpose (2 shared cores): before, a read waited for tens of argon2 checks (seconds).
    assert max(loaded) < max(0.5, 10 * baseline), (loaded, baseline)


# --- item 24: redirects after sign-in stay on this site ----------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/\\evil.example", "//evil.example", "/\\/evil.example", "/\t/evil.example", "/\n/evil.example",
     "https://evil.example/", "\\\\evil.example", "/ok\\..\\x", "", "evil"],
)  # fmt: skip
def test_next_accepts_only_a_local_path(target: str) -> None:
    from api.routes.pages import _safe_next

    assert _safe_next(target) == "/"


def test_sign_in_never_redirects_off_site(make_web: Web) -> None:
    from api.routes.pages import _safe_next

    assert _safe_next("/voicemails/abc?rev=2") == "/voicemails/abc?rev=2"
    client, _ = make_web()
    r = _sign_in(client, next_url="/\\evil.example")
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = client.get("/login", params={"next": "/\\evil.example"})
    assert 'name="next" value="/"' in page.text


# --- item 23: security headers -------------------------------------------------------------------------


def _assert_security_headers(r: Any) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert r.headers.get("x-frame-options") == "DENY"
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") == "same-origin"


def test_every_page_sends_security_headers_and_needs_no_inline_code(make_web: Web) -> None:
    client, settings = make_web()
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        vm_id = seed_voicemail(session, mailbox="support")
        session.commit()
    login = client.get("/login")
    _assert_security_headers(login)
    _assert_security_headers(client.get("/"))  # the redirect to sign in
    assert _sign_in(client).status_code == 303
    pages = [client.get("/"), client.get(f"/voicemails/{vm_id}"), client.get("/static/app.js"), login]
    for r in pages:
        assert r.status_code == 200
        _assert_security_headers(r)
    for r in pages:
        if "html" in r.headers["content-type"]:
            # Nothing the policy would block: no inline script or style, no event-handler attributes.
            assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", r.text), r.text
    api = client.get("/healthz")
    assert api.headers.get("x-content-type-options") == "nosniff"


# --- item 17: bad filters and ranges -------------------------------------------------------------------


def test_absurd_ranges_on_audio_answer_416(make_web: Web) -> None:
    client, settings = make_web()
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        encrypted = seed_voicemail(session)
        with_audio(session, settings, encrypted)
        plain = seed_voicemail(session)
        with_audio(session, settings, plain)
        session.commit()
    folder = settings.data_dir
    assert any(
        vault.encrypt_file(p, vault.keyring(settings.storage)) for p in folder.rglob(f"*{encrypted}*/*")
    )
    assert _sign_in(client).status_code == 303
    for vm_id in (encrypted, plain):
        size = len(client.get(f"/voicemails/{vm_id}/audio").content)
        assert size == 112
        huge = "9" * 5000
        for bad in (
            f"bytes={huge}-",
            f"bytes=0-{huge}0",
            f"bytes=-{huge}",
            f"bytes={huge}-{huge}",
            "bytes=500-",
        ):
            r = client.get(f"/voicemails/{vm_id}/audio", headers={"Range": bad})
            if bad.startswith(("bytes=0-", "bytes=-")):  # satisfiable: to the end, or the whole file
                assert r.status_code == 206 and len(r.content) == size, (vm_id, bad[:20], r.status_code)
            else:
                assert r.status_code == 416, (vm_id, bad[:20], r.status_code)
                assert r.headers["content-range"] == f"bytes */{size}"
        zeros = client.get(f"/voicemails/{vm_id}/audio", headers={"Range": "bytes=" + "0" * 5000 + "10-19"})
        assert zeros.status_code == 206 and len(zeros.content) == 10


def test_every_playback_is_audited_whatever_its_range(make_web: Web) -> None:
    client, settings = make_web()
    sm = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with sm() as session:
        ids = [seed_voicemail(session) for _ in range(3)]
        for vm_id in ids:
            with_audio(session, settings, vm_id)
        session.commit()

    def listens(vm_id: str) -> int:
        with sm() as session:
            rows = select(func.count()).where(AuditEvent.action == "listen", AuditEvent.voicemail_id == vm_id)
            return int(session.scalar(rows) or 0)

    assert _sign_in(client).status_code == 303
    # A range that skips the first byte, or a suffix range as long as the file, still plays it all.
    for vm_id, hostile in zip(ids, ("bytes=1-", "bytes=-99999999", None), strict=True):
        r = client.get(f"/voicemails/{vm_id}/audio", headers={"Range": hostile} if hostile else {})
        assert r.status_code in (200, 206) and len(r.content) >= 111, (hostile, r.status_code)
        assert listens(vm_id) == 1, hostile
    # Seeking in the same playback (more ranges soon after) adds no rows; another agent's listen does.
    for seek in ("bytes=50-", "bytes=0-", "bytes=-10"):
        assert client.get(f"/voicemails/{ids[0]}/audio", headers={"Range": seek}).status_code == 206
    assert listens(ids[0]) == 1
    bob = _other(client, "10.4.0.1")
    assert _sign_in(bob, "bob").status_code == 303
    assert bob.get(f"/voicemails/{ids[0]}/audio", headers={"Range": "bytes=5-"}).status_code == 206
    assert listens(ids[0]) == 2


def test_a_bad_date_filter_is_ignored_with_a_message_and_escaped(make_web: Web) -> None:
    client, _ = make_web()
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        seed_voicemail(session, mailbox="support")
        session.commit()
    assert _sign_in(client).status_code == 303
    script = "<script>alert(1)</script>"
    for params in ({"until": "9999-12-31"}, {"since": "2026-13-45"}, {"since": "0001-01-01", "until": "x"},
                   {"since": script}, {"until": script}, {"since": "2026-01-01T00:00"},
                   {"since": "x" * 5000}):  # fmt: skip
        r = client.get("/", params=params)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"], (params, r.text[-300:])
        assert "Ignored" in r.text and "/voicemails/" in r.text  # the filter is dropped, the rest shown
        assert script not in r.text and "x" * 200 not in r.text  # escaped, and a long value is shortened
        assert client.get("/inbox/rows", params=params).status_code in (200, 204)
    assert "&lt;script&gt;" in client.get("/", params={"since": script}).text
    assert "Ignored" not in client.get("/", params={"since": "2020-01-01", "until": "2999-12-31"}).text


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_hostile_values_in_pages_never_answer_500(make_web: Web, dialect: str) -> None:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(temp_postgres("voice_web")) if dialect == "postgresql" else None
        client, _ = make_web(db_url=url)
        # A NUL in the user name is refused (api/edge.py) or a failed sign-in, never a database error.
        r = _sign_in(client, "ali\x00ce")
        assert r.status_code == 422 or "error=" in r.headers["location"], r.text
        with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            assert users.authenticate(session, "ali\x00ce", PASSWORD) is None
        assert _sign_in(client).status_code == 303
        deep = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode()
        for path, params in (
            ("/", {"mailbox": "a\x00b"}),
            ("/", {"q": "x\x00"}),
            ("/", {"language": "\x00"}),
            ("/", {"cursor": deep}),
            ("/inbox/rows", {"after": "a\x00"}),
            ("/inbox/rows", {"mailbox": "\x00"}),
            ("/voicemails/a%00b", {}),
            ("/voicemails/a%00b/audio", {}),
            ("/voicemails/a%00b/transcript.txt", {}),
            ("/voicemails/abc", {"rev": "9" * 5000}),
        ):
            r = client.get(path, params=params)
            assert r.status_code in (200, 204, 404, 422), (path, params, r.status_code, r.text[:300])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_control_characters_in_page_forms_are_refused_urlencoded_and_multipart(
    make_web: Web, dialect: str
) -> None:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(temp_postgres("voice_web_forms")) if dialect == "postgresql" else None
        client, _ = make_web(db_url=url)
        sm = client.app.state.sessionmaker  # type: ignore[attr-defined]
        with sm() as session:
            vm_id = seed_voicemail(session, mailbox="support")
            session.commit()
        assert _sign_in(client).status_code == 303
        token = _csrf(client.get(f"/voicemails/{vm_id}").text)
        for action, data in (("assign", {"assignee": "bob\x00"}), ("notes", {"text": "a\x00b"}),
                             ("assign", {"assignee": "bob\nx"}), ("notes", {"text": "a\x1bb"}),
                             ("state", {"state": "new\x00"})):  # fmt: skip
            form = {**data, "csrf_token": token}
            url = f"/voicemails/{vm_id}/{action}"
            urlencoded = client.post(url, data=form)
            # files= (no file names) sends multipart/form-data, which api/edge.py leaves to the route.
            multipart = client.post(url, files={k: (None, v) for k, v in form.items()})
            for r in (urlencoded, multipart):
                assert r.status_code == 422, (action, data, r.status_code, r.text[:300])
                assert "control character" in r.text, r.text
        with sm() as session:
            vm = session.get(Voicemail, vm_id)
            assert vm is not None and vm.assignee == "dana" and vm.agent_state == "in_progress"  # as seeded
            assert session.scalar(select(func.count()).select_from(VoicemailNote)) == 1
        # A token that is not ASCII is a wrong token (compare_digest raises on such str), not a 500.
        for token_sent in ("é" * 43, "\x00"):
            form = {"text": (None, "hi"), "csrf_token": (None, token_sent)}
            assert client.post(f"/voicemails/{vm_id}/notes", files=form).status_code == 403
        # The same forms without the control character work, multipart too; a note keeps its newlines.
        note = {"text": "line one\nline two\tend", "csrf_token": token}
        r = client.post(f"/voicemails/{vm_id}/notes", files={k: (None, v) for k, v in note.items()})
        assert r.status_code == 303, r.text
        form = {"assignee": (None, "bob"), "csrf_token": (None, token)}
        r = client.post(f"/voicemails/{vm_id}/assign", files=form)
        assert r.status_code == 303, r.text
        with sm() as session:
            texts = list(session.scalars(select(VoicemailNote.text)))
            assert "line one\nline two\tend" in texts
            assert session.get(Voicemail, vm_id).assignee == "bob"  # type: ignore[union-attr]
