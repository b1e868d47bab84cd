"""The data folder, the database (with its -wal and -shm) and the audio are readable by Voice's user only:
the database holds webhook secrets and transcripts, the folder callers' voices."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import httpx

from tests.support.audio import encode
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path


def _open_to_others(paths: list[Path]) -> dict[str, str]:
    """Each path whose mode gives group or others any access, with its mode."""
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in paths}
    return {str(p): oct(m) for p, m in modes.items() if m & 0o077}


def test_a_real_server_keeps_its_data_private(voice_server: VoiceServer, tmp_path: Path) -> None:
    """`voice serve` and the CLI (keys made before it started) on a data folder the test made 0755."""
    wav = encode(clip_path("en_arctic_a0010"), tmp_path / "call.wav", "-ar", "8000")
    with wav.open("rb") as fh:
        r = httpx.post(
            voice_server.url + "/v1/voicemails",
            files={"file": ("call.wav", fh)},
            headers=voice_server.headers(),
            timeout=30,
        )
    assert r.status_code == 202, r.text
    vm_id = r.json()["id"]
    assert voice_server.wait(vm_id)["status"] == "done"

    data = voice_server.data_dir
    folder = data / "audio" / vm_id[:2] / vm_id
    files = sorted(p for p in folder.iterdir() if p.is_file())
    assert {p.name for p in files} >= {"source", "normalised.wav"}, files
    db = [data / "voice.db", data / "voice.db-wal", data / "voice.db-shm"]
    paths = [data, data / "audio", folder.parent, folder, *files, *db, data / "web-secret-key"]
    assert _open_to_others(paths) == {}


def test_an_existing_install_is_made_private(tmp_path: Path) -> None:
    """A data folder and database written before (0755 and 0644, as the test process's umask makes them)
    are closed when the service starts."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from voice.core.config import Settings, WorkerSettings
    from voice.storage import db

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    db.upgrade(Settings(data_dir=data).db_url)  # migrated, as a server needs (`voice db upgrade`)...
    (data / "voice.db").chmod(0o644)  # ...by an older Voice, which left the file open to others
    with sqlite3.connect(data / "voice.db") as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        before = _open_to_others([data, data / "voice.db"])
        assert len(before) == 2, before  # the case this test is about
        with TestClient(create_app(Settings(data_dir=data, worker=WorkerSettings(enabled=False)))) as client:
            assert client.get("/healthz").status_code == 200
        wal = [p for p in (data / "voice.db-wal", data / "voice.db-shm") if p.exists()]
        assert _open_to_others([data, data / "voice.db", *wal]) == {}
