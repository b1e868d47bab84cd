"""Callback deadlines: overdue once, higher in the priority order, one voicemail.overdue webhook."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.support.audio import encode
from tests.support.http_servers import AudioServer, WebhookReceiver
from tests.support.serve import make_server
from tests.support.speech import clip_path


@pytest.mark.e2e
def test_overdue_once_with_a_webhook_and_a_higher_priority(
    audio_server: AudioServer, webhook_receiver: WebhookReceiver, tmp_path: Path
) -> None:
    encode(clip_path("en_arctic_a0024"), audio_server.root / "sla.wav")
    server = make_server(
        tmp_path,
        VOICE_SLA__DEFAULT_HOURS="0.0008",  # about 3 s
        VOICE_SLA__MAILBOXES='{"patient": 100}',
        VOICE_SLA__CHECK_INTERVAL_S="0.3",
        VOICE_WEBHOOKS__POLL_INTERVAL_S="0.2",
    )
    server.start()
    try:
        path = f"/sla/{uuid.uuid4().hex}"
        key = server.create_key("ingest", "sla", webhook_url=webhook_receiver.url + path)
        late = server.post_url(f"{audio_server.url}/sla.wav", key=key["key"], mailbox="support")
        patient = server.post_url(f"{audio_server.url}/sla.wav", key=key["key"], mailbox="patient")
        for vm_id in (late, patient):
            server.wait(vm_id)

        hooks = webhook_receiver.wait_for(
            lambda h: h.path == path and b"voicemail.overdue" in h.body, timeout=30
        )
        time.sleep(2.0)  # a few more sweeps: nothing fires twice
        overdue = [h for h in webhook_receiver.received if h.path == path and b"voicemail.overdue" in h.body]
        payloads = [Webhook(key["webhook_secret"]).verify(h.body, h.headers) for h in overdue]
        ids = [p["data"]["id"] for p in payloads]
        assert hooks and ids == [late], ids
        assert payloads[0]["data"]["overdue_at"] and payloads[0]["data"]["agent_state"] == "new"

        vm = server.get(late)
        assert vm["overdue_at"] is not None
        assert vm["priority"] >= vm["summary"]["priority"] + 30  # raised in the priority order
        assert any("callback deadline" in (e["detail"] or "") for e in vm["history"])
        assert server.get(patient)["overdue_at"] is None
    finally:
        server.stop()


def test_only_unhandled_done_voicemails_past_their_deadline(tmp_path: Path) -> None:
    from datetime import timedelta

    from voice.core.config import Settings
    from voice.storage import db
    from voice.storage.models import Voicemail, utcnow
    from voice.storage.voicemails import CallInfo, create_voicemail
    from voice.usecases.overdue import mark_overdue

    settings = Settings(data_dir=tmp_path, sla={"default_hours": 4, "mailboxes": {"sales": 1}})
    db.upgrade(settings.db_url)
    sm = db.make_sessionmaker(db.make_engine(settings.db_url))
    now = utcnow()
    cases = {  # (mailbox, hours ago, status, agent state) -> overdue?
        ("support", 5, "done", "new"): True,
        ("support", 3, "done", "new"): False,
        ("sales", 2, "done", "in_progress"): True,
        ("support", 5, "done", "handled"): False,
        ("support", 5, "failed", "new"): False,
        ("support", 5, "no_speech", "new"): False,
        ("support", 5, "transcribing", "new"): False,
    }
    ids = {}
    with sm() as session:
        for case in cases:
            mailbox, hours, status, state = case
            stored = create_voicemail(session, CallInfo(mailbox=mailbox), audio_url="https://x.example/a")
            vm = session.get(Voicemail, stored.id)
            vm.status, vm.agent_state, vm.priority = status, state, 20.0
            vm.created_at = now - timedelta(hours=hours)
            ids[case] = vm.id
        session.commit()
    marked = mark_overdue(sm, settings, now)
    assert sorted(marked) == sorted(ids[c] for c, due in cases.items() if due)
    assert mark_overdue(sm, settings, now) == []  # once
    with sm() as session:
        assert session.get(Voicemail, marked[0]).priority == 50.0
