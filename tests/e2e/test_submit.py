"""`voice submit` over a folder (issue 17 item 25): one list call per poll round, Retry-After honoured on
429 and 503, and a line for a person instead of a traceback for every answer the server documents."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.paths import VOICE
from tests.support.serve import VoiceServer, make_server
from tests.support.speech import clip_path
from voice.integrations import apiclient

CLIPS = (
    "en_arctic_a0010",
    "en_arctic_a0024",
    "en_arctic_aew_a0001",
    "en_arctic_axb_a0004",
    "en_arctic_a0010",
)


def test_poll_is_one_list_call_and_waits_out_429_and_503(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against a stand-in server: the documented 429 and 503 bodies have no "status" (the KeyError)."""
    slept: list[float] = []
    monkeypatch.setattr(apiclient.time, "sleep", slept.append)
    ids = {f"{n:032x}" for n in range(130)}
    seen: list[httpx.Request] = []
    answers = iter(
        [
            httpx.Response(
                429,
                json={"detail": "too many requests for this key; slow down"},
                headers={"Retry-After": "7"},
            ),
            httpx.Response(503, json={"detail": "the database is unavailable"}, headers={"Retry-After": "2"}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if (early := next(answers, None)) is not None:
            return early
        asked = request.url.params.get_list("id")
        assert request.url.path == "/v1/voicemails" and int(request.url.params["limit"]) == len(asked)
        items = [
            {"id": i, "status": "done" if i.endswith("1") else "processing"} for i in asked if i != ids_gone
        ]
        return httpx.Response(200, json={"items": items, "next_cursor": None, "counts": {}})

    ids_gone = f"{5:032x}"
    waits: list[str] = []
    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://voice.test") as client:
        finished, gone = apiclient.finished_voicemails(client, set(ids), on_wait=waits.append)
    assert slept == [7.0, 2.0] and "rate limit" in waits[0] and "available again" in waits[1]
    # Asked again after each wait, then one call per 100 ids, never one per voicemail.
    assert [len(r.url.params.get_list("id")) for r in seen] == [100, 100, 100, 30]
    assert {vm["id"] for vm in finished} == {i for i in ids if i.endswith("1")} and gone == {ids_gone}

    refused = httpx.Response(422, json={"detail": [{"loc": ["query", "id", 0], "msg": "too long"}]})
    assert str(apiclient.ApiError(refused)) == "HTTP 422: id.0: too long"
    proxy = httpx.Response(502, text="<html>Bad Gateway</html>")
    assert str(apiclient.ApiError(proxy)) == "HTTP 502: <html>Bad Gateway</html>"


@pytest.fixture(scope="module")
def rate_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    # A 10 s window rather than a minute: the same waits, in a sixth of the time.
    server = make_server(tmp_path_factory.mktemp("submit"), VOICE_LIMITS__RATE="8/10 seconds")
    server.start()
    yield server
    server.stop()


@pytest.mark.e2e
def test_submit_a_folder_through_the_rate_limit(rate_limited: VoiceServer, tmp_path: Path) -> None:
    """A real server allowing 8 requests per 10 s per key and a folder of 5 voicemails: 5 uploads and a
    few poll rounds trip the limit; submit waits as Retry-After says and finishes them all."""
    folder = tmp_path / "voicemails"
    folder.mkdir()
    for n, clip in enumerate(CLIPS):
        shutil.copy(clip_path(clip), folder / f"vm{n}.flac")
    key = rate_limited.create_key("ingest", "submitter")["key"]
    out = subprocess.run(
        [VOICE, "submit", str(folder), "--url", rate_limited.url, "--key", key, "--timeout", "150"],
        env=rate_limited.env,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 0, out.stderr
    assert re.search(r"waiting \d+ s for the rate limit \(HTTP 429", out.stderr), out.stderr
    results = [line for line in out.stdout.splitlines() if line.startswith("vm")]
    assert sorted(line.split(":")[0] for line in results) == [f"vm{n}.flac" for n in range(5)]
    assert all(": done: " in line for line in results), out.stdout

    # A documented refusal is one line and exit 2, not a traceback.
    bad = subprocess.run(
        [VOICE, "submit", str(folder / "vm0.flac"), "--url", rate_limited.url, "--key", "vk_not_a_key"],
        env=rate_limited.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "invalid" in bad.stderr, bad.stderr
