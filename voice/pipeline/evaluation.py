"""`voice eval triage --audio`: each labelled row's recording through the whole pipeline (normalise, detect
speech, transcribe, triage; no database), so triage of what was heard can be set beside triage of the row's
own words: a field right on the text and wrong on the audio is a transcription error, wrong on both a
triage error. The call context is the service's (voice.triage.context), as for the text."""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice.core.config import Settings
from voice.pipeline.process import analyse
from voice.storage.models import Status
from voice.transcription.engines import Engine
from voice.triage.classify import no_speech_triage
from voice.triage.evaluate import Example, Metric, context_for
from voice.triage.model import Triage
from voice.triage.spoken_numbers import numbers_as_digits, spoken_digits_to_numbers

# Scripts written without spaces between words: their error rate is counted in characters.
CHARACTER_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "km", "yue"})


@dataclass(frozen=True)
class Heard:
    """One row's recording through the pipeline: what was heard, its triage, its errors against the text."""

    example: Example
    status: str
    reason: str | None
    text: str
    language: str | None  # the transcript's (detected unless given)
    triage: Triage
    errors: int | None  # word (character) edits from the row's text to the transcript; None without words
    words: int  # words (characters) in the row's text

    def as_dict(self) -> dict[str, Any]:
        wer = self.errors / self.words if self.errors is not None and self.words else None
        return {"id": self.example.id, "status": self.status, "reason": self.reason,
                "language": self.language, "transcript": self.text,
                "wer": None if wer is None else round(wer, 4)}  # fmt: skip


def hear(
    examples: list[Example],
    settings: Settings,
    engine: Engine,
    given_language: bool = False,
    on_row: Callable[[Heard], None] | None = None,
) -> list[Heard]:
    """Run the pipeline on each row's ``audio``; ``given_language`` passes the row's language as the hint
    (transcription alone), else it is detected as for a voicemail that names none (among its mailbox's
    expected languages, VOICE_TRANSCRIPTION__MAILBOX_LANGUAGES, when it has some)."""
    out = []
    for ex in examples:
        if ex.audio is None:
            raise ValueError(f"{ex.id} names no audio file")
        # As the service: the row's language when given, else its mailbox's expected ones, else the settings'.
        hint = settings.transcription.languages_for(ex.mailbox, ex.language if given_language else None)
        with tempfile.TemporaryDirectory(prefix="voice-eval-") as tmp:
            result = analyse(ex.audio, Path(tmp), settings, engine, hint, context_for(ex, settings.summary))
        tr = result.transcript
        text = tr.text if tr is not None and result.status == Status.DONE else ""
        summary = result.summary or no_speech_triage(result.reason or result.status)  # failed: nothing found
        errors, words = edits(ex.transcript, text, ex.language)
        heard = Heard(
            ex, result.status, result.reason, text, tr.language if tr else None, summary, errors, words
        )
        out.append(heard)
        if on_row is not None:
            on_row(heard)
    return out


def _tokens(text: str, language: str) -> list[str]:
    """Lower case, punctuation gone; words, or characters for languages written without spaces. Numbers go
    digit by digit, whether said or written ("six one two" = "612" = "6-1-2"): voicemail is full of them,
    and how Whisper groups or spells them is not an error."""
    said = spoken_digits_to_numbers(numbers_as_digits(text, language), language)
    digits = re.sub(r"(\d)", r" \1 ", said)
    kept = "".join(" " if unicodedata.category(c).startswith(("P", "S")) else c for c in digits.lower())
    if language.split("-")[0] in CHARACTER_LANGUAGES:
        return [c for c in kept if not c.isspace()]
    return re.sub(r"\s+", " ", kept).split()


def edits(reference: str, hypothesis: str, language: str) -> tuple[int | None, int]:
    """(substitutions + deletions + insertions, reference length) in words (characters for zh, ja...); None
    edits when the reference has no words (a hang-up has no error rate)."""
    import jiwer

    ref, hyp = _tokens(reference, language), _tokens(hypothesis, language)
    if not ref:
        return None, 0
    if not hyp:
        return len(ref), len(ref)
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return out.substitutions + out.deletions + out.insertions, len(ref)


def asr_metrics(heard: list[Heard]) -> dict[str, Metric]:
    """Word error rate over all words, the share of rows whose language was heard right, real messages
    that ended as no speech, and files that failed."""
    scored = [h for h in heard if h.errors is not None]
    words = sum(h.words for h in scored)
    with_language = [h for h in heard if h.language]
    speech = [h for h in heard if h.example.transcript.strip()]
    return {
        "WER (CER for zh, ja)": sum(h.errors or 0 for h in scored) / words if words else None,
        "language right": (
            sum(_same_language(h.language, h.example.language) for h in with_language) / len(with_language)
            if with_language
            else None
        ),
        "speech taken for none": (
            sum(h.status == Status.NO_SPEECH for h in speech) / len(speech) if speech else None
        ),
        "failed": sum(h.status == Status.FAILED for h in heard) / len(heard) if heard else None,
    }


def _same_language(heard: str | None, said: str) -> bool:
    return bool(heard) and (heard or "").split("-")[0].lower() == said.split("-")[0].lower()


def asr_by_language(heard: list[Heard], languages: list[str]) -> dict[str, dict[str, Metric]]:
    return {lang: asr_metrics([h for h in heard if h.example.language == lang]) for lang in languages}
