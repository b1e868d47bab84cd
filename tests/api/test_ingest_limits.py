"""What an upload or a post may be and what a failed one leaves behind (issue 17, items 8, 9, 11, 18, 19):
capped form fields and call metadata, the pending limit held under concurrency, start times out of range,
no audio left on disk by a failed upload, orphaned folders swept, a full disk answered with 507."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app import bearer as _h
from tests.support.app import local_app, new_key
from tests.support.audio import encode
from tests.support.engine import FIXED_MODEL, use_fixed_engine
from tests.support.serve import VoiceServer, make_server
from tests.support.services import temp_postgres
from tests.support.speech import clip_path


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# -- item 8: form fields and metadata ------------------------------------------------------------------


def test_language_hints_and_infinity_as_text_are_refused_at_the_edge(tmp_path: Path) -> None:
    """A language Whisper does not know ("zz") failed the voicemail later in the worker; the string
    "Infinity" slipped past the edge's NaN check through pydantic's lax float parsing."""
    with local_app(tmp_path) as (client, sm, _):
        _, key = new_key(sm)
        url, audio = "/v1/voicemails", "https://x.example/a.wav"
        r = client.post(url, json={"audio_url": audio, "language": "zz"}, headers=_h(key))
        assert r.status_code == 422 and "not a language code Whisper knows" in r.text, r.text
        wav = {"file": ("a.wav", b"RIFF" + b"\0" * 100)}
        r = client.post(url, files=wav, data={"language": "zz"}, headers=_h(key))
        assert r.status_code == 422 and "not a language code Whisper knows" in r.text, r.text
        for text_number in ("Infinity", "-inf", "NaN"):
            body = {"audio_url": audio, "call": {"duration_s": text_number}}
            r = client.post(url, json=body, headers=_h(key))
            assert r.status_code == 422 and "finite" in r.text, (text_number, r.text)
        r = client.post(url, json={"audio_url": audio, "language": "FR"}, headers=_h(key))
        assert r.status_code == 202, r.text
        from voice.storage.models import Voicemail

        with sm() as session:
            stored = session.scalar(select(Voicemail.language_hint).where(Voicemail.id == r.json()["id"]))
        assert stored == "fr"


def test_form_fields_and_metadata_are_capped(tmp_path: Path) -> None:
    with local_app(tmp_path, limits={"max_body_bytes": 100_000}) as (client, sm, settings):
        _, key = new_key(sm)
        url, wav = "/v1/voicemails", {"file": ("a.wav", b"RIFF" + b"\0" * 100)}
        huge_call = json.dumps({"metadata": {"x": "y" * 300_000}})
        r = client.post(url, files=wav, data={"call": huge_call}, headers=_h(key))
        assert r.status_code == 413 and "100000 bytes" in r.json()["detail"], r.text
        big_meta = json.dumps({"metadata": {"x": "y" * 20_000}})  # under the body limit, over metadata's
        r = client.post(url, files=wav, data={"call": big_meta}, headers=_h(key))
        assert r.status_code == 413 and "metadata" in r.json()["detail"], r.text
        r = client.post(
            url,
            json={"audio_url": "https://x.example/a.wav", "call": {"metadata": {"x": "y" * 20_000}}},
            headers=_h(key),
        )
        assert r.status_code == 413 and "16384" in r.json()["detail"], r.text
        r = client.post(url, files=wav, data={"recording_id": "R" * 300}, headers=_h(key))
        assert r.status_code == 422 and "recording_id" in r.text, r.text  # refused, not cut to 200
        r = client.post(url, files=wav, data={"language": "e\x00n"}, headers=_h(key))
        assert r.status_code == 422 and "control character" in r.text, r.text
        for bad in ('{"duration_s": NaN}', "[" * 3000 + "]" * 3000, '{"metadata": {"a": "\\u0000"}}'):
            r = client.post(url, files=wav, data={"call": bad}, headers=_h(key))
            assert r.status_code == 422, (bad[:20], r.status_code, r.text[:200])
        many = {f"extra{i}": "1" for i in range(20)}  # fields are held in memory: only so many
        r = client.post(url, files=wav, data=many, headers=_h(key))
        assert r.status_code == 422 and "fields" in r.json()["detail"], r.text
        assert _files(settings.audio_dir) == []  # nothing refused left a file
        ok = client.post(
            url, files=wav, data={"call": json.dumps({"metadata": {"crm": "42"}})}, headers=_h(key)
        )
        assert ok.status_code == 202, ok.text


# -- item 9: pending per key, concurrent ---------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pending_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VoiceServer]:
    with contextlib.ExitStack() as stack:
        env = {"VOICE_LIMITS__PENDING_PER_KEY": "5", "VOICE_LIMITS__REQUESTS_PER_MINUTE": "10000"}
        if request.param == "postgresql":
            env["VOICE_DATABASE_URL"] = stack.enter_context(temp_postgres("voice_pending"))
        server = make_server(tmp_path_factory.mktemp(f"pending-{request.param}"), **env)
        server.serve_args = ("--no-worker",)  # posted voicemails stay queued: pending
        server.start()
        stack.callback(server.stop)
        yield server


def _concurrently(n: int, post: object) -> list[int]:
    codes: list[int] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        barrier.wait(10)
        codes.append(post())  # type: ignore[operator]

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return codes


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["json", "upload"])
def test_pending_limit_holds_under_concurrent_posts(pending_server: VoiceServer, kind: str) -> None:
    key = pending_server.create_key("ingest", f"pending-{kind}")["key"]
    url = pending_server.url + "/v1/voicemails"

    def post() -> int:
        if kind == "json":
            r = httpx.post(url, json={"audio_url": "http://127.0.0.1:9/a.wav"}, headers=_h(key), timeout=60)
        else:
            r = httpx.post(
                url, files={"file": ("a.wav", b"RIFF" + os.urandom(20_000))}, headers=_h(key), timeout=60
            )
        assert r.status_code in (202, 429), r.text
        if r.status_code == 429:
            assert r.headers["retry-after"] and "waiting" in r.json()["detail"]
        return r.status_code

    codes = _concurrently(12, post)
    assert sorted(codes) == [202] * 5 + [429] * 7, codes
    if kind == "upload":  # the refused uploads left no audio behind
        folders = [p for p in (pending_server.data_dir / "audio").glob("*/*") if p.is_dir()]
        listed = httpx.get(url, params={"limit": 500}, headers=pending_server.headers()).json()["items"]
        assert {p.name for p in folders} <= {v["id"] for v in listed}


# -- item 11: start times ------------------------------------------------------------------------------


def test_start_time_out_of_range_is_refused_and_offsets_are_kept(tmp_path: Path) -> None:
    with local_app(tmp_path) as (client, sm, _):
        _, key = new_key(sm)
        url = "/v1/voicemails"
        for when in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"):
            r = client.post(
                url,
                json={"audio_url": "https://x.example/a.wav", "call": {"started_at": when}},
                headers=_h(key),
            )
            assert r.status_code == 422 and "started_at" in r.text, (when, r.text)
        r = client.post(
            url,
            json={
                "audio_url": "https://x.example/a.wav",
                "call": {"started_at": "2026-11-23T09:15:00+14:00"},
            },
            headers=_h(key),
        )
        assert r.status_code == 202, r.text
        got = client.get(f"{url}/{r.json()['id']}", headers=_h(key)).json()["call"]["started_at"]
        assert datetime.fromisoformat(got) == datetime(2026, 11, 22, 19, 15, tzinfo=UTC)  # the same instant
        assert got.endswith("+14:00"), got  # as the caller gave it


def test_stored_start_keeps_its_offset(sm: sessionmaker[Session]) -> None:
    """The same instant on SQLite and PostgreSQL, shown with the offset it came with; a start out of range
    from a path that does not check it (Twilio's RecordingStartTime) is kept in metadata, not as the start."""
    from api.views import call_out
    from voice.storage.models import CallRecord
    from voice.storage.voicemails import CallInfo, create_voicemail

    given = datetime(2026, 11, 23, 9, 15, tzinfo=UTC).astimezone(timezone(timedelta(hours=-3, minutes=-30)))
    with sm() as session:
        create_voicemail(session, CallInfo(external_id="A", started_at=given), audio_url="https://x/a")
        far = datetime(9999, 12, 31, tzinfo=UTC)
        create_voicemail(session, CallInfo(external_id="B", started_at=far), audio_url="https://x/b")
        session.commit()
    with sm() as session:
        calls = {c.external_id: call_out(c) for c in session.scalars(select(CallRecord))}
    shown = calls["A"].started_at
    assert shown == given and shown is not None and shown.utcoffset() == given.utcoffset()
    assert calls["B"].started_at is None
    assert calls["B"].metadata == {"started_at_as_received": "9999-12-31T00:00:00+00:00"}


@pytest.mark.e2e
def test_a_start_at_the_ends_of_the_calendar_does_not_fail_processing(
    sm: sessionmaker[Session], tmp_path: Path
) -> None:
    """A row stored before the edge refused such times (or by a path that does not check): the worker
    processes it; it is not 'interrupted 3 times'."""
    from voice.core.config import Settings
    from voice.storage.callers import earlier_calls_from
    from voice.storage.models import CallRecord, Voicemail, VoicemailEvent
    from voice.storage.voicemails import CallInfo, create_voicemail
    from voice.worker.local import Worker

    silent = tmp_path / "silence.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=16000:cl=mono",
            "-t",
            "2",
            str(silent),
        ],
        check=True,
    )
    settings = Settings(
        data_dir=tmp_path / "data", transcription={"model": "tiny.en", "allow_download": False}
    )
    ids = []
    with sm() as session:
        for year in (1, 9999):
            vm = create_voicemail(session, CallInfo(from_number="+12125550134"), source_path=str(silent))
            ids.append(vm.id)
            call_id = session.scalar(select(Voicemail.call_id).where(Voicemail.id == vm.id))
            session.execute(
                update(CallRecord)
                .where(CallRecord.id == call_id)
                .values(started_at=datetime(year, 1, 1, tzinfo=UTC))
            )
        session.commit()
    worker = Worker(settings, sm)
    for _ in range(4):
        worker.run_once()
    with sm() as session:
        for vm_id in ids:
            vm = session.get(Voicemail, vm_id)
            assert vm is not None and vm.status == "no_speech", (vm.status, vm.status_reason)
            details = session.scalars(
                select(VoicemailEvent.detail).where(VoicemailEvent.voicemail_id == vm_id)
            )
            assert not any("interrupted" in (d or "") for d in details)
        assert earlier_calls_from(session, "+12125550134", "x", datetime(1, 1, 1, tzinfo=UTC)) == 0
        assert earlier_calls_from(session, "+12125550134", "x", datetime(9999, 12, 31, tzinfo=UTC)) == 0


