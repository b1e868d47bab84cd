"""The one place that computes a voicemail's priority: the triage score it is stored with."""

from __future__ import annotations

URGENCY_POINTS = {"urgent": 60.0, "high": 40.0, "normal": 20.0, "low": 5.0}
INTENT_POINTS = {
    "complaint": 10.0, "cancellation": 10.0, "sales_lead": 8.0, "billing": 6.0, "support": 6.0,
    "appointment": 5.0, "delivery": 5.0, "callback_request": 5.0, "personal": 2.0, "other": 2.0,
    "wrong_number": 0.0, "spam_robocall": 0.0, "no_message": 0.0,
}  # fmt: skip


def priority_of(urgency: str, intent: str, repeat_calls: int, sentiment: str) -> float:
    """urgency points + intent points + 5 per earlier call from the number within 24 h (at most 15)
    + 5 for negative sentiment. Waiting time is added when the inbox is read (see README)."""
    points = URGENCY_POINTS[urgency] + INTENT_POINTS[intent] + min(repeat_calls, 3) * 5.0
    if sentiment == "negative":
        points += 5.0
    return points
