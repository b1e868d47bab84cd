"""Database tables (SQLAlchemy 2 typed ORM). API schemas live in api/, not here. Teams, their members and
routing rules are in voice/storage/team_models.py (imported here, so these names are found in one place)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from voice.storage.ack_models import AckMessage as AckMessage
from voice.storage.ack_models import AckOptOut as AckOptOut
from voice.storage.ack_models import AckSettings as AckSettings
from voice.storage.ack_models import AckTemplate as AckTemplate
from voice.storage.base import Base as Base
from voice.storage.base import as_utc as as_utc
from voice.storage.base import new_id as new_id
from voice.storage.base import utcnow as utcnow
from voice.storage.callback_models import CallbackAttempt as CallbackAttempt
from voice.storage.crm_models import CrmConnector as CrmConnector
from voice.storage.crm_models import CrmLink as CrmLink
from voice.storage.crm_models import CrmSync as CrmSync
from voice.storage.notify_models import Notification as Notification
from voice.storage.notify_models import NotificationAttempt as NotificationAttempt
from voice.storage.notify_models import NotificationChannel as NotificationChannel
from voice.storage.team_models import CallerList as CallerList
from voice.storage.team_models import CallerNumber as CallerNumber
from voice.storage.team_models import RoutingRule as RoutingRule
from voice.storage.team_models import Team as Team
from voice.storage.team_models import TeamMailbox as TeamMailbox
from voice.storage.team_models import TeamMember as TeamMember

# What new_id makes (uuid4 hex): a path or a stored folder name that does not match names no voicemail.
VOICEMAIL_ID_PATTERN = r"[0-9a-f]{32}"


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


class Role:
    """What an API key may do. Each role includes the rights of the ones before it, except that
    ingest keys see only the voicemails they posted."""

    INGEST = "ingest"  # post voicemails, read their own
    AGENT = "agent"  # read their teams' voicemails and calls (storage/access.py), update agent state
    ADMIN = "admin"  # also reprocess, delete, manage keys

    ALL = (INGEST, AGENT, ADMIN)


class AgentState:
    NEW = "new"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"

    ALL = (NEW, IN_PROGRESS, HANDLED)


class ApiKey(Base):
    """A credential for the API. Only a hash of the secret part is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    # The public part of the key ("vk_<prefix>_<secret>"), for lookup; the secret is only hashed.
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Completion webhooks for voicemails posted with this key, unless a voicemail names its own URL.
    webhook_url: Mapped[str | None] = mapped_column(Text)
    # Standard Webhooks signing secret ("whsec_..."); kept because every delivery is signed with it.
    webhook_secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class CallRecord(Base):
    __tablename__ = "call_records"
    # One record per call of a source and owner: a second recording of the same call from the same key
    # joins the same record; another key's post of that call id gets a record of its own.
    __table_args__ = (
        UniqueConstraint("owner", "source", "external_id", name="uq_call_records_owner_source_external"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # The API key that posted the call ("" without one: the CLI, a Twilio account without a key name).
    # Never NULL: NULLs are distinct in a unique constraint, so keyless calls would stop joining.
    owner: Mapped[str] = mapped_column(String(32), default="", server_default="")
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(50), default="api")
    from_number: Mapped[str | None] = mapped_column(String(64), index=True)
    to_number: Mapped[str | None] = mapped_column(String(64))
    mailbox: Mapped[str | None] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime | None]  # UTC
    # The UTC offset the start time was given with (minutes), so a reader gets it back as sent.
    started_at_offset_min: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    voicemails: Mapped[list[Voicemail]] = relationship(back_populates="call", order_by="Voicemail.created_at")