def test_an_unexpected_failure_is_recorded_once_with_its_reason(
    sm: sessionmaker[Session], tmp_path: Path
) -> None:
    """An exception that is not the voicemail's fault ends it failed with the real reason, at once."""
    from voice.core.config import Settings
    from voice.storage.models import Voicemail, VoicemailEvent
    from voice.storage.voicemails import CallInfo, create_voicemail
    from voice.worker.local import Worker

    settings = Settings(
        data_dir=tmp_path / "data", transcription={"model": FIXED_MODEL, "allow_download": False}
    )
    use_fixed_engine(settings.transcription)  # the failure comes before any transcribing
    a_folder = tmp_path / "a-folder"  # a source that is a folder: the OS refuses to read it
    a_folder.mkdir()
    with sm() as session:
        vm_id = create_voicemail(session, CallInfo(), source_path=str(a_folder)).id
        session.commit()
    Worker(settings, sm).run_once()
    with sm() as session:
        vm = session.get(Voicemail, vm_id)
        assert vm is not None and vm.status == "failed" and "IsADirectoryError" in (vm.status_reason or "")
        failed = session.scalars(
            select(VoicemailEvent).where(
                VoicemailEvent.voicemail_id == vm_id, VoicemailEvent.status == "failed"
            )
        ).all()
        assert len(failed) == 1 and vm.attempts == 1


