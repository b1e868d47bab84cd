"""API schemas (separate from the database models), with the examples /openapi.json shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from voice.core.languages import known_languages
from voice.storage.voicemails import start_in_range

StatusName = Literal[
    "queued", "fetching", "normalising", "transcribing", "summarising", "done", "no_speech", "failed"
]
RoleName = Literal["ingest", "agent", "admin"]
VM_ID_EXAMPLE = "4f1c2a9e8b7d4e0f9a1b2c3d4e5f6a7b"
VoicemailId = Annotated[str, Path(description="the voicemail's id", examples=[VM_ID_EXAMPLE])]
CallId = Annotated[
    str, Path(description="the call record's id in Voice", examples=["9b8a7c6d5e4f30211a2b3c4d5e6f7a8b"])
]
KeyId = Annotated[str, Path(description="the key's id", examples=["0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"])]
AgentStateName = Literal["new", "in_progress", "handled"]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite gives back naive UTC
    return value


class CallIn(BaseModel):
    external_id: str | None = Field(
        None, max_length=200, description="the call's id in your system", examples=["CA1234"]
    )
    source: str = Field("api", max_length=50, description="your system's name", examples=["crm"])
    from_number: str | None = Field(None, alias="from", max_length=64, examples=["+12125550134"])
    to_number: str | None = Field(None, alias="to", max_length=64, examples=["+12125550100"])
    mailbox: str | None = Field(None, max_length=100, examples=["sales"])
    started_at: datetime | None = Field(None, examples=["2026-11-23T09:15:00Z"])
    duration_s: float | None = Field(None, ge=0)
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="your own data, at most limits.max_metadata_bytes as JSON"
    )

    # allow_inf_nan: pydantic's lax mode turns the string "Infinity" into inf, which ge=0 lets through.
    model_config = ConfigDict(populate_by_name=True, allow_inf_nan=False)

    @field_validator("started_at")
    @classmethod
    def _plausible_start(cls, value: datetime | None) -> datetime | None:
        # Year 1 (Go's zero time) or 9999 is a placeholder, not a start; the offset is kept as given.
        if value is not None and not start_in_range(value):
            raise ValueError("started_at must be between 1970-01-01 and a day from now")
        return value


MAX_LANGUAGES = 8  # a mailbox expects a few; voicemails.language_hint holds 8 codes joined by commas


def _expected_languages(value: object) -> str | None:
    """One language (forced) or several it may be in ("en,de" or ["en", "de"]), each a code Whisper knows,
    refused at the edge rather than failing the voicemail later; kept as "en,de"."""
    if value is None:
        return None
    if not isinstance(value, str) and not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        raise ValueError("language must be a code (e.g. en), several joined by commas, or a list of codes")
    langs = known_languages(value)
    if len(langs) > MAX_LANGUAGES:
        raise ValueError(f"at most {MAX_LANGUAGES} languages")
    return ",".join(langs) or None


Languages = Annotated[
    str | None,
    BeforeValidator(_expected_languages, json_schema_input_type=str | list[str] | None),
    Field(
        description="the language of the message (forced), or the languages it may be in, as a list or "
        "joined by commas (detection chooses among them); unset: the mailbox's or the configured ones",
        examples=["en", "en,es", ["de", "en"]],
    ),
]


class UploadFields(BaseModel):
    """The form fields of a multipart post besides the file, held to the JSON post's limits."""

    call: CallIn = Field(default_factory=CallIn)
    language: Languages = None
    recording_id: str | None = Field(None, max_length=200)
    callback_url: str | None = Field(None, max_length=2000)


