"""How soon to call back: urgent, high, normal or low, with the reasons a person would give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from voice.triage.intent import phrases
from voice.triage.model import CallContext

_EMERGENCY = phrases(
    r"emergency",
    r"flood(?:ing|ed)?",
    r"burst pipe",
    r"gas leak",
    r"(?:on )?fire\b",
    r"smoke",
    r"hospital",
    r"ambulance",
    r"life[- ]threatening",
    r"no heat",
    r"(?:water|sewage) (?:everywhere|leak(?:ing)?)",
    r"locked out",
    r"urgencia",
    r"emergencia",
    r"dringend",
    r"notfall",
    r"urgence",
)
_URGENT = phrases(
    r"urgent(?:ly)?",
    r"asap",
    r"a\.s\.a\.p",
    r"as soon as (?:possible|you can|you get this)",
    r"right away",
    r"immediately",
    r"critical",
    r"time[- ]sensitive",
    r"straight away",
    r"urgente",
    r"lo antes posible",
    r"sofort",
)
_TODAY = phrases(
    r"today",
    r"tonight",
    r"this (?:afternoon|evening)",
    r"by (?:the )?end of (?:the )?day",
    r"end of business",
    r"within the (?:hour|next hour)",
    r"before (?:\d{1,2}|noon|five|six|five o'clock)",
    r"hoy",
    r"heute",
    r"aujourd'hui",
)
_REPEAT_WORDS = phrases(
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time (?:i(?:'ve| have)? )?(?:call|tr)",
    r"called (?:you )?(?:several|a few|many|multiple|three|two) times",
    r"(?:still )?(?:haven't|have not|never) (?:heard|gotten a call) back",
    r"nobody (?:has )?called me back",
    r"calling (?:again|back again)",
    r"left (?:you )?(?:a|another) message",
    r"every time I call",
)


def _is_deadline(phrase: str, when: datetime, start: datetime) -> bool:
    """ "by 5", "before Friday" within 24 h, or any time later the same day; not "after", "around",
    or "tomorrow morning" (that is when they are free, not a deadline)."""
    ahead = when - start.astimezone(UTC)
    if not timedelta(0) <= ahead <= timedelta(hours=24):
        return False
    first = phrase.split()[0].lower() if phrase.split() else ""
    return first in ("by", "before", "until") or when.date() == start.astimezone(UTC).date()


def _reasons(
    text: str, intent: str, sentiment: str, time_text: str | None, when: datetime | None, context: CallContext
) -> list[str]:
    reasons: list[str] = []
    if m := _EMERGENCY.search(text):
        reasons.append(f"said “{m.group(0)}”")
    if m := _URGENT.search(text):
        reasons.append(f"said “{m.group(0)}”")
    if m := _TODAY.search(text):
        reasons.append(f"wants it “{m.group(0)}”")
    start = context.started_at or datetime.now(UTC)
    if when is not None and not _TODAY.search(text) and _is_deadline(time_text or "", when, start):
        reasons.append(f"deadline within 24 h ({time_text})")
    if context.repeat_calls:
        reasons.append(f"{context.repeat_calls} earlier call(s) from this number today")
    elif _REPEAT_WORDS.search(text):
        reasons.append("says they called before")
    if sentiment == "negative":
        reasons.append("negative tone")
    if intent == "complaint" and sentiment != "positive":
        reasons.append("a complaint")  # unhappy customers are the ones who leave
    return reasons


def urgency_of(
    text: str, intent: str, sentiment: str, time_text: str | None, when: datetime | None, context: CallContext
) -> tuple[str, tuple[str, ...]]:
    """The urgency and why: an emergency, or three reasons, is urgent; one reason is high."""
    if intent in ("spam_robocall", "wrong_number"):
        return "low", ()
    reasons = tuple(_reasons(text, intent, sentiment, time_text, when, context))
    emergency = bool(_EMERGENCY.search(text))
    points = 2 * emergency + len(reasons)
    if emergency or points >= 3:
        return "urgent", reasons
    if points >= 1:
        return "high", reasons
    if intent == "personal":
        return "low", reasons
    return "normal", reasons