# -- item 18: failed uploads leave nothing; orphans are swept ------------------------------------------


def test_a_failed_upload_leaves_no_audio(tmp_path: Path) -> None:
    with local_app(tmp_path) as (client, sm, settings):
        _, key = new_key(sm)
        with sm() as session:  # the database refuses the insert after the file was written
            session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON voicemails "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )
            )
            session.commit()
        r = client.post("/v1/voicemails", files={"file": ("a.wav", b"RIFF" + b"\0" * 5000)}, headers=_h(key))
        assert r.status_code >= 500
        assert _files(settings.audio_dir) == [], "a failed upload left its audio on disk"
        with sm() as session:
            session.execute(text("DROP TRIGGER refuse"))
            session.commit()
        idem = {**_h(key), "Idempotency-Key": "same"}
        assert (
            client.post("/v1/voicemails", files={"file": ("a.wav", b"one")}, headers=idem).status_code == 202
        )
        r = client.post("/v1/voicemails", files={"file": ("a.wav", b"two")}, headers=idem)
        assert r.status_code == 422
        assert len(_files(settings.audio_dir)) == 1  # only the first post's audio


def test_orphaned_audio_folders_are_swept(sm: sessionmaker[Session], tmp_path: Path) -> None:
    from voice.core.config import Settings
    from voice.storage.files import voicemail_dir
    from voice.storage.voicemails import CallInfo, create_voicemail
    from voice.usecases import retention

    settings = Settings(data_dir=tmp_path / "data")
    old = time.time() - 3 * 3600

    def folder(vm_id: str, age: float | None) -> Path:
        d = voicemail_dir(settings, vm_id)
        d.mkdir(parents=True)
        (d / "source").write_bytes(b"audio")
        if age is not None:
            for p in (d / "source", d):
                os.utime(p, (age, age))
        return d

    with sm() as session:
        kept = create_voicemail(session, CallInfo(), audio_url="https://x.example/a").id
        session.commit()
    owned = folder(kept, old)
    orphan = folder(uuid.uuid4().hex, old)
    uploading = folder(uuid.uuid4().hex, None)  # an upload in progress: no row yet, but young
    not_ours = settings.audio_dir / "zz" / "notes"
    not_ours.mkdir(parents=True)
    planned = retention.apply(sm, settings, dry_run=True)
    assert planned.orphans == [orphan.name] and orphan.exists()
    done = retention.apply(sm, settings)
    assert done.orphans == [orphan.name]
    assert not orphan.exists() and owned.exists() and uploading.exists() and not_ours.exists()


