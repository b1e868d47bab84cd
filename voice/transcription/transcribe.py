"""Transcribe speech audio with an engine and clean up Whisper's known failures on voicemail."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from voice.audio.speech_detection import SpeechAudio
from voice.transcription.engines import DecodeOptions, Engine, LanguageDetector, RawSegment, RawTranscription
from voice.transcription.language import LanguageGuard, choose_language, split_languages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    temperature: float = 0.0
    words: tuple[Word, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.words:
            del out["words"]  # only asked for by the OpenAI-compatible endpoint
        return out


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    language_probability: float
    segments: tuple[Segment, ...]
    confidence: float
    engine: str
    model: str
    seconds: float  # wall time spent in the engine


# Phrases Whisper is known to invent on silence, music or noise (it learnt them from subtitles).
_HALLUCINATIONS = re.compile(
    r"^(thank you|thanks) (so much )?for watching|^please subscribe|^subtitles? by|^subtitled by"
    r"|^transcribed by|^translated by|amara\.org|^www\.|^\W*(you|bye|thank you|thanks)\W*$"
    r"|^sous-titr|^untertitel|^untertitelung|^subtítulos|^legendas? (por|pela)",
    re.I,
)


def _collapse_repeats(text: str, max_repeats: int = 2) -> str:
    """Cut phrase loops ("I'll call you back. I'll call you back. I'll call you back...")."""
    words = text.split()
    changed = True
    while changed:
        changed = False
        for size in range(1, min(12, len(words) // (max_repeats + 1)) + 1):
            i = 0
            while i + size * (max_repeats + 1) <= len(words):
                unit = [w.lower().strip(".,!?") for w in words[i : i + size]]
                j = i + size
                count = 1
                while words[j : j + size] and [w.lower().strip(".,!?") for w in words[j : j + size]] == unit:
                    count += 1
                    j += size
                if count > max_repeats:
                    words = words[: i + size * max_repeats] + words[j:]
                    changed = True
                i += 1
    return " ".join(words)


def _keep(seg: RawSegment) -> bool:
    text = seg.text.strip()
    if not text:
        return False
    # Whisper's own rule for silent windows, applied per segment.
    if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
        return False
    # Loops (high compression ratio) were already retried at higher temperature by the engine and are
    # cut by _collapse_repeats; dropping such segments would also drop a caller who repeats themselves.
    return not (_HALLUCINATIONS.search(text) and (seg.avg_logprob < -0.5 or seg.no_speech_prob > 0.3))


def clean_segments(raw: tuple[RawSegment, ...], audio: SpeechAudio) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for seg in raw:
        if not _keep(seg):
            continue
        text = _collapse_repeats(seg.text.strip())
        if out and text.lower() == out[-1].text.lower():
            continue  # the same sentence again in the next window is a loop, not speech
        out.append(
            Segment(
                start=audio.original_time(seg.start),
                end=audio.original_time(seg.end, is_end=True),
                text=text,
                avg_logprob=round(seg.avg_logprob, 4),
                no_speech_prob=round(seg.no_speech_prob, 4),
                temperature=seg.temperature,
                words=tuple(
                    Word(
                        start=audio.original_time(w.start),
                        end=audio.original_time(w.end, is_end=True),
                        word=w.word,
                        probability=round(w.probability, 4),
                    )
                    for w in seg.words
                ),
            )
        )
    return tuple(out)


def confidence_of(segments: tuple[Segment, ...]) -> float:
    """Duration-weighted mean token probability, discounted by the chance of no speech."""
    if not segments:
        return 0.0
    weights = [max(s.end - s.start, 0.1) for s in segments]
    scores = [math.exp(s.avg_logprob) * (1.0 - s.no_speech_prob) for s in segments]
    return round(sum(w * c for w, c in zip(weights, scores, strict=True)) / sum(weights), 4)


def _join(segments: tuple[Segment, ...], language: str) -> str:
    # Languages written without spaces between words are joined as they are.
    if language in {"zh", "ja", "th", "lo", "my", "yue"}:
        return "".join(s.text for s in segments)
    return _collapse_repeats(" ".join(s.text for s in segments).strip())


def _decode(
    engine: Engine, audio: SpeechAudio, language: str | None, options: DecodeOptions | None
) -> tuple[RawTranscription, tuple[Segment, ...]]:
    raw = engine.transcribe(audio.samples, language, options)
    return raw, clean_segments(raw.segments, audio)


def transcribe(
    engine: Engine,
    audio: SpeechAudio,
    language: str | Sequence[str] | None = None,
    options: DecodeOptions | None = None,
    guard: LanguageGuard | None = None,
) -> Transcript:
    """Transcribe ``audio`` in ``language``: one code is forced; several ("en,de" or a list) are the
    languages expected, chosen among by Whisper's probabilities; none: detected (``choose_language``).
    A decode that keeps no words is retried in the choice's next languages before giving up."""
    started = time.perf_counter()
    allowed = split_languages(language)
    if len(allowed) == 1 or not isinstance(engine, LanguageDetector) or not engine.multilingual:
        raw, segments = _decode(engine, audio, allowed[0] if allowed else None, options)
        probability = raw.language_probability
    else:
        probs = engine.detect_languages(audio.samples)
        choice = choose_language(probs, allowed, guard)
        raw, segments = _decode(engine, audio, choice.language, options)
        probability = choice.probability
        for retry in choice.retries:
            if segments:
                break
            log.info(
                "no words in %s (%s, p=%.2f); retrying in %s", raw.language, choice.how, probability, retry
            )
            raw, segments = _decode(engine, audio, retry, options)
            probability = probs.get(retry, 0.0)
    seconds = time.perf_counter() - started
    return Transcript(
        text=_join(segments, raw.language),
        language=raw.language,
        language_probability=round(probability, 4),
        segments=segments,
        confidence=confidence_of(segments),
        engine=engine.name,
        model=engine.model,
        seconds=round(seconds, 3),
    )
