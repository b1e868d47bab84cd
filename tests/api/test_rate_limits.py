"""Limits per key on the app in process: requests per minute and pending voicemails (429 with
Retry-After). Request bodies (413, declared or chunked) are checked on a real server in
tests/e2e/test_limits.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.app import LocalServer, app_settings, local_server


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    settings = app_settings(
        tmp_path_factory.mktemp("limits") / "data",
        worker=False,  # posted voicemails stay queued: pending
        limits={"requests_per_minute": 5, "pending_per_key": 2, "max_body_bytes": 4000},
        api={"max_upload_bytes": 100000},
    )
    with local_server(settings) as server:
        yield server


def test_requests_per_minute_per_key(limited: LocalServer) -> None:
    key, other = limited.create_key("agent", "rpm-a")["key"], limited.create_key("agent", "rpm-b")["key"]
    client, url = limited.client, "/v1/voicemails"
    codes = [client.get(url, headers=limited.headers(key)).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    r = client.get(url, headers=limited.headers(key))
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert "slow down" in r.json()["detail"]
    assert client.get("/v1/voicemails", headers=limited.headers(other)).status_code == 200


def test_pending_voicemails_per_key(limited: LocalServer) -> None:
    key = limited.create_key("ingest", "pending")["key"]
    client, body = limited.client, {"audio_url": "http://127.0.0.1:9/a.wav"}
    codes = [
        client.post("/v1/voicemails", json=body, headers=limited.headers(key)).status_code for _ in range(3)
    ]
    assert codes == [202, 202, 429]
    upload = {"file": ("a.wav", b"RIFF" + b"\0" * 100)}
    r = client.post("/v1/voicemails", files=upload, headers=limited.headers(key))
    assert r.status_code == 429 and r.headers["retry-after"] == "30" and "waiting" in r.json()["detail"]
