"""Transcription engines: one small interface, one module per engine, one model per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from voice.core.transcription_settings import TranscriptionSettings


@dataclass(frozen=True)
class RawWord:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class RawSegment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float = 0.0
    words: tuple[RawWord, ...] = ()


@dataclass(frozen=True)
class DecodeOptions:
    """Per-request decoding choices (the OpenAI-compatible endpoint exposes them)."""

    prompt: str | None = None  # Whisper's initial prompt: spellings, names, context
    temperature: float | None = None  # None: Whisper's fallback schedule 0.0, 0.2, ... 1.0
    word_timestamps: bool = False

    def whisper_kwargs(self) -> dict[str, object]:
        """The keyword arguments both engines' transcribe() take for these options."""
        out: dict[str, object] = {
            "initial_prompt": self.prompt or None,
            "word_timestamps": self.word_timestamps,
        }
        if self.temperature is not None:
            out["temperature"] = self.temperature
        return out


@dataclass(frozen=True)
class RawTranscription:
    segments: tuple[RawSegment, ...]
    language: str
    language_probability: float


class Engine(Protocol):
    name: str
    model: str

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        """Transcribe 16 kHz mono float32 samples; segment times are relative to ``audio``."""
        ...


@runtime_checkable
class LanguageDetector(Protocol):
    """An engine that can say how probable each language is (both real engines can)."""

    multilingual: bool

    def detect_languages(self, audio: np.ndarray) -> dict[str, float]:
        """Whisper's probability for every language it knows, from the first 30 s window of ``audio``."""
        ...


ENGINES = ("faster-whisper", "openai-whisper")
_cache: dict[tuple[Any, ...], Engine] = {}
_lock = threading.Lock()


def get_engine(
    settings: TranscriptionSettings, model: str | None = None, engine: str | None = None
) -> Engine:
    """The engine for these settings, loaded once per process and reused."""
    engine = engine or settings.engine
    model = model or settings.model
    key = (
        engine, model, settings.device, settings.compute_type, settings.cpu_threads, settings.beam_size,
        settings.full_window_beam_size,
        settings.parallel, settings.batch_size, settings.window_padding_s, settings.adaptive_beam,
        settings.adaptive_logprob, settings.adaptive_compression,
    )  # fmt: skip
    with _lock:
        if key not in _cache:
            if engine == "faster-whisper":
                from voice.transcription.engines.faster_whisper_engine import FasterWhisperEngine

                _cache[key] = FasterWhisperEngine(model, settings)
            elif engine == "openai-whisper":
                from voice.transcription.engines.openai_whisper_engine import OpenAIWhisperEngine

                _cache[key] = OpenAIWhisperEngine(model, settings)
            else:
                raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        return _cache[key]
