"""Digests sent by several processes at once (docs/notifications.md#digests): two processes holding two rows
of one digest channel send one message per window between them, and every voicemail is listed in exactly one
message. A real local HTTP receiver takes the signed webhook's JSON; on SQLite (a file) and PostgreSQL (the
`sm` fixture)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.http_servers import WebhookReceiver, receive_webhooks
from tests.support.seed import seed_voicemail

N = 12


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from voice.core.config import Settings

    return Settings(
        data_dir=tmp_path,
        public_url="https://voice.example.com/",
        notifications={"backoff_s": 0.0, "max_attempts": 3, "timeout_s": 5.0, "poll_interval_s": 0.05},
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with receive_webhooks() as r:
        yield r


def _digest_channel(sm: sessionmaker[Session], url: str) -> list[str]:
    """A webhook channel with a 30-minute digest and N calm voicemails waiting for it."""
    from voice.storage import channels
    from voice.storage import notifications as outbox

    with sm() as session:
        channels.add(session, None, "digest", "webhook", {"url": url}, {}, digest_minutes=30)
        vms = [seed_voicemail(session, text=f"Please call me back about order {i}.") for i in range(N)]
        for vm_id in vms:
            outbox.enqueue(session, vm_id, ["digest"], "normal")
        session.commit()
    return vms


def _messages(receiver: WebhookReceiver, path: str) -> list[list[str]]:
    """The voicemail ids each message received on ``path`` listed."""
    bodies = [json.loads(r.body) for r in list(receiver.received) if r.path == path]
    return [[v["id"] for v in b["data"]["voicemails"]] for b in bodies]


def _drain(sm: sessionmaker[Session], settings: Any) -> None:
    from voice.integrations import notifications

    for _ in range(N * 2):
        claimed = notifications.claim_due(sm, settings)
        if claimed is None:
            return
        notifications.deliver_one(sm, claimed, settings)


def _pending(sm: sessionmaker[Session]) -> list[str]:
    from voice.storage.models import Notification

    with sm() as session:
        return list(
            session.scalars(select(Notification.voicemail_id).where(Notification.status == "pending"))
        )


def _next_window(sm: sessionmaker[Session]) -> None:
    """As if the channel's 30 minutes had passed: its last digest and its waiting rows move back."""
    from voice.storage.models import Notification, NotificationChannel, as_utc, utcnow

    with sm() as session:
        channel = session.scalars(select(NotificationChannel)).one()
        assert channel.last_digest_at is not None
        channel.last_digest_at = as_utc(channel.last_digest_at) - timedelta(minutes=31)
        session.execute(
            update(Notification)
            .where(Notification.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def _late_row_due_now(sm: sessionmaker[Session]) -> str:
    """A voicemail routed while the digest was being sent, before its time was written, so its row is due at
    once; and the rows left waiting made due too."""
    from voice.storage import notifications as outbox
    from voice.storage.models import Notification, utcnow

    with sm() as session:
        late = seed_voicemail(session, text="Please call me back, I was late.")
        outbox.enqueue(session, late, ["digest"], "normal")
        session.execute(
            update(Notification).where(Notification.status == "pending").values(next_attempt_at=utcnow())
        )
        session.commit()
    return late


def _each_once(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver, path: str, vms: list[str]
) -> None:
    """After one digest: what was left waiting (a row another process held when it was gathered, a row due
    at once) goes in the next window's message, not before; every voicemail is listed exactly once, every
    row ends and no lease is left."""
    from voice.storage.models import Notification, NotificationChannel, as_utc

    [listed] = _messages(receiver, path)
    assert len(listed) == len(set(listed))
    assert sorted(listed + _pending(sm)) == sorted(vms)
    vms = [*vms, _late_row_due_now(sm)]
    waiting = _pending(sm)
    _drain(sm, settings)
    assert len(_messages(receiver, path)) == 1  # not before the window ends
    with sm() as session:
        last = session.scalars(select(NotificationChannel.last_digest_at)).one()
        assert last is not None
        wait = session.scalars(select(Notification.next_attempt_at).where(Notification.status == "pending"))
        assert {as_utc(w) for w in wait if w is not None} == {as_utc(last) + timedelta(minutes=30)}
    _next_window(sm)
    _drain(sm, settings)
    messages = _messages(receiver, path)
    assert len(messages) == 2, messages
    assert sorted(messages[1]) == sorted(waiting)
    assert sorted(vm for m in messages for vm in m) == sorted(vms)
    with sm() as session:
        statuses = set(session.scalars(select(Notification.status)))
        assert statuses <= {"sent", "digested"}
        held = session.scalars(select(Notification.id).where(Notification.lease_owner.is_not(None))).all()
        assert held == []


def test_two_processes_holding_two_rows_of_one_channel_send_one_digest_listing_each_voicemail_once(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver
) -> None:
    from voice.integrations import notifications

    path = f"/race/{uuid.uuid4().hex}"
    vms = _digest_channel(sm, receiver.url + path)
    # Two processes (two replicas, or two threads of one pool) each claim a due row of the channel.
    first, second = notifications.claim_due(sm, settings), notifications.claim_due(sm, settings)
    assert first is not None and second is not None and first.id != second.id
    start = threading.Barrier(2)

    def deliver(claimed: Any) -> Any:
        start.wait()
        return notifications.deliver_one(sm, claimed, settings)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(deliver, [first, second]))
    _drain(sm, settings)  # whatever is due now goes
    messages = _messages(receiver, path)
    assert len(messages) == 1, f"{len(messages)} digests in one window, listing {[len(m) for m in messages]}"
    _each_once(sm, settings, receiver, path, vms)


def test_two_serving_processes_started_together_send_one_digest_per_window(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver
) -> None:
    from voice.integrations.notifications import NotificationSender

    path = f"/replicas/{uuid.uuid4().hex}"
    vms = _digest_channel(sm, receiver.url + path)
    senders = [NotificationSender(settings, sm) for _ in range(2)]
    for sender in senders:
        sender.start()
    try:
        receiver.wait_for(lambda r: r.path == path, timeout=30)
        time.sleep(1.5)  # time for a second message, if one were to go
    finally:
        for sender in senders:
            sender.stop()
    messages = _messages(receiver, path)
    assert len(messages) == 1, f"{len(messages)} digests in one window, listing {[len(m) for m in messages]}"
    _each_once(sm, settings, receiver, path, vms)