class Voicemail(Base):
    __tablename__ = "voicemails"
    __table_args__ = (
        Index("ix_voicemails_status_created", "status", "created_at"),
        Index("ix_voicemails_key_status", "api_key_id", "status"),  # pending per key (limits)
        UniqueConstraint("api_key_id", "idempotency_key", name="uq_voicemails_idempotency"),
        UniqueConstraint("dedupe_key", name="uq_voicemails_dedupe_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    call_id: Mapped[str] = mapped_column(ForeignKey("call_records.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.QUEUED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Never holds credentials: URLs with user:password are refused at the API; basic auth comes from config.
    audio_url: Mapped[str | None] = mapped_column(Text)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    # One language code (forced) or several expected ones joined by commas ("en,de"; at most 8 codes).
    language_hint: Mapped[str | None] = mapped_column(String(64))
    source_path: Mapped[str | None] = mapped_column(Text)
    audio_path: Mapped[str | None] = mapped_column(Text)
    source_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    duration_s: Mapped[float | None] = mapped_column(Float)
    speech_s: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]  # not claimed before this (voice/jobs); None: at once
    # When the voicemail was last sent to the broker (celery dispatcher): the sweeper re-sends a lost
    # one at most once per redispatch_after_s, so a long backlog is not flooded with copies.
    dispatched_at: Mapped[datetime | None]
    # No database-level foreign key: it would make a cycle with transcript_revisions.voicemail_id.
    current_revision_id: Mapped[str | None] = mapped_column(String(32))
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), index=True)
    # Idempotency-Key header of the post that created it (unique per API key), and a hash of that post.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    # The upstream system's own id for this recording (Twilio RecordingSid, Asterisk msg_id).
    recording_id: Mapped[str | None] = mapped_column(String(200))
    # "api key id|source|external call id|recording id": the same recording of the same call from the same
    # key is one voicemail (the key id is "" without a key, so keyless posts dedupe too).
    dedupe_key: Mapped[str | None] = mapped_column(String(500))
    # Named credentials resolved from config at fetch time (e.g. "twilio:AC..."), never the secret.
    fetch_auth: Mapped[str | None] = mapped_column(String(100))
    callback_url: Mapped[str | None] = mapped_column(Text)
    agent_state: Mapped[str] = mapped_column(String(20), default=AgentState.NEW)
    # The current revision's triage priority (without waiting time), kept here to sort the inbox; raised
    # once when the voicemail goes past its mailbox's callback deadline (overdue_at).
    priority: Mapped[float | None] = mapped_column(Float, index=True)
    overdue_at: Mapped[datetime | None]
    # Callbacks (voice/usecases/callbacks.py): the first attempt, and the reassignments for want of one
    # (at most one per deadline: the sweep compares and sets ``escalations``).
    first_callback_at: Mapped[datetime | None]
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[datetime | None]
    # Not a column: the priority the inbox list sorted by (waiting time included), set by that query only.
    inbox_priority: Mapped[float | None] = query_expression()
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    # Routing (voice/routing): the team it was routed to (agents of that team see it, storage/access.py),
    # tags, the points added to its priority, and the last decision applied (rules, team, assignee, reasons).
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    routing_points: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]
    # When retention deleted the audio (source and normalised); the transcript and summary stay.
    audio_deleted_at: Mapped[datetime | None]

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
    # Its own query, and none while team_id is NULL (no join: claims lock voicemails FOR UPDATE).
    team: Mapped[Team | None] = relationship(lazy="selectin", viewonly=True)
    # Written by voice/usecases/callbacks.py; read by the voicemail page.
    callback_attempts: Mapped[list[CallbackAttempt]] = relationship(
        order_by="CallbackAttempt.id", viewonly=True
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
    # Hash of the first words: the same recorded message from many numbers is a robocall.
    fingerprint: Mapped[str | None] = mapped_column(String(40), index=True)
    # The batch run that made this revision (None: the voicemail's own processing).
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("reprocess_runs.id", ondelete="SET NULL"), index=True
    )
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
    # Triage (voice/triage/rules.py): what an agent needs to decide whom to call back first.
    organisation: Mapped[str | None] = mapped_column(String(200))
    callback_time_text: Mapped[str | None] = mapped_column(String(200))
    callback_time: Mapped[datetime | None]
    email: Mapped[str | None] = mapped_column(String(320))
    references: Mapped[list[Any]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(32), index=True)
    intent_confidence: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[str | None] = mapped_column(String(10), index=True)
    urgency_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    priority: Mapped[float | None] = mapped_column(Float)
    # Why an optional summariser (an LLM) was not used and the built-in result was stored instead.
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    revision: Mapped[TranscriptRevision] = relationship(back_populates="summary")


