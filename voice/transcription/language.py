"""Which language a voicemail is transcribed in.

Whisper's language detection gives a probability per language from the first 30 s window. On short,
noisy 8 kHz telephone audio its top guess can be a language nobody calls in (Latin, Welsh, Thai), and a
decode in that language may keep no words at all. A mailbox that names the languages it expects
narrows the choice to those; without such a list the top guess stands, but a decode that keeps no
words is retried in the configured fallback language before the voicemail can end as no speech.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from voice.core.languages import split_languages
from voice.core.transcription_settings import TranscriptionSettings

__all__ = ["LanguageChoice", "LanguageGuard", "choose_language", "split_languages"]

How = Literal["forced", "allowed", "detected", "outside", "uncertain"]


@dataclass(frozen=True)
class LanguageChoice:
    """The language to decode in first, why, and the languages to retry in when that decode keeps no words."""

    language: str
    probability: float  # Whisper's for ``language`` (1.0 when forced)
    how: How
    retries: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageGuard:
    """The thresholds ``choose_language`` applies (TranscriptionSettings holds the configured ones)."""

    fallback: str = "en"  # retried in when a detected language's decode keeps no words
    likely: float = 0.05  # an expected language at least this probable is taken
    confident: float = 0.5  # a language outside the expected ones is taken only at this probability

    @classmethod
    def from_settings(cls, settings: TranscriptionSettings) -> LanguageGuard:
        return cls(settings.fallback_language, settings.language_likely, settings.language_confident)


def _ranked(probs: Mapping[str, float], among: Sequence[str] | None = None) -> list[str]:
    """Languages by falling probability (ties in the order given), optionally only those ``among``."""
    names = list(among) if among is not None else list(probs)
    return sorted(names, key=lambda lang: -probs.get(lang, 0.0))


def _unique(langs: Sequence[str], skip: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lang for lang in langs if lang != skip))


def choose_language(
    probs: Mapping[str, float], allowed: Sequence[str] = (), guard: LanguageGuard | None = None
) -> LanguageChoice:
    """Pick the language to decode in from Whisper's ``probs`` and the ``allowed`` (expected) languages.

    - one allowed language: forced, whatever the audio says;
    - several: the most probable of them, unless none is likely (each under ``guard.likely``) while a
      language outside them is confident (at least ``guard.confident``): then that one, a caller the
      mailbox did not expect; when nothing is confident either, the most probable allowed one;
    - none: the most probable language, retried in ``guard.fallback`` if its decode keeps no words.
    """
    guard = guard or LanguageGuard()
    if len(allowed) == 1:
        return LanguageChoice(allowed[0], 1.0, "forced")
    top = _ranked(probs)[0] if probs else guard.fallback
    p_top = probs.get(top, 0.0)
    if not allowed:
        second = _ranked(probs)[1:2]
        how: How = "detected" if p_top >= guard.confident else "uncertain"
        retries = _unique([guard.fallback, *second], top)[:1]
        return LanguageChoice(top, p_top, how, retries)
    ranked = _ranked(probs, allowed)
    best = ranked[0]
    p_best = probs.get(best, 0.0)
    if p_best >= guard.likely or top in allowed:
        return LanguageChoice(best, p_best, "allowed", tuple(ranked[1:]))
    if p_top >= guard.confident:
        return LanguageChoice(top, p_top, "outside", tuple(ranked))
    return LanguageChoice(best, p_best, "uncertain", tuple(ranked[1:]))
