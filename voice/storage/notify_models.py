"""Tables of notifications (docs/notifications.md): the channels a routing rule's ``notify`` names (e-mail,
Slack, Microsoft Teams, a signed webhook), and an outbox row per voicemail, channel and event, sent by
voice/integrations/notifications.py under the job mechanism's leases (voice/jobs), with a row per attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voice.storage.base import Base, new_id, utcnow


class NotificationChannel(Base):
    """Where notifications go. ``config`` holds what is not secret (an SMTP host, the recipients); the
    secrets (an SMTP password, Slack's and Teams' webhook URLs, a signing secret) are in ``secrets``,
    sealed with the storage key when one is configured (voice/storage/channels.py), and never shown."""

    __tablename__ = "notification_channels"

    EMAIL, SLACK, TEAMS, WEBHOOK = "email", "slack", "teams", "webhook"
    KINDS = (EMAIL, SLACK, TEAMS, WEBHOOK)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)
    # None: a message per voicemail; N: at most one message per N minutes, listing what arrived.
    digest_minutes: Mapped[int | None] = mapped_column(Integer)
    last_digest_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One event of one voicemail for one channel: a job (voice/jobs/kinds.py) retried with backoff until
    sent or given up. A digest's first row carries the message; the rows it listed end ``digested``."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("voicemail_id", "channel_id", "event", name="uq_notifications_event"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
    )

    PENDING, SENT, FAILED, DIGESTED = "pending", "sent", "failed", "digested"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: f"ntf_{new_id()}")
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(40))
    # Set on an e-mail channel's row for one person (an assignee): the message goes to them only.
    recipient: Mapped[str | None] = mapped_column(String(254))
    # Urgent voicemails go at once, past the channel's digest.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The digest row whose message listed this one.
    digest_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class NotificationAttempt(Base):
    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[str] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer)  # HTTP status, or the SMTP reply code
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # How many voicemails the message listed (a digest lists several).
    items: Mapped[int] = mapped_column(Integer, default=1)
