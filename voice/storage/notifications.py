"""The notification outbox (docs/notifications.md): a row per voicemail, channel and event, written in the
transaction that routes the voicemail (voice/routing/route.py), so a crash between "routed" and "told the
team" loses nothing; sent by voice/integrations/notifications.py.

Digest channels: a row of a voicemail that is not urgent waits until ``digest_minutes`` after the channel's
last digest (at once when none was sent lately); the first row due then carries a message listing every
row waiting for that channel. Urgent voicemails, and events other than a new voicemail (a reassignment), go
at once, past the digest."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voice.storage.models import Notification, NotificationChannel, as_utc, utcnow

EVENT = "voicemail.new"
URGENT = "urgent"
# The most voicemails one digest lists; the rest wait for the next one.
DIGEST_LIMIT = 50


def due_at(channel: NotificationChannel, urgent: bool, now: datetime) -> tuple[bool, datetime]:
    """(whether the row waits for a digest, when it is due)."""
    if channel.digest_minutes is None or urgent:
        return False, now
    if channel.last_digest_at is None:
        return True, now
    return True, max(now, as_utc(channel.last_digest_at) + timedelta(minutes=channel.digest_minutes))


def enqueue(
    session: Session, vm_id: str, channel_names: Iterable[str], urgency: str | None, event: str = EVENT
) -> list[Notification]:
    """A row for each enabled channel named, in the caller's transaction; a channel already told of this
    voicemail's event (routing again after a reprocess) is not told twice."""
    names = sorted(set(channel_names))
    if not names:
        return []
    now = utcnow()
    urgent = urgency == URGENT
    channels = session.scalars(
        select(NotificationChannel).where(
            NotificationChannel.name.in_(names), NotificationChannel.enabled.is_(True)
        )
    ).all()
    told = set(
        session.scalars(
            select(Notification.channel_id).where(
                Notification.voicemail_id == vm_id, Notification.event == event
            )
        )
    )
    rows = []
    for channel in channels:
        if channel.id in told:
            continue
        # Only new voicemails wait for a digest: a reassignment is news for its new assignee now.
        digest, at = due_at(channel, urgent or event != EVENT, now)
        rows.append(
            Notification(
                voicemail_id=vm_id,
                channel_id=channel.id,
                event=event,
                urgent=urgent,
                digest=digest,
                next_attempt_at=at,
                created_at=now,
            )
        )
    session.add_all(rows)
    return rows


def digest_batch(session: Session, leader: Notification, hold_until: datetime) -> list[Notification]:
    """The other rows waiting for ``leader``'s channel's digest (due or not: they all arrived since the last
    one), held until ``hold_until`` so no other process takes one up as a digest of its own meanwhile."""
    now = utcnow()
    rows = list(
        session.scalars(
            select(Notification)
            .where(
                Notification.channel_id == leader.channel_id,
                Notification.status == Notification.PENDING,
                Notification.digest.is_(True),
                Notification.id != leader.id,
                (Notification.lease_expires_at.is_(None)) | (Notification.lease_expires_at < now),
            )
            .order_by(Notification.created_at)
            .limit(DIGEST_LIMIT - 1)
        )
    )
    if rows:
        session.execute(
            update(Notification)
            .where(Notification.id.in_([r.id for r in rows]))
            .values(next_attempt_at=hold_until)
            .execution_options(synchronize_session=False)
        )
    return rows


def settle_batch(
    session: Session,
    leader: Notification,
    others: list[str],
    sent_at: datetime | None,
    retry_at: datetime | None,
) -> None:
    """After the leader's attempt: the rows it listed end ``digested`` (sent), or wait for its next attempt
    (failed; at once when it was given up, so a digest of their own carries them)."""
    if not others:
        return
    values: dict[str, object]
    if sent_at is not None:
        values = {"status": Notification.DIGESTED, "digest_id": leader.id, "sent_at": sent_at}
    else:
        values = {"next_attempt_at": retry_at or utcnow()}
    session.execute(
        update(Notification)
        .where(Notification.id.in_(others), Notification.status == Notification.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
