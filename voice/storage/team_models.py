"""Tables of teams and routing: teams own mailboxes and have members (voice/storage/teams.py; who sees what:
voice/storage/access.py); routing rules and named caller lists decide which team and member a finished
voicemail goes to (voice/routing, docs/routing.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from voice.storage.base import Base, new_id, utcnow


class Team(Base):
    """Agents who own mailboxes (voice/storage/teams.py; who sees what: voice/storage/access.py)."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # an IANA name
    business_hours: Mapped[str | None] = mapped_column(String(200))  # voice/core/business_hours.py
    callback_hours: Mapped[float | None] = mapped_column(Float)  # None: settings.sla decides
    # What notifications about this team's voicemails may carry (docs/notifications.md): off by default,
    # voicemails are personal data.
    notify_transcript: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notify_audio: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamMailbox(Base):
    """A mailbox belongs to at most one team."""

    __tablename__ = "team_mailboxes"

    mailbox: Mapped[str] = mapped_column(String(100), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)


class TeamMember(Base):
    """A web user or an API key (exactly one of the two) in a team."""

    __tablename__ = "team_members"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", name="uq_team_members_user"),
        UniqueConstraint("team_id", "api_key_id", name="uq_team_members_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    # Routing assigns voicemails only to available members (`voice teams available`), and round robin
    # picks the one whose last assignment is oldest.
    available: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    last_assigned_at: Mapped[datetime | None]
    # The team's lead gets the voicemails nobody else is available for (reassignment, docs/callbacks.md).
    lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RoutingRule(Base):
    """One routing rule (voice/routing/spec.py says what ``conditions`` and ``actions`` hold). Rules are
    tried by ``position``; the default rule, if any, comes after all of them."""

    __tablename__ = "routing_rules"
    # At most one default rule, whoever writes (migration 0018).
    __table_args__ = (
        Index(
            "uq_routing_rules_one_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # After this rule applies, go on trying the next ones (first match wins otherwise).
    continues: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CallerList(Base):
    """A named list of callers' numbers (``vip``) that rules can test the caller against."""

    __tablename__ = "caller_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallerNumber(Base):
    """A number on a caller list, in E.164 (voice/core/phone.py), so it matches however a carrier wrote it."""

    __tablename__ = "caller_list_numbers"
    __table_args__ = (UniqueConstraint("list_id", "number", name="uq_caller_list_numbers"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("caller_lists.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
