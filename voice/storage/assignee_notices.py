"""Telling one person that a voicemail is theirs now (docs/notifications.md, "Assignees"): a row of the
notification outbox for the e-mail channel that writes to assignees (its setting ``assignees``), addressed to
the assignee's own address (``users.email``) rather than the channel's list. Written in the transaction that
assigns (routing, reassignment), so the notice leaves once the assignment is stored, and only then."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.storage.models import Notification, NotificationChannel, User, Voicemail, utcnow

# Routing's assignment is event "voicemail.assigned.0" (".0.2", ".0.3" when routed again to someone else);
# the N-th reassignment "voicemail.assigned.N".
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
    active user, no address of theirs, no assignees channel, or this person was told of it already."""
    email = session.scalar(select(User.email).where(User.username == username, User.disabled_at.is_(None)))
    channel = assignee_channel(session) if email else None
    if channel is None or email is None:
        return None
    base = f"{EVENT}.{nth}"
    earlier = session.execute(
        select(Notification.event, Notification.recipient).where(
            Notification.voicemail_id == vm_id,
            Notification.channel_id == channel.id,
            (Notification.event == base) | Notification.event.like(f"{base}.%"),
        )
    ).all()
    if any(recipient == email for _, recipient in earlier):
        return None  # told already (routing again after a reprocess kept it with them)
    # Routed again to someone else: their own event, "voicemail.assigned.0.2", so the first row stays.
    event = base if not earlier else f"{base}.{len(earlier) + 1}"
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


def still_theirs(session: Session, vm_id: str, recipient: str) -> bool:
    """Is ``vm_id`` still assigned to an active user whose address is ``recipient``? Checked when the notice
    is sent: after hours of retries it may have gone to someone else, or they may have left."""
    email = session.scalar(
        select(User.email)
        .join(Voicemail, Voicemail.assignee == User.username)
        .where(Voicemail.id == vm_id, User.disabled_at.is_(None))
    )
    return email == recipient
