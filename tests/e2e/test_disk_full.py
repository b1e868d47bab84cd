"""A full disk under a real `voice serve`: reads still answer (their audit rows wait in memory and are
written once there is room), and /healthz says the disk is full."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from tests.support.http_servers import AudioServer
from tests.support.serve import VoiceServer, make_server
from tests.support.services import temp_postgres


@contextlib.contextmanager
def tiny_disk(path: Path, size: str = "3m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (root with CAP_SYS_ADMIN: CI's runner). Where it cannot be
    mounted the test is skipped, or fails under CI (CI=true), saying why. (`unshare -rm` would mount it
    unprivileged, but in a namespace the `voice serve` under test would not see.)"""
    need = "the full-disk test mounts a tmpfs: it needs root with CAP_SYS_ADMIN (docker --cap-add SYS_ADMIN)"
    if os.geteuid() != 0:
        _cannot(f"{need}; this is uid {os.geteuid()}")
    path.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]
    done = subprocess.run(mount, capture_output=True, text=True, check=False, timeout=10)
    if done.returncode != 0:
        _cannot(f"{need}; `{' '.join(mount)}` failed: {(done.stderr or done.stdout).strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=10)


def _cannot(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_tmpfs_that_cannot_be_mounted_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    """A mount that fails (here a size tmpfs refuses; in a container without CAP_SYS_ADMIN, permission)
    skips locally and fails under CI, with the reason, not a bare CalledProcessError."""
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected) as exc, tiny_disk(tmp_path / "disk", size="lots"):
        pass
    assert "tmpfs" in str(exc.value) and "CAP_SYS_ADMIN" in str(exc.value), exc.value


def fill(folder: Path) -> Path:
    """Write a file until the disk has no room left."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for block in (1 << 16, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * block)
    finally:
        os.close(fd)
    with pytest.raises(OSError) as exc:
        (folder / "probe").write_bytes(b"\0" * 4096)
    assert exc.value.errno == errno.ENOSPC
    return filler


def _login(server: VoiceServer, client: httpx.Client) -> None:
    password = "correct horse battery"
    server.cli("users", "create", "dana", "--role", "agent", "--password-stdin", input=password + "\n")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    form = {"username": "dana", "password": password, "next": "/", "csrf_token": token.group(1)}
    assert client.post("/login", data=form).status_code == 303


@pytest.mark.e2e
def test_reads_answer_on_a_full_disk_and_health_reports_it(tmp_path: Path, audio_server: AudioServer) -> None:
    with tiny_disk(tmp_path / "disk") as disk, contextlib.ExitStack() as stack:
        # The database and audio on the tiny disk; the server's log beside it, on the real one.
        server = make_server(tmp_path, VOICE_DATA_DIR=str(disk), VOICE_HEALTH__MIN_FREE_MB="0.5")
        server.serve_args = ("--no-worker",)
        try:
            server.start()
            agent = server.create_key("agent", "disk-agent")["key"]
            fresh = server.create_key("agent", "disk-fresh")["key"]  # first used on the full disk
            vm_id = server.post_url(f"{audio_server.url}/missing-disk.wav", **{"from": "+12125550123"})
            api = httpx.Client(base_url=server.url, headers=server.headers(agent), timeout=30)
            stack.enter_context(api)
            web = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
            _login(server, web)
            assert api.get(f"/v1/voicemails/{vm_id}").status_code == 200  # the key's last use is noted now
            healthy = httpx.get(server.url + "/healthz", timeout=10)
            assert healthy.status_code == 200 and healthy.json()["status"] == "ok", healthy.text

            filler = fill(disk)
            reads = {
                "detail": api.get(f"/v1/voicemails/{vm_id}"),
                "list": api.get("/v1/voicemails"),
                "revisions": api.get(f"/v1/voicemails/{vm_id}/revisions"),
                "inbox": web.get("/"),
                "page": web.get(f"/voicemails/{vm_id}"),
            }
            assert {k: r.status_code for k, r in reads.items()} == dict.fromkeys(reads, 200), {
                k: r.text[:200] for k, r in reads.items()
            }
            assert reads["detail"].json()["id"] == vm_id
            # A key's first use in a minute notes the time, which cannot be written now: the key still works.
            assert api.get(f"/v1/voicemails/{vm_id}", headers=server.headers(fresh)).status_code == 200
            # Reads work, so a load balancer must keep this replica: 200, "degraded", and why.
            health = httpx.get(server.url + "/healthz", timeout=10)
            assert health.status_code == 200, health.text
            body = health.json()
            assert body["status"] == "degraded" and "disk" in " ".join(body["problems"])
            assert body["disk"]["free_bytes"] < body["disk"]["min_free_bytes"]
            assert body["audit_backlog"] >= 5
            metrics = api.get("/metrics").text
            failures = re.search(r"^voice_audit_write_failures_total (\S+)$", metrics, re.M)
            assert failures and float(failures.group(1)) >= 1, metrics[-2000:]

            filler.unlink()  # room again: a read after the retry pause brings the waiting rows in
            assert httpx.get(server.url + "/healthz", timeout=10).json()["status"] == "ok"
            admin = httpx.Client(base_url=server.url, headers=server.headers(), timeout=30)
            stack.enter_context(admin)
            deadline = time.monotonic() + 20
            while True:
                assert admin.get(f"/v1/voicemails/{vm_id}").status_code == 200
                trail = admin.get("/v1/audit", params={"voicemail_id": vm_id}).json()
                agent_reads = [e for e in trail if e["actor"] == "key:disk-agent" and e["action"] == "read"]
                if len(agent_reads) > 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert len(agent_reads) == 3, trail  # before, and two while full (detail, revisions)
            assert [e for e in trail if e["actor"] == "user:dana" and e["action"] == "read"], trail
            listed = admin.get("/v1/audit", params={"action": "list", "actor": "key:disk-agent"}).json()
            assert len(listed) == 1, listed
            log = server.log.read_text() if server.log else ""
            assert "audit" in log and "WARNING" in log
        finally:
            server.stop()


@pytest.mark.e2e
def test_reads_on_a_read_only_postgresql(tmp_path: Path) -> None:
    """PostgreSQL refusing writes (here: set read-only): reads answer, their audit rows wait, /healthz says
    why, and the rows are written once the database takes writes again."""
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from api.main import create_app
    from voice.core.config import Settings, WorkerSettings
    from voice.storage import audit, db, keys

    with temp_postgres("voice_readonly") as url:
        settings = Settings(data_dir=tmp_path, database_url=url, worker=WorkerSettings(enabled=False))
        name = url.rsplit("/", 1)[1]
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        db.upgrade(url)  # what `voice db upgrade` does before a server starts
        with TestClient(create_app(settings)) as client, admin.connect() as conn:
            sm = client.app.state.sessionmaker  # type: ignore[attr-defined]
            with sm() as session:
                key = keys.create_key(session, "ro-agent", "agent").key
                fresh = keys.create_key(session, "ro-fresh", "agent").key  # first used when read-only
                session.commit()
            headers = {"Authorization": f"Bearer {key}"}
            assert client.get("/v1/voicemails", headers=headers).status_code == 200  # the key's use noted
            conn.execute(text(f"ALTER DATABASE {name} SET default_transaction_read_only = on"))
            sm.kw["bind"].dispose()  # new connections take the setting
            before = audit.backlog.failures

            assert client.get("/v1/voicemails", headers=headers).status_code == 200
            first_use = client.get("/v1/voicemails", headers={"Authorization": f"Bearer {fresh}"})
            assert first_use.status_code == 200
            health = client.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "degraded", health.text
            assert health.json()["problems"] == ["the database is read-only"]
            assert health.json()["database"] == {"reachable": True, "writable": False}
            assert audit.backlog.failures >= before + 1 and len(audit.backlog) >= 2

            conn.execute(text(f"ALTER DATABASE {name} SET default_transaction_read_only = off"))
            sm.kw["bind"].dispose()
            assert client.get("/healthz").json()["status"] == "ok"
            assert audit.backlog.flush(sm.kw["bind"])
            with sm() as session:
                found = audit.events(session, audit.AuditFilter(actor="key:ro-agent", action="list"))
            assert len(found) == 2

            # Only a database that cannot be reached takes the replica out: 503.
            server = create_engine(url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT")
            with server.connect() as other:
                other.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
                sm.kw["bind"].dispose()
                down = client.get("/healthz")
                assert down.status_code == 503 and down.headers["retry-after"], down.text
                other.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            server.dispose()
            assert client.get("/healthz").status_code == 200
        admin.dispose()
