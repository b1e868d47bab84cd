"""The table of callback attempts (voice/usecases/callbacks.py, docs/callbacks.md): each time someone calls a
voicemail's caller back, from the voicemail page, the API, Twilio's call status callback or an upstream
system's report, with its outcome. The voicemail itself keeps when it was first called back and how often it
was reassigned for want of a call (voice/storage/models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voice.storage.base import Base, utcnow


class Outcome:
    REACHED = "reached"
    LEFT_MESSAGE = "left_message"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"

    ALL = (REACHED, LEFT_MESSAGE, NO_ANSWER, WRONG_NUMBER)


class Source:
    AGENT = "agent"  # the voicemail page
    API = "api"  # POST /v1/voicemails/{id}/callbacks
    TWILIO = "twilio"  # Twilio's status callback for an outbound call
    UPSTREAM = "upstream"  # another system's report of an outbound call (POST /v1/callbacks/outbound)

    ALL = (AGENT, API, TWILIO, UPSTREAM)


class CallbackAttempt(Base):
    """One call back to a voicemail's caller; ``outcome`` is None while the agent has not said how it went."""

    __tablename__ = "callback_attempts"
    # A reported call (a Twilio CallSid, an upstream call id) is recorded once per voicemail it matched,
    # however often it is reported: retries and repeated status callbacks change nothing.
    __table_args__ = (
        UniqueConstraint("voicemail_id", "source", "external_id", name="uq_callback_attempts_external"),
        Index("ix_callback_attempts_source_external", "source", "external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    voicemail_id: Mapped[str] = mapped_column(ForeignKey("voicemails.id", ondelete="CASCADE"), index=True)
    # Who called: a web user or an API key (kept by name too, so the history reads after they are gone).
    who: Mapped[str] = mapped_column(String(150))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(64))  # the number called, when known
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