class WebhookDelivery(Base):
    """One completion event for one receiver. Its id is the webhook-id header, the same on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),)

    PENDING = "pending"
    DELIVERED = "delivered"
    GAVE_UP = "gave_up"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: f"msg_{new_id()}")
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    # The exact body that is signed and sent, so every retry carries the same message.
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The process posting it now (voice/jobs): nobody else claims it until the lease runs out.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.id", cascade="all, delete-orphan"
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")


class User(Base):
    """A person who signs in to the web inbox. Only an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # agent | admin
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    # Where Voice tells this user of a voicemail assigned to them (notifications.assignee_channel).
    email: Mapped[str | None] = mapped_column(String(254))


class WebSession(Base):
    """A signed-in browser. The cookie carries a random token and only its SHA-256 is kept, so sign-out,
    a password change or disabling the user can end the session on the server, not only in the browser."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class VoicemailNote(Base):
    """An agent's note on a voicemail."""

    __tablename__ = "voicemail_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunState:
    RUNNING = "running"
    PAUSED = "paused"  # interrupted (Ctrl-C); `voice reprocess --resume` carries on
    CANCELLED = "cancelled"
    DONE = "done"

    ALL = (RUNNING, PAUSED, CANCELLED, DONE)


class ItemState:
    PENDING = "pending"  # selected, not yet released (throttle, window)
    QUEUED = "queued"  # released to a worker
    RUNNING = "running"  # a worker holds its lease
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"

    OPEN = (PENDING, QUEUED, RUNNING)
    ENDED = (DONE, FAILED, SKIPPED)
    ALL = (*OPEN, *ENDED)


class ReprocessRun(Base):
    """A batch re-run of chosen voicemails (voice/storage/runs.py). Its items are the selection, fixed when
    the run is made, so an interrupted run resumes over exactly the same voicemails."""

    __tablename__ = "reprocess_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_by: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(20))  # transcribe | summarise
    engine: Mapped[str | None] = mapped_column(String(40))  # None: the configured one
    model: Mapped[str | None] = mapped_column(String(100))
    summariser: Mapped[str | None] = mapped_column(String(20))  # builtin | llm; None: as configured
    rate_per_min: Mapped[float | None] = mapped_column(Float)
    # The selection as asked for (filters), for people reading the run later.
    selection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default=RunState.RUNNING)
    # Who works it with the local dispatcher: "cli" (the `voice reprocess` process that made or resumed it)
    # or "service" (`voice serve`'s embedded worker). With Celery, the reprocessing queue's workers do.
    executor: Mapped[str] = mapped_column(String(10), default="service")
    selected: Mapped[int] = mapped_column(Integer, default=0)
    audio_s: Mapped[float] = mapped_column(Float, default=0.0)
    # Throttle: the next item may be released at this time (moves by 60 / rate_per_min per item).
    next_release_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it last started or resumed: throughput and ETA count from here.
    resumed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ReprocessItem(Base):
    """One voicemail of a run. Its lease works as a voicemail's: whoever holds it writes the result."""

    __tablename__ = "reprocess_items"
    __table_args__ = (
        UniqueConstraint("run_id", "voicemail_id", name="uq_reprocess_items_run_voicemail"),
        Index("ix_reprocess_items_run_state", "run_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("reprocess_runs.id", ondelete="CASCADE"))
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ItemState.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    audio_s: Mapped[float] = mapped_column(Float, default=0.0)
    revision_id: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]  # not claimed before this (voice/jobs); None: at once
    queued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Sweep(Base):
    """Periodic work (voice/jobs/sweeps.py): one row per sweep, whose lease elects the one process that runs
    it each interval, however many replicas there are."""

    __tablename__ = "sweeps"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Who read, changed, reprocessed, exported or erased which voicemail (voice/storage/audit.py). Holds ids,
    counts and field names, never transcript text, summaries or numbers; no foreign key, so it outlives an
    erased voicemail."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(150))  # "key:crm", "user:dana", "cli:root", "system:retention"
    action: Mapped[str] = mapped_column(String(30))
    voicemail_id: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
