"""Real parts for tests: speech clips from shared/, a local HTTP audio server, a real `voice serve`."""

from __future__ import annotations

import base64
import contextlib
import csv
import glob
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jiwer
import pytest
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[1]
SPEECH = Path(os.environ.get("VOICE_SPEECH_DIR", ROOT.parent / "shared" / "speech"))
VOICE = str(Path(sys.executable).parent / "voice")


def _manifest() -> dict[str, dict[str, str]]:
    with (SPEECH / "manifest.tsv").open() as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = rows[0]
    return {r[0]: dict(zip(header, r, strict=False)) | {"reference": r[-1]} for r in rows[1:]}


MANIFEST = _manifest() if (SPEECH / "manifest.tsv").exists() else {}

_NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.SubstituteRegexes({r"\bet cetera\b": "etc"}),  # one word, two spellings (Whisper writes both)
        jiwer.SubstituteWords({"mister": "mr", "mr.": "mr"}),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


def wer(reference: str, hypothesis: str) -> float:
    return float(
        jiwer.wer(reference, hypothesis, reference_transform=_NORMALISE, hypothesis_transform=_NORMALISE)
    )


def reference(clip: str) -> str:
    return MANIFEST[clip]["reference"]


def clip_path(clip: str) -> Path:
    path = SPEECH / f"{clip}.flac"
    if not path.exists():
        pytest.fail(f"speech clip {path} missing: tests need shared/speech beside the checkout")
    return path


def ffmpeg() -> str:
    from voice.audio.normalise import ffmpeg_binary

    return ffmpeg_binary()


def ffmpeg_with_encoder(encoder: str, why: str) -> str:
    """An ffmpeg that has ``encoder`` (imageio-ffmpeg's build lacks AMR-WB and GSM; Debian's has them).
    Under CI=true its absence fails the test instead of skipping it."""
    for candidate in (shutil.which("ffmpeg"), "/usr/bin/ffmpeg"):
        if candidate and Path(candidate).exists():
            out = subprocess.run(
                [candidate, "-hide_banner", "-encoders"], capture_output=True, text=True
            ).stdout
            if re.search(rf"\s{re.escape(encoder)}\s", out):
                return candidate
    if os.environ.get("CI"):
        pytest.fail(f"CI needs Debian's ffmpeg (libavcodec-extra) with {encoder}: {why}")
    pytest.skip(f"no ffmpeg with {encoder} here (install Debian's ffmpeg and libavcodec-extra)")


def concat_clips(clips: list[str], dst: Path, *args: str) -> Path:
    """One long voicemail made of several speech clips, one after the other."""
    inputs = [arg for c in clips for arg in ("-i", str(clip_path(c)))]
    concat = "".join(f"[{i}:a]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=0:a=1"
    subprocess.run(
        [ffmpeg(), "-loglevel", "error", "-y", *inputs, "-filter_complex", concat, *args, str(dst)],
        check=True,
    )
    return dst


def require(host: str, port: int, name: str) -> None:
    """Service tests need the real thing: skip without it locally, fail under CI=true."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError:
        message = f"{name} is not answering on {host}:{port} (DEVELOPERS.md says how to start it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def temp_postgres(prefix: str = "voice_test") -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text

    require("127.0.0.1", 5432, "PostgreSQL")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def sm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated database of each kind, SQLite and PostgreSQL, for tests of the data layer."""
    from voice.storage import db

    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/voice.db"
        else:
            url = stack.enter_context(temp_postgres(f"voice_{request.module.__name__.rsplit('_', 1)[-1]}"))
        db.upgrade(url)
        engine = db.make_engine(url)
        yield db.make_sessionmaker(engine)
        engine.dispose()


def _need(program: str, what: str) -> str:
    found = shutil.which(program) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"))), "")
    if not found:
        message = f"{program} is not installed ({what})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class PrivateRedis:
    """A real Redis of the test's own on a free port, so a fault test can stop and start it without
    touching the machine's shared one. It keeps nothing on disk, like the shared one."""

    def __init__(self, work: Path) -> None:
        self.binary = _need("redis-server", "the broker fault test runs its own Redis")
        self.port = free_port()
        self.work = work
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.work)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        _wait_for_port(self.port, 20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


class PrivatePostgres:
    """A real PostgreSQL cluster of the test's own (initdb, pg_ctl) on a free port, so a fault test can
    restart it without touching the machine's shared server. PostgreSQL will not run as root: as root
    it runs as the postgres user."""

    def __init__(self) -> None:
        self.initdb = _need("initdb", "the database restart test runs its own PostgreSQL")
        self.pg_ctl = _need("pg_ctl", "the database restart test runs its own PostgreSQL")
        self.port = free_port()
        # Not under pytest's tmp_path: its folders are private to root, and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="voice-pg-"))
        self.data = self.root / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
        (self.root / "options").write_text(options)

    def _ctl(self, *args: str) -> None:
        options = (self.root / "options").read_text()
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, *args)

    def start(self) -> None:
        self._ctl("-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self._ctl("-m", "fast", "-w", "restart")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def encode(src: Path, dst: Path, *args: str, binary: str | None = None) -> Path:
    subprocess.run(
        [binary or ffmpeg(), "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)], check=True
    )
    return dst


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-for-tests"


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "TestAudio/1"
    calls: dict[str, int]  # path -> requests seen
    auth: str | None = None

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.calls[self.path] = self.calls.get(self.path, 0) + 1
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2])
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/flaky/"):  # 503 twice, then the file
            if self.calls[self.path] <= 2:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.path = "/" + self.path.split("/", 2)[2]
        if self.path.startswith("/redirect-to/"):  # 302 to the rest of the path, taken as a URL
            self.send_response(302)
            self.send_header("Location", self.path.split("/", 2)[2])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/2010-04-01/Accounts/"):  # Twilio's media URLs, with its basic auth
            expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.path = "/" + self.path.rsplit("/", 1)[1]
        if self.path.startswith("/private/"):
            if self.headers.get("Authorization") != self.auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="rec"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.path = "/" + self.path.split("/", 2)[2]
        super().do_GET()


