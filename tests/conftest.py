"""Fixtures. The helpers they use (speech clips, audio, local HTTP servers, real services, a real
`voice serve`, seeded rows) live in tests/support/."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support import services
from tests.support.audio import ffmpeg
from tests.support.http_servers import (
    TWILIO_SID,
    TWILIO_TOKEN,
    AudioServer,
    WebhookReceiver,
    receive_webhooks,
    serve_directory,
)
from tests.support.paths import VOICE
from tests.support.serve import VoiceServer, make_server
from tests.support.services import temp_postgres
from voice.transcription import engines


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


@pytest.fixture(scope="session")
def audio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AudioServer]:
    with serve_directory(tmp_path_factory.mktemp("served")) as server:
        yield server


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with receive_webhooks() as receiver:
        yield receiver


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks that follow from what a test uses, besides those written in the test files: the shared real
    server, or the PostgreSQL variant of a parametrised test (a parameter "postgresql": the `sm` fixture,
    `dialect`, ...), makes it e2e; a test under tests/api/ is api."""
    api = Path(__file__).parent / "api"
    for item in items:
        params = item.callspec.params.values() if hasattr(item, "callspec") else ()
        if "voice_server" in item.fixturenames or "postgresql" in params:
            item.add_marker(pytest.mark.e2e)
        if item.path.is_relative_to(api):
            item.add_marker(pytest.mark.api)
    # The slow files first: scripts/test.sh hands files to the two workers in this order
    # (--no-loadscope-reorder), so the many quick ones fill in at the end instead of one worker finishing a
    # long e2e file alone. A stable sort: each file's tests keep their order.
    tiers = {"e2e": 0, "api": 1}
    items.sort(key=lambda item: tiers.get(item.path.parent.name, 2))


@pytest.fixture(autouse=True)
def _quick_tests_start_nothing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked e2e that loads Whisper weights, starts a real `voice serve`, runs the `voice`
    command or needs a real service (PostgreSQL, Redis, RabbitMQ, a private instance) fails here, naming
    the mark it lacks: the quick tier stays quick and needs nothing installed. (Fixtures wider than a test
    are set up before this one; their tests are caught by the marks conftest adds.)"""
    if request.node.get_closest_marker("e2e"):
        return

    def refuse(what: str) -> object:
        def refused(*args: object, **kwargs: object) -> None:
            pytest.fail(f"{what} in a test not marked e2e: mark it (@pytest.mark.e2e)")

        return refused

    class NoLoads(dict):  # type: ignore[type-arg]
        """The engine cache, refusing a lookup that would load an engine: only FixedEngine is there."""

        def __contains__(self, key: object) -> bool:
            if not super().__contains__(key):
                refuse("loading Whisper weights")()
            return True

    monkeypatch.setattr(engines, "_cache", NoLoads(engines._cache))
    monkeypatch.setattr(VoiceServer, "start", refuse("a real `voice serve`"))
    monkeypatch.setattr(services, "require", refuse("a real service"))
    monkeypatch.setattr(services, "_need", refuse("a private service"))
    popen = subprocess.Popen

    class Guarded(popen):  # type: ignore[valid-type,misc]
        def __init__(self, args: object, *rest: object, **kw: object) -> None:
            if isinstance(args, list | tuple) and args and str(args[0]) == VOICE:
                refuse("the `voice` command")()
            super().__init__(args, *rest, **kw)

    monkeypatch.setattr(subprocess, "Popen", Guarded)
