"""API schemas of callback tracking (docs/callbacks.md), in api/schemas.py's style; kept apart so that
module stays under 500 lines."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas import _aware

OutcomeName = Literal["reached", "left_message", "no_answer", "wrong_number"]
SourceName = Literal["agent", "api", "twilio", "upstream"]


class CallbackIn(BaseModel):
    """A call back: without ``outcome`` it is pending until its outcome is recorded (PATCH)."""

    outcome: OutcomeName | None = Field(None, description="null: the call is under way")
    note: str | None = Field(None, max_length=2000, examples=["will send the invoice again"])
    close: bool = Field(False, description="mark the voicemail handled whatever the outcome (reached does)")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "left_message"}]})


class OutcomeIn(BaseModel):
    outcome: OutcomeName
    note: str | None = Field(None, max_length=2000)
    close: bool = Field(False, description="mark the voicemail handled whatever the outcome (reached does)")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "reached"}]})


class CallbackOut(BaseModel):
    id: int
    voicemail_id: str
    who: str = Field(description="the user, API key or integration that called", examples=["alice"])
    source: SourceName
    external_id: str | None = Field(description="the reported call's id (Twilio CallSid, ...)")
    number: str | None = Field(description="the number called", examples=["+12125550134"])
    started_at: datetime
    outcome: OutcomeName | None
    outcome_at: datetime | None
    duration_s: float | None
    note: str | None

    _tz = field_validator("started_at", "outcome_at")(_aware)


class CallbackList(BaseModel):
    items: list[CallbackOut]
    agent_state: Literal["new", "in_progress", "handled"]
    first_callback_at: datetime | None = Field(description="when the first attempt started")
    time_to_first_callback_s: float | None = Field(description="from the voicemail's arrival to that")
    escalations: int = Field(description="reassignments for want of a callback (at most one per deadline)")

    _tz = field_validator("first_callback_at")(_aware)


class OutboundIn(BaseModel):
    """An outbound call your system placed to a caller's number, once it is over."""

    call_id: str = Field(
        ..., min_length=1, max_length=200, description="your call's id; a repeat changes nothing"
    )
    number: str = Field(
        ..., min_length=1, max_length=64, description="the number called", examples=["+12125550134"]
    )
    status: str = Field(
        ...,
        min_length=1,
        max_length=20,
        description="completed, busy, no-answer, failed or canceled (Twilio's words); others are not final",
        examples=["completed"],
    )
    duration_s: float | None = Field(None, ge=0, le=86400, examples=[95])
    started_at: datetime | None = None
    agent: str | None = Field(None, max_length=100, description="who placed the call", examples=["alice"])
    outcome: OutcomeName | None = Field(
        None, description="the outcome, if you know it better than the status"
    )

    model_config = ConfigDict(extra="forbid")


class OutboundOut(BaseModel):
    recorded: list[CallbackOut] = Field(description="one attempt per open voicemail from that number")
    replayed: bool = Field(description="this call was reported before: nothing new was recorded")
    final: bool = Field(description="false: the status is not final (ringing ...) and nothing was recorded")
