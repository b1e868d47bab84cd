"""Telling one person that a voicemail is theirs now (docs/notifications.md, "Assignees"): a row of the
notification outbox for the e-mail channel that writes to assignees (its setting ``assignees``), addressed to
the assignee's own address (``users.email``) rather than the channel's list. Written in the transaction that
assigns (routing, reassignment), so the notice leaves once the assignment is stored, and only then."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.storage.models import Notification, NotificationChannel, User, utcnow

# Routing's first assignment is event "voicemail.assigned.0"; the N-th reassignment "voicemail.assigned.N".
EVENT = "voicemail.assigned"


def assignee_channel(session: Session) -> NotificationChannel | None:
    """The enabled e-mail channel with ``assignees`` on (the first by name when several are)."""
    rows = session.scalars(
        select(NotificationChannel)
        .where(NotificationChannel.kind == NotificationChannel.EMAIL, NotificationChannel.enabled.is_(True))
        .order_by(NotificationChannel.name)
    )
    return next((row for row in rows if (row.config or {}).get("assignees") is True), None)


def enqueue(
    session: Session, vm_id: str, username: str, urgency: str | None, nth: int
) -> Notification | None:
    """A row telling ``username`` that ``vm_id`` is assigned to them (the ``nth`` reassignment, 0 for
    routing's assignment), in the caller's transaction; None when there is no one to write to: no such
    active user, no address of theirs, no assignees channel, or this notice was queued already."""
    email = session.scalar(select(User.email).where(User.username == username, User.disabled_at.is_(None)))
    channel = assignee_channel(session) if email else None
    if channel is None or email is None:
        return None
    event = f"{EVENT}.{nth}"
    told = session.scalar(
        select(Notification.id).where(
            Notification.voicemail_id == vm_id,
            Notification.channel_id == channel.id,
            Notification.event == event,
        )
    )
    if told is not None:
        return None
    now = utcnow()
    row = Notification(
        voicemail_id=vm_id,
        channel_id=channel.id,
        event=event,
        recipient=email,
        urgent=urgency == "urgent",
        digest=False,  # news for one person, now: never held for a digest
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row
