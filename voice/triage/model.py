"""The triage's vocabulary: the sticky note (Triage), a reference it names, what is known about the call
besides its words (CallContext), and the closed sets of intents and urgencies."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

INTENTS = (
    "callback_request",
    "appointment",
    "billing",
    "support",
    "sales_lead",
    "complaint",
    "cancellation",
    "delivery",
    "personal",
    "wrong_number",
    "spam_robocall",
    "no_message",
    "other",
)
URGENCIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class Reference:
    kind: str  # order, invoice, account, case, ticket, claim, policy, reference, confirmation
    value: str


@dataclass(frozen=True)
class Triage:
    summary: str
    caller_name: str | None
    organisation: str | None
    callback_number: str | None
    callback_time_text: str | None
    callback_time: datetime | None
    email: str | None
    references: tuple[Reference, ...]
    request: str | None
    intent: str
    intent_confidence: float
    urgency: str
    urgency_reasons: tuple[str, ...]
    sentiment: str
    sentiment_score: float
    flags: tuple[str, ...]
    language: str | None
    priority: float
    fingerprint: str | None
    summariser: str = "builtin"
    error: str | None = None  # why an optional summariser was not used

    @property
    def text(self) -> str:  # the one-line summary, as the foundation's Summary called it
        return self.summary

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["callback_time"] = self.callback_time.isoformat() if self.callback_time else None
        out["references"] = [asdict(r) for r in self.references]
        out["urgency_reasons"] = list(self.urgency_reasons)
        out["flags"] = list(self.flags)
        out["text"] = self.summary
        return out


@dataclass(frozen=True)
class CallContext:
    """What the pipeline knows about the call besides the words."""

    started_at: datetime | None = None
    caller_id: str | None = None
    region: str = "US"
    # True when the region came from the mailbox's config: then the caller id does not change it.
    region_fixed: bool = False
    confidence: float | None = None  # the transcript's
    repeat_calls: int = 0  # earlier voicemails from the same number within 24 h
    same_text_callers: int = 0  # other numbers that left the same text recently
