"""The words on the sticky note: the sentence that says what the caller wants, and the one-line summary."""

from __future__ import annotations

import re

from voice.triage.model import Reference

_REQUEST_CUES = re.compile(
    r"call (me|us)? ?back|callback|call me|give me a call|get back to|please|need|want|would like|"
    r"calling (about|regarding|to|because)|question|appointment|reschedul|cancel|invoice|order|bill|"
    r"deliver|refund|problem|issue|urgent|asap|\?|llámame|llamar|rappel|zurückruf|rückruf|ligar|retorn",
    re.I,
)


def _sentences(text: str) -> list[str]:
    # Split after sentence punctuation, but not after titles ("Mr. Quilter").
    parts = re.split(r"(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bMrs\.)(?<=[.!?。？！])\s+", text)
    return [s.strip() for s in parts if s.strip()]


def find_request(text: str) -> str | None:
    """The sentence that says what the caller wants, shortened to about 25 words."""
    sentences = _sentences(text)
    if not sentences:
        return None
    scored = [(len(_REQUEST_CUES.findall(s)), -i, s) for i, s in enumerate(sentences)]
    best = max(scored)[2] if max(scored)[0] > 0 else sentences[0]
    words = best.split()
    return " ".join(words[:25]) + ("…" if len(words) > 25 else "")


_VERBS = {
    "callback_request": "asks for a callback",
    "appointment": "wants to book or change an appointment",
    "billing": "has a billing question",
    "support": "needs help with a problem",
    "sales_lead": "is interested in buying",
    "complaint": "has a complaint",
    "cancellation": "wants to cancel",
    "delivery": "asks about a delivery",
    "personal": "left a personal message",
    "other": "left a message",
}


def _shorten(words: str, limit: int = 25) -> str:
    parts = words.split()
    return " ".join(parts[:limit]).rstrip(",;") + ("…" if len(parts) > limit else "")


def _topic(references: tuple[Reference, ...]) -> str:
    if references:
        ref = references[0]
        return f" about {ref.kind} {ref.value}"
    return ""


def summary_line(
    text: str,
    english: bool,
    intent: str,
    name: str | None,
    org: str | None,
    refs: tuple[Reference, ...],
    time_text: str | None,
    request: str | None,
) -> str:
    """English: who, from where, wants what, about which reference, when. Other languages: the request
    sentence in the caller's own words."""
    if not english:
        return _shorten(f"{name}: {request}" if name and request else request or text)
    who = name or "A caller"
    if intent == "spam_robocall":
        return "Recorded sales or robocall message" + (f" ({org})" if org else "") + "."
    if intent == "wrong_number":
        return f"{who} dialled the wrong number."
    subject = f"{who}{f' from {org}' if org else ''} {_VERBS[intent]}{_topic(refs)}"
    if time_text:
        subject += f", {time_text}"
    return _shorten(subject) + "."