def test_the_sweep_refuses_when_the_database_knows_few_of_the_folders(
    sm: sessionmaker[Session], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Run against the wrong database (VOICE_DATABASE_URL unset in a shell, an old SQLite file), every folder
    looks orphaned: the sweep must not erase real voicemails' audio."""
    from voice.core.config import Settings
    from voice.storage.files import voicemail_dir
    from voice.usecases import retention

    settings = Settings(data_dir=tmp_path / "data")
    old = time.time() - 3 * 3600
    folders = []
    for _ in range(12):
        d = voicemail_dir(settings, uuid.uuid4().hex)
        d.mkdir(parents=True)
        (d / "source").write_bytes(b"audio")
        for p in (d / "source", d):
            os.utime(p, (old, old))
        folders.append(d)
    assert retention.apply(sm, settings).orphans == []
    assert all(d.exists() for d in folders)
    assert "not sweeping: 12 of 12 audio folders have no voicemail in this database" in caplog.text


def test_an_upload_keeps_its_file_when_the_database_cannot_say_it_has_no_row(
    sm: sessionmaker[Session], tmp_path: Path
) -> None:
    """After an unexpected error the upload's file goes only when the database says no row names it: a retried
    save may have committed before failing, and a database that cannot answer decides nothing."""
    from sqlalchemy import create_engine

    from voice.storage import db
    from voice.storage.voicemails import CallInfo, create_voicemail
    from voice.usecases.ingest import _stored

    with sm() as session:
        vm_id = create_voicemail(session, CallInfo(), audio_url="https://x.example/a").id
        session.commit()
    assert _stored(sm, vm_id) is True
    assert _stored(sm, uuid.uuid4().hex) is False
    gone = db.make_sessionmaker(create_engine(f"sqlite:///{tmp_path}/missing/dir/voice.db"))
    assert _stored(gone, uuid.uuid4().hex) is True


def test_retention_run_sweeps_orphans(voice_server: VoiceServer) -> None:
    vm_id = uuid.uuid4().hex
    orphan = voice_server.data_dir / "audio" / vm_id[:2] / vm_id
    # Made as Voice makes them (0700), not with pytest's umask: the shared server's data stays private.
    for level in (orphan.parent.parent, orphan.parent, orphan):
        level.mkdir(mode=0o700, exist_ok=True)
    (orphan / "source").write_bytes(b"left by a crashed upload")
    old = time.time() - 3 * 3600
    os.utime(orphan / "source", (old, old))
    os.utime(orphan, (old, old))
    out = voice_server.cli("retention", "run")
    assert not orphan.exists(), out.stdout
    assert f"orphan     {vm_id}" in out.stdout  # the operator is told what went


# -- item 19 (uploads): a full disk --------------------------------------------------------------------


@contextlib.contextmanager
def tiny_disk(where: Path, size: str = "2m") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr}")
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, timeout=30)


def test_an_upload_to_a_full_disk_answers_507_and_leaves_nothing(tmp_path: Path) -> None:
    # The whole data dir (database too) on a disk the upload does not fit on.
    with tiny_disk(tmp_path / "data", "3m"), local_app(tmp_path) as (client, sm, settings):
        audio = settings.audio_dir
        _, key = new_key(sm)
        big = encode(clip_path("en_arctic_a0010"), tmp_path / "big.wav", "-ar", "48000", "-ac", "2")
        payload = big.read_bytes() * (1 + 4_000_000 // big.stat().st_size)  # more than the disk holds
        r = client.post("/v1/voicemails", files={"file": ("big.wav", payload)}, headers=_h(key))
        assert r.status_code == 507 and int(r.headers["retry-after"]) > 0, (r.status_code, r.text[:300])
        assert "disk" in r.json()["detail"]
        assert _files(audio) == [], "the partial upload was left on the full disk"
        ok = client.post(
            "/v1/voicemails", files={"file": ("small.wav", big.read_bytes()[:100_000])}, headers=_h(key)
        )
        assert ok.status_code == 202, ok.text
