"""Tables of CRM connectors (docs/crm.md): a connector per Zendesk or HubSpot account and scope, an outbox row
per voicemail, connector and event (sent by voice/integrations/crm.py under the job mechanism's leases), and
the ids each voicemail has in each CRM, so a retry never makes a second ticket, call or task."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voice.storage.base import Base, new_id, utcnow


class CrmConnector(Base):
    """Where voicemails go out. ``team`` and ``mailbox`` (names) scope it: a voicemail of that team or that
    mailbox; neither, every voicemail. ``settings`` are not secret (Zendesk's base URL, HubSpot's
    ``create_contacts``, ``minimisation``); ``secrets`` (API tokens) are sealed like channels' secrets."""

    __tablename__ = "crm_connectors"

    ZENDESK, HUBSPOT = "zendesk", "hubspot"
    KINDS = (ZENDESK, HUBSPOT)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(60))
    mailbox: Mapped[str | None] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrmSync(Base):
    """One event of one voicemail for one connector: a job (kind ``crm_sync``). ``instance`` tells events of
    one name apart (the revision a re-transcription made current, the N-th time it was handled); the unique
    key makes writing one twice a no-op."""

    __tablename__ = "crm_syncs"
    __table_args__ = (
        UniqueConstraint("voicemail_id", "connector_id", "event", "instance", name="uq_crm_syncs_event"),
        Index("ix_crm_syncs_due", "status", "next_attempt_at"),
    )

    CREATED, HANDLED, RETRANSCRIBED = "created", "handled", "retranscribed"
    PENDING, SENT, FAILED = "pending", "sent", "failed"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: f"crm_{new_id()}")
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey("crm_connectors.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    instance: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class CrmLink(Base):
    """What a voicemail is in one CRM: Zendesk's ticket and requester, HubSpot's contact, call and task.
    Each id is written as soon as the CRM answers with it, before anything else is sent."""

    __tablename__ = "crm_links"
    __table_args__ = (UniqueConstraint("voicemail_id", "connector_id", name="uq_crm_links_voicemail"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey("crm_connectors.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[str | None] = mapped_column(String(40))
    requester_id: Mapped[str | None] = mapped_column(String(40))
    contact_id: Mapped[str | None] = mapped_column(String(40))
    call_id: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
