"""Request bodies on a real server (413), declared or chunked: what uvicorn hands the limit. Requests per
minute and pending voicemails per key are checked on the app in process in tests/api/test_rate_limits.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.serve import VoiceServer, make_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    server = make_server(
        tmp_path_factory.mktemp("limits"),
        VOICE_LIMITS__REQUESTS_PER_MINUTE="5",
        VOICE_LIMITS__PENDING_PER_KEY="2",
        VOICE_LIMITS__MAX_BODY_BYTES="4000",
        VOICE_API__MAX_UPLOAD_BYTES="100000",
    )
    server.serve_args = ("--no-worker",)  # posted voicemails stay queued: pending
    server.start()
    yield server
    server.stop()


def test_request_bodies(limited: VoiceServer) -> None:
    key = limited.create_key("ingest", "bodies")["key"]
    url, headers = f"{limited.url}/v1/voicemails", limited.headers(key)
    big = {"audio_url": "http://127.0.0.1:9/a.wav", "call": {"metadata": {"x": "y" * 5000}}}
    r = httpx.post(url, json=big, headers=headers)  # Content-Length declared
    assert r.status_code == 413 and "4000 bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"audio_url": "http://127.0.0.1:9/a.wav", "call": {"metadata": {"x": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}}}'

    r = httpx.post(url, content=chunks(), headers={**headers, "content-type": "application/json"})
    assert r.status_code == 413
    r = httpx.post(url, files={"file": ("a.wav", b"\0" * 200_000)}, headers=headers)
    assert r.status_code == 413
    r = httpx.post(url, files={"file": ("a.wav", b"\0" * 50_000)}, headers=headers)
    assert r.status_code == 202  # an upload under its own limit, far over the JSON one
