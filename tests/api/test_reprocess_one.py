"""Reprocessing one voicemail (POST /v1/voicemails/{id}/reprocess, the inbox's button) is a reprocess run of
one item, on the app in process with the fixed engine: the new revision is made current the way the pipeline
makes one (priority with the overdue boost, search index, no second completion webhook); a failure leaves
the voicemail and its transcript as they were; a voicemail whose audio was never stored is retried from the
start."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.http_servers import AudioServer, WebhookReceiver
from tests.support.paths import ROOT
from tests.support.seed import seed_voicemail
from voice.storage.models import ReprocessItem, Voicemail, WebhookDelivery, utcnow
from voice.transcription.engines import get_engine

SAMPLE = ROOT / "samples" / "billing_invoice.wav"  # speech, so it reaches the (fixed) engine


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with local_server(app_settings(tmp_path_factory.mktemp("reprocess-one") / "data", worker=True)) as server:
        yield server


@pytest.fixture(scope="module")
def hooked_key(app: LocalServer, webhook_receiver: WebhookReceiver) -> str:
    """An admin key with a webhook URL, so every outbox row its voicemails get can be counted."""
    return str(app.create_key("admin", "reprocess-hooked", f"{webhook_receiver.url}/reprocess-one")["key"])


def _done_voicemail(app: LocalServer, audio_server: AudioServer, key: str, name: str) -> dict:
    shutil.copy(SAMPLE, audio_server.root / name)
    vm = app.wait(app.post_url(f"{audio_server.url}/{name}", key=key))
    assert vm["status"] == "done" and vm["transcript"]["revision"] == 1, vm
    return vm


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _finished_run(app: LocalServer, run_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = app.client.get(f"/v1/reprocess-runs/{run_id}", headers=app.headers()).json()
        if run["state"] == "done":
            return dict(run)
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} not done after {timeout} s")


def _events(app: LocalServer, vm_id: str) -> list[str]:
    """The outbox rows written for the voicemail, by event."""
    with app.sm() as session:
        found = session.scalars(select(WebhookDelivery.event).where(WebhookDelivery.voicemail_id == vm_id))
        return sorted(found)


def test_a_reprocess_makes_a_new_revision_current_as_the_pipeline_does(
    app: LocalServer, audio_server: AudioServer, hooked_key: str
) -> None:
    from voice.usecases.overdue import mark_overdue

    vm = _done_voicemail(app, audio_server, hooked_key, "reprocess-one-ok.wav")
    vm_id, triaged = vm["id"], vm["transcript"]["summary"]["priority"]
    assert mark_overdue(app.sm, app.settings, utcnow() + timedelta(days=30)) == [vm_id]
    boosted = triaged + app.settings.sla.priority_boost
    with app.sm() as session:
        assert session.get(Voicemail, vm_id).priority == boosted  # type: ignore[union-attr]
        # A stale search index: only a reindex of the new current revision finds it again.
        session.execute(text("DELETE FROM voicemail_search WHERE voicemail_id = :id"), {"id": vm_id})
        session.commit()
    assert _events(app, vm_id) == ["voicemail.done", "voicemail.overdue"]

    r = app.client.post(f"/v1/voicemails/{vm_id}/reprocess", headers=app.headers())
    assert r.status_code == 202, r.text
    answer = r.json()
    assert answer["id"] == vm_id and answer["status"] == "done" and answer["run_id"]
    run = _finished_run(app, answer["run_id"])
    assert run["selected"] == 1 and run["counts"]["done"] == 1 and run["selection"] == {"ids": [vm_id]}

    again = app.get(vm_id)
    assert again["status"] == "done" and again["transcript"]["revision"] == 2
    with app.sm() as session:
        row = session.get(Voicemail, vm_id)
        assert row is not None and row.current_revision is not None
        assert row.current_revision.run_id == answer["run_id"] and row.current_revision.number == 2
        assert row.priority == boosted  # the new triage's priority, still raised: it is still overdue
        assert (row.agent_state, row.overdue_at is not None) == ("new", True)
    found = app.client.get("/v1/voicemails", params={"q": "invoice 4471"}, headers=app.headers()).json()
    assert vm_id in [i["id"] for i in found["items"]]
    history = [e["detail"] or "" for e in again["history"]]
    assert any(d.startswith("reprocess requested by") and answer["run_id"] in d for d in history)
    assert any(f"reprocess run {answer['run_id']}: revision 2" in d for d in history)
    # The voicemail did not end again: no second completion webhook (docs/api.md, "Completion webhooks").
    assert _events(app, vm_id) == ["voicemail.done", "voicemail.overdue"]


def test_a_failed_reprocess_leaves_the_voicemail_and_its_transcript_as_they_were(
    app: LocalServer, audio_server: AudioServer, hooked_key: str
) -> None:
    vm = _done_voicemail(app, audio_server, hooked_key, "reprocess-one-fails.wav")
    vm_id = vm["id"]
    with app.sm() as session:
        stored = session.get(Voicemail, vm_id).priority  # type: ignore[union-attr]
    get_engine(app.settings.transcription).fail_next("the engine broke")  # type: ignore[attr-defined]

    r = app.client.post(f"/v1/voicemails/{vm_id}/reprocess", headers=app.headers())
    assert r.status_code == 202 and r.json()["status"] == "done"
    run = _finished_run(app, r.json()["run_id"])
    assert run["counts"]["failed"] == 1 and run["counts"]["done"] == 0

    with app.sm() as session:
        item = session.scalars(select(ReprocessItem).where(ReprocessItem.run_id == run["id"])).one()
        assert (item.voicemail_id, item.state, item.reason) == (vm_id, "failed", "the engine broke")
        assert session.get(Voicemail, vm_id).priority == stored  # type: ignore[union-attr]
    after = app.get(vm_id)
    assert (after["status"], after["status_reason"]) == ("done", None)
    assert after["transcript"] == vm["transcript"]  # revision 1 is still current, as it was
    assert any("the current transcript is kept" in (e["detail"] or "") for e in after["history"])
    assert _events(app, vm_id) == ["voicemail.done"]


def test_a_voicemail_whose_audio_was_never_stored_is_retried_from_the_start(
    app: LocalServer, audio_server: AudioServer
) -> None:
    vm_id = app.post_url(f"{audio_server.url}/reprocess-one-late.wav")
    first = app.wait(vm_id)
    assert first["status"] == "failed" and first["transcript"] is None  # the audio was not there yet
    shutil.copy(SAMPLE, audio_server.root / "reprocess-one-late.wav")

    r = app.client.post(f"/v1/voicemails/{vm_id}/reprocess", headers=app.headers())
    assert r.status_code == 202
    assert r.json() == {"id": vm_id, "status": "queued", "run_id": None}
    again = app.wait(vm_id)
    assert again["status"] == "done" and again["transcript"]["revision"] == 1  # fetched, then processed
    assert any((e["detail"] or "").startswith("retry requested by") for e in again["history"])


def test_one_reprocess_at_a_time_and_none_while_processing(tmp_path_factory: pytest.TempPathFactory) -> None:
    # No worker: what is asked for stays asked for.
    settings = app_settings(tmp_path_factory.mktemp("reprocess-busy") / "data")
    with local_server(settings) as app:
        with app.sm() as session:
            source = settings.data_dir / "stored.wav"
            shutil.copy(SAMPLE, source)
            idle = seed_voicemail(session, source=source)
            session.get(Voicemail, idle).audio_path = str(source)  # type: ignore[union-attr]
            busy = seed_voicemail(session, source=source, status="transcribing")
            session.commit()
        url = f"/v1/voicemails/{idle}/reprocess"
        first = app.client.post(url, headers=app.headers())
        assert first.status_code == 202 and first.json()["run_id"]
        second = app.client.post(url, headers=app.headers())
        assert second.status_code == 409 and first.json()["run_id"] in second.json()["detail"]
        r = app.client.post(f"/v1/voicemails/{busy}/reprocess", headers=app.headers())
        assert r.status_code == 409 and "being processed" in r.json()["detail"]
        with app.sm() as session:  # nothing changed for the one in flight
            assert session.get(Voicemail, busy).status == "transcribing"  # type: ignore[union-attr]
            items = session.scalars(select(ReprocessItem.voicemail_id)).all()
        assert items == [idle]


def test_the_inbox_reprocess_button_makes_the_same_run(app: LocalServer, audio_server: AudioServer) -> None:
    from fastapi.testclient import TestClient

    vm_id = _done_voicemail(app, audio_server, app.admin_key, "reprocess-one-page.wav")["id"]
    app.create_user("root-admin", "correct horse battery", "admin")
    with TestClient(app.client.app) as browser:
        token = _csrf(browser.get("/login").text)
        signed_in = browser.post(
            "/login",
            data={
                "username": "root-admin",
                "password": "correct horse battery",
                "next": "/",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        token = _csrf(browser.get(f"/voicemails/{vm_id}").text)
        r = browser.post(f"/voicemails/{vm_id}/reprocess", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/voicemails/{vm_id}"
    with app.sm() as session:
        run_id = session.scalars(
            select(ReprocessItem.run_id).where(ReprocessItem.voicemail_id == vm_id)
        ).one()
    _finished_run(app, run_id)
    again = app.get(vm_id)
    assert again["status"] == "done" and again["transcript"]["revision"] == 2
    assert any(f"reprocess requested by root-admin: run {run_id}" == e["detail"] for e in again["history"])