class VoicemailIn(BaseModel):
    audio_url: str = Field(..., max_length=4000, examples=["https://pbx.example.com/rec/123.wav"])
    call: CallIn = Field(default_factory=CallIn)
    language: Languages = None
    recording_id: str | None = Field(
        None, max_length=200, description="your id for this recording", examples=["RE5678"]
    )
    callback_url: str | None = Field(
        None,
        max_length=2000,
        description="where to POST the signed completion webhook (default: the key's webhook URL)",
        examples=["https://crm.example.com/hooks/voice"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "audio_url": "https://pbx.example.com/rec/123.wav",
                    "call": {
                        "external_id": "CA123",
                        "source": "crm",
                        "from": "+12125550134",
                        "to": "+12125550100",
                        "mailbox": "sales",
                        "started_at": "2026-11-23T09:15:00Z",
                    },
                    "recording_id": "RE123",
                    "callback_url": "https://crm.example.com/hooks/voice",
                }
            ]
        }
    )


class Accepted(BaseModel):
    id: str = Field(examples=["4f1c2a9e8b7d4e0f9a1b2c3d4e5f6a7b"])
    status: StatusName = Field(examples=["queued"])


class ReprocessAccepted(Accepted):
    run_id: str | None = Field(
        None,
        description="the reprocess run of this one voicemail (GET /v1/reprocess-runs/{run_id}); null when "
        "the voicemail's audio was never stored and the pipeline is retried from the start instead",
    )


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


class ReferenceOut(BaseModel):
    kind: str = Field(examples=["invoice"])
    value: str = Field(examples=["4471"])


class SummaryOut(BaseModel):
    """The triage of one transcript revision (see the README for each field and the priority)."""

    text: str = Field(
        examples=["Maria Lopez from Acme Plumbing has a billing question about invoice 4471, before Friday."]
    )
    caller_name: str | None = Field(examples=["Maria Lopez"])
    organisation: str | None = Field(None, examples=["Acme Plumbing"])
    callback_number: str | None = Field(examples=["+12125550134"])
    callback_time_text: str | None = Field(None, examples=["before Friday"])
    callback_time: datetime | None = Field(None, examples=["2026-11-27T00:00:00Z"])
    email: str | None = Field(None, examples=["maria@acme.example"])
    references: list[ReferenceOut] = Field(default_factory=list)
    request: str | None
    intent: str | None = Field(None, examples=["billing"])
    intent_confidence: float | None = Field(None, examples=[0.58])
    urgency: Literal["low", "normal", "high", "urgent"] | None = Field(None, examples=["high"])
    urgency_reasons: list[str] = Field(default_factory=list, examples=[["said “asap”"]])
    sentiment: Literal["negative", "neutral", "positive"] | None = Field(None, examples=["neutral"])
    sentiment_score: float | None = Field(None, examples=[0.0])
    flags: list[str] = Field(default_factory=list, examples=[["low_confidence"]])
    priority: float | None = Field(None, description="without waiting time", examples=[46.0])
    summariser: str = Field("builtin", examples=["builtin"])
    error: str | None = Field(None, description="why the configured LLM summariser was not used")

    _tz = field_validator("callback_time")(_aware)


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
    status: StatusName
    status_reason: str | None
    created_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    source: dict[str, Any]
    recording_id: str | None
    agent_state: AgentStateName
    assignee: str | None
    team: str | None = Field(
        None, description="the team routing gave it to (docs/routing.md)", examples=["billing"]
    )
    tags: list[str] = Field(default_factory=list, description="tags routing added", examples=[["vip"]])
    priority: float | None = Field(
        description="triage priority plus 1 point per hour waiting (at most 24) until handled",
        examples=[52.0],
    )
    overdue_at: datetime | None = Field(
        None, description="when it went past its mailbox's callback deadline without being handled"
    )
    first_callback_at: datetime | None = Field(
        None, description="when the first callback attempt started (docs/callbacks.md)"
    )
    call: CallOut
    language: str | None
    summary: SummaryOut | None
    text: str | None

    _tz = field_validator("created_at", "finished_at", "overdue_at", "first_callback_at")(_aware)


