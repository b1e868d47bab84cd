"""Notifications whose channel was disabled or deleted after they were queued (docs/notifications.md#when-
messages-are-sent): a disabled channel's rows end ``failed`` with the reason `the channel is disabled` at
once (digest rows waiting for their window too, and one a process had already claimed), nothing is sent and
nothing is retried; a deleted channel's rows go with it, and a process holding one of them stops without an
error. A real local HTTP receiver stands for the channel; on SQLite and PostgreSQL (the `sm` fixture)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.support.http_servers import WebhookReceiver, receive_webhooks
from tests.support.seed import seed_voicemail


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from voice.core.config import Settings

    return Settings(data_dir=tmp_path, notifications={"backoff_s": 0.0, "max_attempts": 3, "timeout_s": 5.0})


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with receive_webhooks() as r:
        yield r


def _queue(sm: sessionmaker[Session], url: str) -> None:
    """Two channels, each with a voicemail going at once and two waiting for a 30-minute digest (the last
    went out a minute ago, so they are due in 29 minutes)."""
    from voice.storage import channels
    from voice.storage import notifications as outbox
    from voice.storage.models import NotificationChannel, utcnow

    with sm() as session:
        channels.add(session, None, "now", "webhook", {"url": url}, {})
        channels.add(session, None, "later", "webhook", {"url": url}, {}, digest_minutes=30)
        later = session.scalars(select(NotificationChannel).where(NotificationChannel.name == "later")).one()
        later.last_digest_at = utcnow() - timedelta(minutes=1)
        for urgency in ("urgent", "normal", "low"):
            vm_id = seed_voicemail(session, text=f"Please call me back ({urgency}).")
            outbox.enqueue(session, vm_id, ["now", "later"], urgency)
        session.commit()


def _rows(sm: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    from voice.storage.models import Notification, NotificationAttempt, NotificationChannel

    with sm() as session:
        attempts = session.scalar(select(NotificationAttempt.id).limit(1))
        assert attempts is None  # nothing was tried
        query = select(NotificationChannel.name, Notification.status, Notification.last_error)
        query = query.join(NotificationChannel, NotificationChannel.id == Notification.channel_id)
        return [(r[0], r[1], r[2]) for r in session.execute(query.order_by(NotificationChannel.name))]


def _drain(sm: sessionmaker[Session], settings: Any) -> int:
    from voice.integrations import notifications

    for n in range(20):
        claimed = notifications.claim_due(sm, settings)
        if claimed is None:
            return n
        assert notifications.deliver_one(sm, claimed, settings) is None
    raise AssertionError("still claiming after 20 rounds: retried forever")


def test_a_disabled_channels_rows_end_failed_with_the_reason_and_nothing_is_sent(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver
) -> None:
    from voice.integrations import notifications
    from voice.storage import channels

    path = f"/off/{uuid.uuid4().hex}"
    _queue(sm, receiver.url + path)
    held = notifications.claim_due(sm, settings)  # a process has one in hand when it is disabled
    assert held is not None
    with sm() as session:
        channels.update(session, None, "now", enabled=False)
        channels.update(session, None, "later", enabled=False)
        session.commit()
    assert notifications.deliver_one(sm, held, settings) is None
    _drain(sm, settings)
    rows = _rows(sm)
    assert len(rows) == 6
    assert {r[1:] for r in rows} == {("failed", "the channel is disabled")}, rows
    assert [r for r in receiver.received if r.path == path] == []
    assert _drain(sm, settings) == 0  # given up: nothing left to claim


def test_a_deleted_channels_rows_go_with_it_even_one_a_process_holds(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver
) -> None:
    from voice.integrations import notifications
    from voice.storage import channels
    from voice.storage.models import Notification

    path = f"/gone/{uuid.uuid4().hex}"
    _queue(sm, receiver.url + path)
    held = notifications.claim_due(sm, settings)
    assert held is not None
    with sm() as session:
        channels.delete(session, "now")
        channels.delete(session, "later")
        session.commit()
    assert notifications.deliver_one(sm, held, settings) is None
    assert _drain(sm, settings) == 0
    with sm() as session:
        assert session.scalars(select(Notification)).all() == []
    assert [r for r in receiver.received if r.path == path] == []


def test_a_digest_gathered_while_its_channel_is_being_disabled_is_given_up_not_sent(
    sm: sessionmaker[Session], settings: Any, receiver: WebhookReceiver
) -> None:
    """A process checked that the digest channel is on, then waits for the channel's lock that the admin's
    disable holds; once the disable commits, the digest it was gathering is given up, not sent."""
    from voice.integrations import notifications
    from voice.storage import channels
    from voice.storage import notifications as outbox

    path = f"/racing/{uuid.uuid4().hex}"
    with sm() as session:
        channels.add(session, None, "digest", "webhook", {"url": receiver.url + path}, {}, digest_minutes=30)
        for n in range(2):
            outbox.enqueue(session, seed_voicemail(session, text=f"Call me ({n})."), ["digest"], "normal")
        session.commit()
    held = notifications.claim_due(sm, settings)
    assert held is not None
    engine = sm.kw["bind"]
    waiting = threading.Event()

    def locking(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if threading.current_thread() is deliverer and statement.startswith("UPDATE notification_channels"):
            waiting.set()

    event.listen(engine, "before_cursor_execute", locking)
    deliverer = threading.Thread(target=notifications.deliver_one, args=(sm, held, settings))
    try:
        with sm() as admin:
            channels.update(admin, None, "digest", enabled=False)  # holds the channel's row until commit
            deliverer.start()
            assert waiting.wait(30)
            _until_blocked(admin)
            admin.commit()
        deliverer.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", locking)
    assert not deliverer.is_alive()
    rows = _rows(sm)
    assert [r[1:] for r in rows] == [("failed", "the channel is disabled")] * 2, rows
    assert [r for r in receiver.received if r.path == path] == []


def _until_blocked(session: Session) -> None:
    """Until the other process waits for the lock this session holds (on SQLite, where that cannot be seen,
    a moment: the other is then at worst not yet waiting, and the test can pass without the fix, never fail
    with it)."""
    if session.get_bind().dialect.name != "postgresql":
        time.sleep(0.5)
        return
    for _ in range(300):
        if session.scalar(text("select count(*) from pg_locks where not granted")):
            return
        time.sleep(0.05)
    raise AssertionError("the delivering process never waited for the channel's lock")
