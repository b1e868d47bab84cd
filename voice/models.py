"""Database tables (SQLAlchemy 2 typed ORM). API schemas live in api/, not here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Status:
    QUEUED = "queued"
    FETCHING = "fetching"
    NORMALISING = "normalising"
    TRANSCRIBING = "transcribing"
    SUMMARISING = "summarising"
    DONE = "done"
    NO_SPEECH = "no_speech"
    FAILED = "failed"

    IN_FLIGHT = (FETCHING, NORMALISING, TRANSCRIBING, SUMMARISING)
    FINAL = (DONE, NO_SPEECH, FAILED)
    ALL = (QUEUED, *IN_FLIGHT, *FINAL)


class CallRecord(Base):
    __tablename__ = "call_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(50), default="api")
    from_number: Mapped[str | None] = mapped_column(String(64), index=True)
    to_number: Mapped[str | None] = mapped_column(String(64))
    mailbox: Mapped[str | None] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    voicemails: Mapped[list[Voicemail]] = relationship(back_populates="call", order_by="Voicemail.created_at")


class Voicemail(Base):
    __tablename__ = "voicemails"
    __table_args__ = (Index("ix_voicemails_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    call_id: Mapped[str] = mapped_column(ForeignKey("call_records.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.QUEUED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Never holds credentials: URLs with user:password are refused at the API; basic auth comes from config.
    audio_url: Mapped[str | None] = mapped_column(Text)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    language_hint: Mapped[str | None] = mapped_column(String(8))
    source_path: Mapped[str | None] = mapped_column(Text)
    audio_path: Mapped[str | None] = mapped_column(Text)
    source_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    duration_s: Mapped[float | None] = mapped_column(Float)
    speech_s: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    # No database-level foreign key: it would make a cycle with transcript_revisions.voicemail_id.
    current_revision_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]

    call: Mapped[CallRecord] = relationship(back_populates="voicemails")
    events: Mapped[list[VoicemailEvent]] = relationship(
        back_populates="voicemail", order_by="VoicemailEvent.id", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[TranscriptRevision]] = relationship(
        back_populates="voicemail",
        foreign_keys="TranscriptRevision.voicemail_id",
        order_by="TranscriptRevision.number",
        cascade="all, delete-orphan",
    )
    current_revision: Mapped[TranscriptRevision | None] = relationship(
        primaryjoin="foreign(Voicemail.current_revision_id) == TranscriptRevision.id", viewonly=True
    )


class VoicemailEvent(Base):
    """Processing history: one row per status change, with a readable detail."""

    __tablename__ = "voicemail_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    voicemail: Mapped[Voicemail] = relationship(back_populates="events")


class TranscriptRevision(Base):
    """One transcription run. A new run adds a revision; nothing is overwritten."""

    __tablename__ = "transcript_revisions"
    __table_args__ = (UniqueConstraint("voicemail_id", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(8))
    language_probability: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    segments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    voicemail: Mapped[Voicemail] = relationship(back_populates="revisions", foreign_keys=[voicemail_id])
    summary: Mapped[Summary | None] = relationship(
        back_populates="revision", uselist=False, cascade="all, delete-orphan"
    )


class Summary(Base):
    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision_id: Mapped[str] = mapped_column(
        ForeignKey("transcript_revisions.id", ondelete="CASCADE"), unique=True
    )
    summariser: Mapped[str] = mapped_column(String(40), default="builtin")
    text: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str | None] = mapped_column(String(200))
    callback_number: Mapped[str | None] = mapped_column(String(32))
    request: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    revision: Mapped[TranscriptRevision] = relationship(back_populates="summary")