class AckStatusOut(BaseModel):
    """The caller's acknowledgement by SMS or WhatsApp (docs/acknowledgements.md)."""

    status: str = Field(
        description="queued, waiting (for the caller's allowed hours), sending, sent, delivered, "
        "undelivered, failed, skipped or dropped",
        examples=["delivered"],
    )
    reason: str | None = Field(None, description="why skipped, dropped or failed", examples=[None])
    channel: str | None = Field(None, examples=["sms"])
    body: str | None = Field(None, description="the message as sent")
    error_code: int | None = Field(None, description="Twilio's error code", examples=[None])
    created_at: datetime
    sent_at: datetime | None

    _tz = field_validator("created_at", "sent_at")(_aware)


class VoicemailDetail(VoicemailOut):
    transcript: TranscriptOut | None
    history: list[EventOut]
    acknowledgement: AckStatusOut | None = Field(
        None, description="the message sent to the caller, if the team acknowledges voicemails"
    )


class VoicemailList(BaseModel):
    items: list[VoicemailOut]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null on the last page", examples=[None]
    )
    counts: dict[str, int] = Field(examples=[{"done": 41, "queued": 2, "failed": 1}])


class AgentUpdate(BaseModel):
    agent_state: AgentStateName | None = None
    assignee: str | None = Field(None, max_length=100, description="null unassigns")

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"agent_state": "handled", "assignee": "dana"}]}
    )


class CallDetail(CallOut):
    voicemails: list[VoicemailDetail]


class KeyIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=100, examples=["crm"])
    role: RoleName = Field(..., examples=["ingest"])
    webhook_url: str | None = Field(
        None, max_length=2000, description="default completion webhook for this key's voicemails"
    )


class KeyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
                    "name": "crm",
                    "role": "ingest",
                    "prefix": "3f9a1c2b4d5e",
                    "webhook_url": "https://crm.example.com/hooks/voice",
                    "created_at": "2026-11-23T09:00:00Z",
                    "last_used_at": "2026-11-23T09:15:02Z",
                    "revoked_at": None,
                }
            ]
        }
    )

    id: str
    name: str
    role: RoleName
    prefix: str = Field(description="the public part of the key, vk_<prefix>_...")
    webhook_url: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    _tz = field_validator("created_at", "last_used_at", "revoked_at")(_aware)


class KeyCreated(KeyOut):
    key: str = Field(description="shown only now; store it", examples=["vk_3f9a1c2b4d5e_Zx..."])
    webhook_secret: str = Field(
        description="Standard Webhooks secret that signs this key's webhooks", examples=["whsec_..."]
    )


class WebhookAttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    _tz = field_validator("at")(_aware)


class WebhookDeliveryOut(BaseModel):
    id: str = Field(description="the webhook-id header, the same on every retry", examples=["msg_4f1c..."])
    event: str = Field(examples=["voicemail.done"])
    url: str
    state: Literal["pending", "delivered", "gave_up"]
    attempts: list[WebhookAttemptOut]
    next_attempt_at: datetime | None
    delivered_at: datetime | None

    _tz = field_validator("next_attempt_at", "delivered_at")(_aware)


RunId = Annotated[
    str, Path(description="the reprocess run's id", examples=["7a6b5c4d3e2f10aa9b8c7d6e5f4a3b2c"])
]


class ReprocessRunIn(BaseModel):
    """Which voicemails to run again (every filter given must hold; only finished ones are taken) and how."""

    ids: list[str] = Field(default_factory=list, max_length=100_000, description="these voicemails")
    since: datetime | None = Field(None, description="received at or after")
    until: datetime | None = Field(None, description="received before")
    mailbox: str | None = Field(None, max_length=100)
    status: Literal["done", "no_speech", "failed"] | None = None
    language: str | None = Field(None, max_length=8, description="of the current transcript")
    current_engine: str | None = Field(None, max_length=40, description="engine of the current transcript")
    current_model: str | None = Field(None, max_length=100, description="model of the current transcript")
    intent: str | None = Field(None, max_length=32, description="intent of the current triage")
    confidence_below: float | None = Field(None, ge=0, le=1, description="current transcript's confidence")
    stage: Literal["transcribe", "summarise"] = Field(
        "transcribe", description="transcribe the audio again, or summarise the stored transcript only"
    )
    engine: Literal["faster-whisper", "openai-whisper"] | None = Field(
        None, description="default: the configured engine"
    )
    model: str | None = Field(None, max_length=100, description="default: the configured model")
    summariser: Literal["builtin", "llm"] | None = Field(None, description="default: as configured")
    rate_per_min: float | None = Field(
        None, ge=0.01, le=100_000, description="at most this many a minute (at least one in 100 minutes)"
    )
    dry_run: bool = Field(False, description="count only: no run is made")

    _tz = field_validator("since", "until")(_aware)
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"current_model": "base", "model": "small", "rate_per_min": 60}]},
    )


