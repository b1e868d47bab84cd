"""Tables of acknowledgements to callers (docs/acknowledgements.md): a team's settings (off by default, the
channel and sender) and a mailbox's override of them, its templates, one message per voicemail at most (an
outbox row sent through Twilio's Messaging API under the job mechanism's leases, voice/jobs), and the
opt-out list, kept per sender as a SHA-256 of the E.164 number so erasing a caller can keep them on it
without keeping the number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from voice.storage.base import Base, new_id, utcnow


class AckSettings(Base):
    """One team's acknowledgement settings. ``sender`` is a number (+44...), a messaging service SID
    (MG...) or a WhatsApp sender (whatsapp:+...); ``account_sid`` names one of settings.twilio.accounts
    (None: the only one configured)."""

    __tablename__ = "ack_settings"

    SMS, WHATSAPP = "sms", "whatsapp"
    CHANNELS = (SMS, WHATSAPP)

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel: Mapped[str] = mapped_column(String(20), default=SMS)
    sender: Mapped[str] = mapped_column(String(64))
    account_sid: Mapped[str | None] = mapped_column(String(64))
    # A caller acknowledged by this team within this many hours gets nothing more.
    repeat_hours: Mapped[float] = mapped_column(Float, default=24.0)
    # A message held for the caller's allowed hours is dropped when it would go later than this.
    max_wait_hours: Mapped[float] = mapped_column(Float, default=14.0)
    # The caller's local hours messages may go in ("HH:MM", in every time zone of the number's country).
    allowed_from: Mapped[str] = mapped_column(String(5), default="08:00")
    allowed_until: Mapped[str] = mapped_column(String(5), default="21:00")
    business_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AckMailboxSettings(Base):
    """A mailbox's override of its team's settings (voice/storage/ack_mailboxes.py): each column not None
    replaces the team's; None follows it. ``enabled`` False silences the mailbox while the team is on; True
    switches it on alone (with its own sender when the team has no settings). Applies to the voicemails
    of ``mailbox`` that ``team_id`` acknowledges while it owns the mailbox."""

    __tablename__ = "ack_mailbox_settings"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool | None] = mapped_column(Boolean)
    channel: Mapped[str | None] = mapped_column(String(20))
    sender: Mapped[str | None] = mapped_column(String(64))
    account_sid: Mapped[str | None] = mapped_column(String(64))
    repeat_hours: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AckTemplate(Base):
    """A message body (a sandboxed Jinja2 template) for a team; ``*`` matches any intent or language,
    ``hours`` is business, after or any. The most specific match wins (voice/acks/templates.py)."""

    __tablename__ = "ack_templates"
    __table_args__ = (
        UniqueConstraint("team_id", "intent", "language", "hours", name="uq_ack_templates_match"),
    )

    ANY = "*"
    BUSINESS, AFTER, ANY_HOURS = "business", "after", "any"
    HOURS = (BUSINESS, AFTER, ANY_HOURS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    intent: Mapped[str] = mapped_column(String(40), default=ANY)
    language: Mapped[str] = mapped_column(String(10), default=ANY)
    hours: Mapped[str] = mapped_column(String(10), default=ANY_HOURS)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AckMessage(Base):
    """The acknowledgement of one voicemail (at most one: the unique voicemail_id), written with the
    voicemail's result. A job (voice/jobs/kinds.py) while ``queued`` or ``waiting`` (held for the caller's
    allowed hours); ``sending`` is written before Twilio is called, so a crash mid-send is known and never
    sent blind a second time (docs/acknowledgements.md). Twilio's status callbacks move it on."""

    __tablename__ = "ack_messages"
    __table_args__ = (
        UniqueConstraint("voicemail_id", name="uq_ack_messages_voicemail"),
        Index("ix_ack_messages_due", "status", "next_attempt_at"),
        Index("ix_ack_messages_recent", "team_id", "number_hash", "created_at"),
    )

    QUEUED, WAITING, SENDING, SENT, DELIVERED = "queued", "waiting", "sending", "sent", "delivered"
    UNDELIVERED, FAILED, SKIPPED, DROPPED = "undelivered", "failed", "skipped", "dropped"
    OPEN = (QUEUED, WAITING)
    # What counts as "acknowledged" for the repeat window: anything that may have reached the caller.
    REACHED = (QUEUED, WAITING, SENDING, SENT, DELIVERED)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: f"ack_{new_id()}")
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    # None once the caller is erased; the hash stays for the repeat window.
    to_number: Mapped[str | None] = mapped_column(String(40))
    number_hash: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(64))
    account_sid: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(10))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    # Why it was skipped, dropped or failed, in words.
    reason: Mapped[str | None] = mapped_column(Text)
    message_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[int | None] = mapped_column(Integer)
    # A waiting message is dropped rather than sent after this.
    not_after: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sending_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AckOptOut(Base):
    """A caller who must not be messaged from ``sender``: STOP (inbound webhook), Twilio's error 21610
        (unsubscribed at the carrier), or erasure. ``number_hash`` is SHA-256 of the E.164 number; ``sender``
    ``*`` (erasure) stops every sender."""

    __tablename__ = "ack_opt_outs"
    __table_args__ = (UniqueConstraint("number_hash", "sender", name="uq_ack_opt_outs"),)

    STOP, CARRIER, ERASURE = "stop", "carrier_21610", "erasure"
    EVERY_SENDER = "*"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number_hash: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
