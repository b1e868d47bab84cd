"""API schemas (separate from the database models)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite gives back naive UTC
    return value


class CallIn(BaseModel):
    external_id: str | None = Field(None, max_length=200, examples=["CA1234"])
    source: str = Field("api", max_length=50)
    from_number: str | None = Field(None, alias="from", max_length=64, examples=["+15550134"])
    to_number: str | None = Field(None, alias="to", max_length=64)
    mailbox: str | None = Field(None, max_length=100)
    started_at: datetime | None = None
    duration_s: float | None = Field(None, ge=0)
    metadata: dict[str, Any] = Field(default_factory=dict)

    model_config = {"populate_by_name": True}


class VoicemailIn(BaseModel):
    audio_url: str = Field(..., max_length=4000, examples=["https://pbx.example.com/rec/123.wav"])
    call: CallIn = Field(default_factory=CallIn)
    language: str | None = Field(None, max_length=8, examples=["en"])


class Accepted(BaseModel):
    id: str
    status: str


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


class SummaryOut(BaseModel):
    text: str
    caller_name: str | None
    callback_number: str | None
    request: str | None


class TranscriptOut(BaseModel):
    revision: int
    engine: str
    model: str
    language: str | None
    language_probability: float | None
    text: str
    confidence: float | None
    segments: list[SegmentOut]
    timings: dict[str, float]
    summary: SummaryOut | None
    created_at: datetime

    _tz = field_validator("created_at")(_aware)


class CallOut(BaseModel):
    id: str
    external_id: str | None
    source: str
    from_number: str | None
    to_number: str | None
    mailbox: str | None
    started_at: datetime | None
    duration_s: float | None
    metadata: dict[str, Any]

    _tz = field_validator("started_at")(_aware)


class EventOut(BaseModel):
    status: str
    detail: str | None
    at: datetime

    _tz = field_validator("at")(_aware)


class VoicemailOut(BaseModel):
    id: str
    status: str
    status_reason: str | None
    created_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    source: dict[str, Any]
    call: CallOut
    summary: SummaryOut | None
    text: str | None

    _tz = field_validator("created_at", "finished_at")(_aware)


class VoicemailDetail(VoicemailOut):
    transcript: TranscriptOut | None
    history: list[EventOut]


class VoicemailList(BaseModel):
    items: list[VoicemailOut]
    counts: dict[str, int]
