"""The app in process for the api tier: ``create_app(Settings(...))`` driven through Starlette's TestClient
(lifespan and all), on a SQLite file in the test's folder, with FixedEngine when a worker runs."""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.support.engine import FIXED_MODEL, use_fixed_engine
from voice.core.config import Settings


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class LocalServer:
    """What VoiceServer offers, on the app in process: ``client`` takes paths ("/v1/keys")."""

    client: TestClient
    settings: Settings
    sm: sessionmaker[Session]
    admin_key: str = ""

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def url(self) -> str:
        """The base URL requests are made (and signed) for: http://testserver."""
        return str(self.client.base_url).rstrip("/")

    def create_key(self, role: str, name: str | None = None, webhook_url: str | None = None) -> dict:
        """A key written by the same storage function the CLI calls: {"id", "key", "webhook_secret"}."""
        from voice.storage import keys

        with self.sm() as session:
            made = keys.create_key(session, name or f"test-{role}", role, webhook_url)
            session.commit()
        return {"id": made.id, "key": made.key, "webhook_secret": made.webhook_secret}

    def create_user(self, username: str, password: str, role: str) -> None:
        from voice.storage import users

        with self.sm() as session:
            users.create_user(session, username, password, role)
            session.commit()

    def headers(self, key: str | None = None) -> dict[str, str]:
        return bearer(key or self.admin_key)

    def post_url(self, audio_url: str, key: str | None = None, **call: object) -> str:
        r = self.client.post("/v1/voicemails", json={"audio_url": audio_url, "call": call},
                             headers=self.headers(key))  # fmt: skip
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    def get(self, vm_id: str) -> dict:
        r = self.client.get(f"/v1/voicemails/{vm_id}", headers=self.headers())
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def wait(self, vm_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            vm = self.get(vm_id)
            if vm["status"] in ("done", "no_speech", "failed"):
                return vm
            time.sleep(0.05)
        raise AssertionError(f"voicemail {vm_id} not finished after {timeout} s: {self.get(vm_id)}")


@functools.cache
def _migrated_sqlite() -> Path:
    """A SQLite database migrated to head once per test run, for new databases to start as copies of."""
    from voice.storage import db

    folder = Path(tempfile.mkdtemp(prefix="voice-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "voice.db"
    db.upgrade(f"sqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself, none in -wal
    return path


def upgrade_db(url: str) -> None:
    """What `voice db upgrade` does before a server starts. A new SQLite file starts as a copy of one
    migrated once per run, so the upgrade finds it at head: Alembic from scratch costs ~0.15 s per app."""
    from voice.storage import db

    path = db.sqlite_path(url)
    if path is not None and not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # as db.make_engine makes it
        shutil.copyfile(_migrated_sqlite(), path)  # db.make_engine makes it 0600, as for a new file
    db.upgrade(url)


def app_settings(data_dir: Path, *, worker: bool = False, **overrides: Any) -> Settings:
    """Settings for the app in process: loopback fetches allowed (the tests' HTTP servers), a worker that
    polls often and transcribes with FixedEngine, or no worker."""
    settings = Settings(
        data_dir=data_dir,
        **{
            "worker": {"enabled": worker, "poll_interval_s": 0.05},
            "transcription": {"model": FIXED_MODEL, "allow_download": False},
            "fetch": {"allow_networks": ["127.0.0.0/8", "::1/128"]},
            **overrides,
        },
    )
    use_fixed_engine(settings.transcription)
    return settings


@contextlib.contextmanager
def local_server(settings: Settings) -> Iterator[LocalServer]:
    """The app on ``settings`` until the block ends (its lifespan: worker, webhook dispatch, sweeps), with
    an admin key. Unexpected errors answer 500, as a real server would, instead of raising in the test."""
    from api.main import create_app

    upgrade_db(settings.db_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        server = LocalServer(client, settings, client.app.state.sessionmaker)  # type: ignore[attr-defined]
        server.admin_key = server.create_key("admin", "test-admin")["key"]
        yield server


@contextlib.contextmanager
def local_app(
    tmp_path: Path, **overrides: Any
) -> Iterator[tuple[TestClient, sessionmaker[Session], Settings]]:
    """The real app in process (no worker), on a SQLite file in ``tmp_path``, as (client, sessionmaker,
    settings): for tests that want the session factory more than LocalServer's helpers."""
    from api.main import create_app

    settings = Settings(data_dir=tmp_path / "data", worker={"enabled": False}, **overrides)
    upgrade_db(settings.db_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, client.app.state.sessionmaker, settings  # type: ignore[attr-defined]


def new_key(sm: sessionmaker[Session], role: str = "ingest", name: str | None = None) -> tuple[str, str]:
    """(id, bearer secret) of a new key."""
    from voice.storage import keys

    with sm() as session:
        made = keys.create_key(session, name or f"k-{uuid.uuid4().hex[:6]}", role)
        session.commit()
    return made.id, made.key
