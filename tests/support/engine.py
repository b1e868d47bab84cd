"""A deterministic stand-in for Whisper, for api-tier tests about the API's shape, not about speech.

Voice's engines are chosen by `transcription.engine` and loaded once per process by `get_engine`, cached
by the settings that shape them. ``use_fixed_engine`` puts ``FixedEngine`` in that cache under the settings
of ``FIXED_MODEL``, a model name no real engine knows, so settings that name it get this engine everywhere
(embedded worker, pipeline, reprocessing) and nothing in voice/ knows about tests."""

from __future__ import annotations

import threading

import numpy as np

from voice.core.errors import VoicemailError
from voice.core.transcription_settings import TranscriptionSettings
from voice.transcription import engines
from voice.transcription.engines import DecodeOptions, RawSegment, RawTranscription

FIXED_MODEL = "fixed-test"
FIXED_TEXT = "Hi, this is Dana from Acme. Please call me back about invoice 4471. Thanks, bye."


class FixedEngine:
    """The same English sentence for any audio, as one segment over all of it; or, once after
    ``fail_next``, an engine failure."""

    name = "faster-whisper"  # what a revision records; the model says it was this stand-in
    model = FIXED_MODEL

    def __init__(self) -> None:
        self._failures: list[str] = []
        self._lock = threading.Lock()

    def fail_next(self, reason: str) -> None:
        """The next transcription (in any thread) raises VoicemailError(reason), as a broken engine would."""
        with self._lock:
            self._failures.append(reason)

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise VoicemailError(failure)
        seconds = max(len(audio) / 16000, 0.5)
        segment = RawSegment(0.0, seconds, FIXED_TEXT, avg_logprob=-0.1, no_speech_prob=0.01,
                             compression_ratio=1.2)  # fmt: skip
        return RawTranscription((segment,), language or "en", 0.99)


class _KeyCatcher(dict):  # type: ignore[type-arg]
    """Stands in for the engine cache for one get_engine call: records the key it looks up and hands
    back the engine to store, so the key is get_engine's own, not a copy of its rule."""

    def __init__(self, engine: FixedEngine) -> None:
        super().__init__()
        self.engine = engine
        self.key: object = None

    def __contains__(self, key: object) -> bool:
        self.key = key
        return True

    def __getitem__(self, key: object) -> FixedEngine:
        return self.engine


def use_fixed_engine(settings: TranscriptionSettings) -> FixedEngine:
    """From now on in this process, ``get_engine(settings)`` answers a FixedEngine. ``settings`` must name
    FIXED_MODEL (so real settings never meet it)."""
    assert settings.model == FIXED_MODEL, settings.model
    engine = FixedEngine()
    catcher = _KeyCatcher(engine)
    real = engines._cache
    engines._cache = catcher  # type: ignore[assignment]
    try:
        engines.get_engine(settings)
    finally:
        engines._cache = real
    real[catcher.key] = engine  # type: ignore[index]
    return engine