class ReprocessRunOut(BaseModel):
    id: str | None = Field(description="null for a dry run")
    state: Literal["running", "paused", "cancelled", "done", "dry_run"]
    stage: Literal["transcribe", "summarise"]
    engine: str | None
    model: str | None
    summariser: str | None
    rate_per_min: float | None
    selection: dict[str, Any]
    selected: int
    audio_minutes: float
    not_taken: list[str] = Field(
        default_factory=list, description="ids asked for that are unknown or still being processed"
    )
    counts: dict[str, int] = Field(
        default_factory=dict,
        examples=[{"pending": 10, "queued": 4, "running": 1, "done": 14, "failed": 1, "skipped": 0}],
    )
    ended: int = 0
    per_minute: float | None = Field(None, description="voicemails ended per minute since (re)start")
    audio_seconds_per_second: float | None = Field(None, description="audio reprocessed per wall second")
    eta_seconds: float | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None

    _tz = field_validator("created_at", "finished_at")(_aware)


class RevisionOut(TranscriptOut):
    current: bool
    run_id: str | None = Field(description="the reprocess run that made it; null for the first processing")
    wer_vs_previous: float | None = Field(
        description="percent of words changed from the revision before (case and punctuation ignored)"
    )


class AuditEventOut(BaseModel):
    at: datetime
    actor: str = Field(examples=["key:crm", "user:dana", "system:retention"])
    action: str = Field(examples=["read"])
    voicemail_id: str | None
    detail: dict[str, Any] = Field(description="ids, counts and field names; never content")

    _tz = field_validator("at")(_aware)


class ErasureIn(BaseModel):
    caller: str = Field(min_length=3, max_length=64, description="the calling number, any format")
    dry_run: bool = Field(False, description="count only: nothing is erased")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"caller": "+15550134"}]})


class ErasureOut(BaseModel):
    caller: str = Field(description="the number as the audit trail keeps it", examples=["+1•••••34"])
    dry_run: bool
    voicemails: list[str]
    call_records: int
    revisions: int
    notes: int
    audio_files: int
    skipped: list[str] = Field(description="still being processed: erase again when they have finished")
    sent_to_crm: list[dict[str, Any]] = Field(
        default_factory=list,
        description="what was sent to CRM connectors (connector, kind, ids there, voicemail): erasing in "
        "Voice does not erase it there (docs/crm.md)",
    )


class ErrorOut(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="what was wrong: a sentence, or the invalid fields", examples=["voicemail not found"]
    )


_ERROR_TEXT = {
    401: "no API key, or a wrong or revoked one",
    403: "the key's role does not allow this",
    404: "not found (or not visible to this key)",
    409: "not now: it is being processed, or has ended",
    413: "the request body is larger than the limit",
    422: "the request is not valid",
    429: "too many requests, or too many voicemails pending, for this key (see Retry-After)",
    503: "the database is unavailable; try again shortly (see Retry-After)",
    507: "the server's disk is full; try again later (see Retry-After)",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for these error codes, all shaped {"detail": ...}."""
    return {code: {"model": ErrorOut, "description": _ERROR_TEXT[code]} for code in codes}


# Every endpoint behind a key can answer these.
API_ERRORS = errors(401, 403, 413, 422, 429, 503)
