"""The caller's tone: VADER for English, neutral for other languages."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Courtesies and self-corrections that VADER scores as negative ("sorry", "hate", "no") but that say nothing
# of the caller's mood: "Sorry to bother you, could you call me back?" is polite, not upset, and a "negative
# tone" is an urgency reason.
_COURTESY = re.compile(
    r"\b(?:(?:i'?m |i am |so |really )?sorry (?:to (?:bother|trouble|disturb) you|for (?:the |any )?"
    r"(?:bother|trouble|inconvenience|late (?:call|reply)|calling (?:so )?(?:late|early))|i missed your call)"
    r"|(?:i )?hate to (?:bother|trouble) you|(?:oh )?no,? (?:wait|sorry)"
    r"|sorry,? (?:i mean|no|wait|scratch that)"
    r"|(?:i )?apologi[sz]e for (?:the |any )?(?:bother|trouble|inconvenience))\b",
    re.I,
)


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str, language: str) -> tuple[str, float]:
    """VADER's compound score (-1..1) for English; other languages are left neutral."""
    if not text or not language.startswith("en"):
        return "neutral", 0.0
    score = float(_vader().polarity_scores(_COURTESY.sub(" ", text))["compound"])
    label = "negative" if score <= -0.35 else "positive" if score >= 0.5 else "neutral"
    return label, round(score, 3)