@dataclass
class AudioServer:
    root: Path
    url: str
    calls: dict[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def serve_directory(root: Path, host: str = "127.0.0.1") -> Iterator[AudioServer]:
    """A local HTTP server for audio files (with the test paths /status/, /flaky/, /private/, ...)."""
    calls: dict[str, int] = {}
    handler = type(
        "H", (_Handler,), {"calls": calls, "auth": "Basic " + base64.b64encode(b"rec:s3cret-pw").decode()}
    )

    def factory(*a, **kw):  # type: ignore[no-untyped-def]
        return handler(*a, directory=str(root), **kw)

    server = http.server.ThreadingHTTPServer((host, 0), factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AudioServer(root, f"http://{host}:{server.server_address[1]}", calls)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def audio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AudioServer]:
    with serve_directory(tmp_path_factory.mktemp("served")) as server:
        yield server


@dataclass
class VoiceServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    log: Path | None = None
    admin_key: str = ""
    serve_args: tuple[str, ...] = ()

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
        """The real `voice` command on this server's database and settings; fails the test if it fails."""
        return subprocess.run(
            [VOICE, *args],
            env=self.env,
            cwd=self.data_dir,
            input=input,
            capture_output=True,
            text=True,
            check=True,
        )

    def create_key(self, role: str, name: str | None = None, webhook_url: str | None = None) -> dict:
        """A key made by the real CLI on the server's database: {"id", "key", "webhook_secret", ...}."""
        args = ["keys", "create", "--name", name or f"test-{role}", "--role", role, "--json"]
        if webhook_url:
            args += ["--webhook-url", webhook_url]
        return json.loads(self.cli(*args).stdout)  # type: ignore[no-any-return]

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.admin_key}"}

    def start(self) -> None:
        if not self.admin_key:
            self.admin_key = self.create_key("admin", "test-admin")["key"]
        port = int(self.url.rsplit(":", 1)[1])
        assert self.log is not None
        with self.log.open("ab") as logfh:
            self.proc = subprocess.Popen(
                [VOICE, "serve", "--port", str(port), *self.serve_args],
                env=self.env,
                cwd=self.data_dir,
                stdout=logfh,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except (OSError, httpx.HTTPError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"voice serve exited: {self.log.read_text() if self.log else ''}")
            time.sleep(0.3)
        raise RuntimeError("voice serve did not become healthy")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def post_url(self, audio_url: str, key: str | None = None, **call: object) -> str:
        r = httpx.post(
            self.url + "/v1/voicemails",
            json={"audio_url": audio_url, "call": call},
            headers=self.headers(key),
            timeout=30,
        )
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    def get(self, vm_id: str) -> dict:
        r = httpx.get(f"{self.url}/v1/voicemails/{vm_id}", headers=self.headers(), timeout=30)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def wait(self, vm_id: str, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            vm = self.get(vm_id)
            if vm["status"] in ("done", "no_speech", "failed"):
                return vm
            time.sleep(0.2)
        raise AssertionError(f"voicemail {vm_id} not finished after {timeout} s: {self.get(vm_id)}")


def make_server(tmp: Path, **env: str) -> VoiceServer:
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "VOICE_DATA_DIR": str(data),
        "VOICE_TRANSCRIPTION__MODEL": "tiny.en",
        "VOICE_TRANSCRIPTION__CPU_THREADS": "2",
        "VOICE_TRANSCRIPTION__ALLOW_DOWNLOAD": "false",
        "VOICE_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
        # The test audio and webhook servers listen on loopback, which Voice refuses by default.
        "VOICE_FETCH__ALLOW_NETWORKS": '["127.0.0.0/8", "::1/128"]',
        **env,
    }
    return VoiceServer(f"http://127.0.0.1:{free_port()}", data, full_env, log=tmp / "server.log")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A local HTTP endpoint that records every POST; paths /fail-N/... answer 500 N times first."""

    url: str
    received: list[Received] = field(default_factory=list)

    def wait_for(self, predicate: object, timeout: float = 120) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in list(self.received) if predicate(r)]  # type: ignore[operator]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no matching webhook after {timeout} s; got {[r.path for r in self.received]}")


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver("")
    counts: dict[str, int] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            counts[self.path] = counts.get(self.path, 0) + 1
            code = 200
            if self.path.startswith("/fail-"):
                code = 500 if counts[self.path] <= int(self.path.split("/")[1][5:]) else 200
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def voice_server(
    tmp_path_factory: pytest.TempPathFactory, audio_server: AudioServer
) -> Iterator[VoiceServer]:
    """One real `voice serve` (uvicorn, SQLite WAL, embedded worker, tiny.en) for the session."""
    server = make_server(
        tmp_path_factory.mktemp("voice"),
        VOICE_TWILIO__ACCOUNTS=json.dumps(
            [{"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "api_key_name": "twilio-owner"}]
        ),
        VOICE_TWILIO__MEDIA_PREFIXES=json.dumps([audio_server.url + "/2010-04-01/"]),
        VOICE_WEBHOOKS__BACKOFF_S="0.3",
        VOICE_WEBHOOKS__POLL_INTERVAL_S="0.2",
        VOICE_FETCH__MAX_BYTES=str(3 * 1024 * 1024),
        VOICE_AUDIO__MAX_DURATION_S="60",
        VOICE_FETCH__RETRIES="2",
        VOICE_FETCH__BACKOFF_S="0.1",
        VOICE_FETCH__SOURCES='[{"prefix": "http://127.0.0.1", "username": "rec", "password": "s3cret-pw"}]',
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def have_ffmpeg() -> str:
    if shutil.which(ffmpeg()) is None and not Path(ffmpeg()).exists():
        pytest.fail("no ffmpeg")
    return ffmpeg()


def seed_voicemail(
    session: Session,
    *,
    source: Path | None = None,
    text: str = "Hi, this is an old transcript.",
    model: str = "base",
    language: str = "en",
    confidence: float = 0.9,
    mailbox: str | None = None,
    status: str = "done",
    intent: str | None = "other",
    from_number: str | None = None,
) -> str:
    """A voicemail as an earlier processing left it: done, with one revision and its summary, an agent's
    state, assignee and note. ``source`` is its stored audio (the file is used where it is)."""
    from voice.storage import search, store
    from voice.storage.models import Summary, TranscriptRevision, Voicemail, VoicemailNote

    vm_id = store.create_voicemail(
        session,
        store.CallInfo(mailbox=mailbox, from_number=from_number),
        source_path=str(source) if source else None,
        original_filename=source.name if source else None,
    ).id
    rev = TranscriptRevision(
        engine="faster-whisper", model=model, language=language, text=text, confidence=confidence
    )
    summary = Summary(text=f"summary of: {text[:40]}", intent=intent, priority=10.0)
    rev_id = store.add_revision(session, vm_id, rev, summary)
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.status, vm.current_revision_id, vm.priority = status, rev_id, 10.0
    vm.duration_s = 3.0
    vm.agent_state, vm.assignee = "in_progress", "dana"
    session.add(VoicemailNote(voicemail_id=vm_id, author="dana", text="called once, no answer"))
    session.flush()
    search.reindex(session, vm_id)
    return vm_id


def with_audio(session: Session, settings: Any, vm_id: str) -> Path:
    """Give a seeded voicemail audio files where the pipeline keeps them."""
    from voice.storage.files import voicemail_dir
    from voice.storage.models import Voicemail

    folder = voicemail_dir(settings, vm_id)
    folder.mkdir(parents=True)
    (folder / "source").write_bytes(b"RIFF....WAVE" + b"\0" * 100)
    (folder / "normalised.wav").write_bytes(b"RIFF....WAVE" + b"\0" * 100)
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.source_path, vm.audio_path = str(folder / "source"), str(folder / "normalised.wav")
    return folder
