"""/v1/reprocess-runs and /v1/voicemails/{id}/revisions against a real server (its embedded worker does
the runs' work between fresh voicemails)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.app import app_settings, local_server
from tests.support.audio import encode
from tests.support.http_servers import AudioServer
from tests.support.serve import VoiceServer
from tests.support.speech import clip_path

CLIPS = ["en_arctic_a0010", "en_arctic_a0024", "en_arctic_aew_a0001"]


@pytest.fixture(scope="module")
def processed(voice_server: VoiceServer, audio_server: AudioServer) -> list[str]:
    for clip in CLIPS:
        encode(clip_path(clip), audio_server.root / f"rr-{clip}.wav", "-ar", "8000", "-c:a", "pcm_mulaw")
    ids = [voice_server.post_url(f"{audio_server.url}/rr-{clip}.wav", mailbox="rr") for clip in CLIPS]
    assert all(voice_server.wait(vm_id)["status"] == "done" for vm_id in ids)
    return ids


def _wait_run(server: VoiceServer, run_id: str, until: Any, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{server.url}/v1/reprocess-runs/{run_id}", headers=server.headers()).json()
        if until(run):
            return run  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"run {run_id}: {run}")


def test_dry_run_run_and_revisions(voice_server: VoiceServer, processed: list[str]) -> None:
    url, headers = voice_server.url, voice_server.headers()
    body = {"ids": [*processed, "not-a-voicemail"], "stage": "summarise"}
    dry = httpx.post(f"{url}/v1/reprocess-runs", json={**body, "dry_run": True}, headers=headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["id"] is None and dry.json()["state"] == "dry_run" and dry.json()["selected"] == 3
    assert dry.json()["audio_minutes"] > 0.05 and dry.json()["not_taken"] == ["not-a-voicemail"]

    r = httpx.post(f"{url}/v1/reprocess-runs", json=body, headers=headers)
    assert r.status_code == 201, r.text
    run = _wait_run(voice_server, r.json()["id"], lambda run: run["state"] == "done")
    assert run["counts"]["done"] == 3 and run["ended"] == run["selected"] == 3
    assert run["selection"]["ids"][:3] == processed and run["created_by"].startswith("key:")
    assert run["per_minute"] > 0 and run["finished_at"]
    listed = httpx.get(f"{url}/v1/reprocess-runs", headers=headers).json()
    assert run["id"] in [r["id"] for r in listed]

    revisions = httpx.get(f"{url}/v1/voicemails/{processed[0]}/revisions", headers=headers).json()
    assert [r["revision"] for r in revisions] == [1, 2]
    first, second = revisions
    assert not first["current"] and second["current"] and second["run_id"] == run["id"]
    assert second["text"] == first["text"] and second["wer_vs_previous"] == 0.0  # summarise-only: same words
    assert second["timings"].keys() == {"summarise_s"}
    vm = voice_server.get(processed[0])
    assert vm["transcript"]["revision"] == 2 and vm["status"] == "done"
    assert httpx.post(f"{url}/v1/reprocess-runs/{run['id']}/cancel", headers=headers).status_code == 409


def test_throttled_run_cancel_and_resume(voice_server: VoiceServer, processed: list[str]) -> None:
    url, headers = voice_server.url, voice_server.headers()
    body = {"mailbox": "rr", "stage": "transcribe", "rate_per_min": 2}  # one now, the next in 30 s
    r = httpx.post(f"{url}/v1/reprocess-runs", json=body, headers=headers)
    assert r.status_code == 201 and r.json()["selected"] == 3, r.text
    run_id = r.json()["id"]
    _wait_run(voice_server, run_id, lambda run: run["ended"] == 1)
    cancelled = httpx.post(f"{url}/v1/reprocess-runs/{run_id}/cancel", headers=headers).json()
    assert cancelled["state"] == "cancelled" and cancelled["counts"]["pending"] == 2
    time.sleep(2)
    run = httpx.get(f"{url}/v1/reprocess-runs/{run_id}", headers=headers).json()
    assert run["ended"] == 1 and run["counts"]["done"] == 1  # nothing more was queued

    resumed = httpx.post(f"{url}/v1/reprocess-runs/{run_id}/resume", json={}, headers=headers).json()
    assert resumed["state"] == "running"
    run = _wait_run(voice_server, run_id, lambda run: run["ended"] == 2, timeout=90)
    httpx.post(f"{url}/v1/reprocess-runs/{run_id}/cancel", headers=headers)
    assert run["counts"]["done"] == 2 and run["eta_seconds"] is not None


def test_only_admins_make_runs(tmp_path: Path) -> None:
    with local_server(app_settings(tmp_path / "data")) as app:
        agent = app.create_key("agent", "rr-agent")["key"]
        r = app.client.post("/v1/reprocess-runs", json={"dry_run": True}, headers=app.headers(agent))
        assert r.status_code == 403
        r = app.client.post(
            "/v1/reprocess-runs", json={"stage": "summarise", "model": "small"}, headers=app.headers()
        )
        assert r.status_code == 422 and "do not apply" in r.json()["detail"]
