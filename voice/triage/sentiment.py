"""The caller's tone: VADER for English, neutral for other languages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str, language: str) -> tuple[str, float]:
    """VADER's compound score (-1..1) for English; other languages are left neutral."""
    if not text or not language.startswith("en"):
        return "neutral", 0.0
    score = float(_vader().polarity_scores(text)["compound"])
    label = "negative" if score <= -0.35 else "positive" if score >= 0.5 else "neutral"
    return label, round(score, 3)
