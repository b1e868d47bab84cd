"""Only `voice db upgrade` migrates. Servers, workers and the other commands check that the database is at
this version's newest migration and, when it is not, stop with a message that says what to run."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from tests.support.net import free_port
from tests.support.paths import VOICE
from tests.support.serve import make_server
from voice.storage import db


def test_the_check_says_where_the_schema_is_and_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'voice.db'}"
    head = db.head_revision()
    with pytest.raises(db.SchemaNotAtHead, match=r"has no Voice schema yet: run `voice db upgrade` first"):
        db.require_head(url)
    db.upgrade(url, "0009")
    behind = rf"is at migration 0009, this version of Voice needs {head}: run `voice db upgrade` first"
    with pytest.raises(db.SchemaNotAtHead, match=behind):
        db.require_head(url)
    db.upgrade(url)
    db.require_head(url)
    engine = create_engine(url)
    with engine.begin() as conn:  # as a newer release would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(
        db.SchemaNotAtHead, match=r"at migration 9999, which this version of Voice does not know"
    ):
        db.require_head(url)


@pytest.mark.api
def test_the_app_does_not_start_on_a_database_not_migrated(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from voice.core.config import Settings, WorkerSettings

    settings = Settings(data_dir=tmp_path, worker=WorkerSettings(enabled=False))
    with (
        pytest.raises(db.SchemaNotAtHead, match=r"run `voice db upgrade` first"),
        TestClient(create_app(settings)),
    ):
        pass
    engine = create_engine(settings.db_url)
    assert inspect(engine).get_table_names() == []  # the app migrated nothing
    engine.dispose()
    db.upgrade(settings.db_url)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200


@pytest.mark.e2e
def test_serve_refuses_a_database_not_migrated_then_starts_after_voice_db_upgrade(tmp_path: Path) -> None:
    server = make_server(tmp_path)
    for command in (["serve", "--port", str(free_port()), "--no-worker"], ["worker"], ["keys", "list"]):
        started = time.monotonic()
        out = subprocess.run(
            [VOICE, *command], env=server.env, cwd=server.data_dir, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        assert "has no Voice schema yet: run `voice db upgrade` first" in out.stderr, (command, out.stderr)
        assert time.monotonic() - started < 30, command  # at once: no model loaded, no port bound
    server.cli("db", "upgrade")
    server.admin_key = server.create_key("admin")["key"]  # start() then has nothing left to set up
    server.serve_args = ("--no-worker",)
    server.start()
    try:
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
        assert httpx.get(server.url + "/v1/keys", headers=server.headers(), timeout=10).status_code == 200
    finally:
        server.stop()
