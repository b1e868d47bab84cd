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

from sqlalchemy import func, select, update
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


def take_digest(
    session: Session, leader: Notification, owner: str, now: datetime
) -> list[Notification] | datetime | str:
    """For ``leader``, a digest row ``owner`` claimed: the other rows waiting for its channel's digest (due or
    not: they all arrived since the last one), leased to ``owner`` until the leader's lease ends, so that each
    is listed by one message; or, when no digest of this channel may go now, when to try again: another one is
    in flight (until its lease ends), or the last went out less than ``digest_minutes`` ago; or ``DISABLED``
    when the channel was disabled since the caller looked (the disable holds the channel's row until it
    commits, so it is seen here, under the lock, and the digest is given up rather than sent).

    Two processes can hold two rows of one channel at once (the pool keeps one per channel only within a
    process), so the decision is taken under a write lock on the channel's row, taken first: a row lock on
    PostgreSQL, the database's write lock on SQLite. And each row is taken with a compare-and-set on its
    lease, so a row another process claimed meanwhile is not listed here too."""
    lock = NotificationChannel.id == leader.channel_id
    session.execute(
        update(NotificationChannel)
        .where(lock)
        .values(last_digest_at=NotificationChannel.last_digest_at)
        .execution_options(synchronize_session=False)
    )
    enabled, last, minutes = session.execute(
        select(
            NotificationChannel.enabled,
            NotificationChannel.last_digest_at,
            NotificationChannel.digest_minutes,
        ).where(lock)
    ).one()
    if not enabled:
        return DISABLED
    mine = (Notification.channel_id == leader.channel_id) & (Notification.status == Notification.PENDING)
    mine &= Notification.digest.is_(True)
    other = (Notification.lease_owner != owner) & (Notification.lease_expires_at >= now)
    in_flight = session.scalar(select(func.max(Notification.lease_expires_at)).where(mine, other))
    if in_flight is not None:
        return as_utc(in_flight)
    if last is not None and minutes is not None and as_utc(last) + timedelta(minutes=minutes) > now:
        return as_utc(last) + timedelta(minutes=minutes)
    free = (Notification.lease_expires_at.is_(None)) | (Notification.lease_expires_at < now)
    ids = select(Notification.id).where(mine, free, Notification.id != leader.id)
    ids = ids.order_by(Notification.created_at).limit(DIGEST_LIMIT - 1)
    wanted = list(session.scalars(ids))
    if not wanted:
        return []
    session.execute(
        update(Notification)
        .where(Notification.id.in_(wanted), mine, free)
        .values(lease_owner=owner, lease_expires_at=leader.lease_expires_at)
        .execution_options(synchronize_session=False)
    )
    taken = select(Notification).where(Notification.id.in_(wanted), Notification.lease_owner == owner)
    return list(session.scalars(taken.order_by(Notification.created_at)))


def settle_batch(
    session: Session,
    owner: str,
    leader: Notification,
    others: list[str],
    sent_at: datetime | None,
    retry_at: datetime | None,
) -> None:
    """After the leader's attempt (``owner`` held it): the rows it listed end ``digested`` (sent), or wait
    for its next attempt (failed; at once when it was given up, so a digest of their own carries them); either
    way their lease ends. A row whose lease ran out meanwhile is another owner's to settle."""
    if not others:
        return
    values: dict[str, object] = {"lease_owner": None, "lease_expires_at": None}
    if sent_at is not None:
        values |= {"status": Notification.DIGESTED, "digest_id": leader.id, "sent_at": sent_at}
    else:
        values |= {"next_attempt_at": retry_at or utcnow()}
    session.execute(
        update(Notification)
        .where(
            Notification.id.in_(others),
            Notification.status == Notification.PENDING,
            Notification.lease_owner == owner,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# Why a disabled channel's rows end failed (given up when it is disabled, or by a process that claimed one).
DISABLED = "the channel is disabled"


def give_up_channel(session: Session, channel_id: str) -> int:
    """A channel was disabled: its unsent rows end ``failed`` with the reason now, in the caller's
    transaction, rather than when each falls due (a digest row can wait its window). A row a process holds
    is left to it: it is being sent, or that process finds the channel disabled."""
    now = utcnow()
    result = session.execute(
        update(Notification)
        .where(
            Notification.channel_id == channel_id,
            Notification.status == Notification.PENDING,
            (Notification.lease_expires_at.is_(None)) | (Notification.lease_expires_at < now),
        )
        .values(status=Notification.FAILED, last_error=DISABLED, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
