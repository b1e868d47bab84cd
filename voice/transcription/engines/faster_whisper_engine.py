"""faster-whisper (CTranslate2): the default engine. int8 on CPU, float16 on CUDA."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable
from typing import cast

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.transcribe import Segment

from voice.core.cpus import cores_each
from voice.core.memory import release_free_memory
from voice.core.transcription_settings import TranscriptionSettings
from voice.transcription.engines import DecodeOptions, RawSegment, RawTranscription, RawWord
from voice.transcription.engines.slots import Slots
from voice.transcription.engines.window import FULL_WINDOW_BELOW_FRAMES, kept_frames, trim_padding
from voice.transcription.weights import resolve_model

# oneDNN (CTranslate2's CPU kernels) caches up to 1024 compiled kernels, one per input shape, and a short
# window's shape follows each voicemail's length: the cache grew the worker by ~2 MB a voicemail (307 -> 414
# MB over the short set, in process). Off, it stayed at 331 MB in the same time (bench/README.md, Levers).
# oneDNN reads it when it makes its first kernel; set here, at import, before any thread runs one. An
# operator's value (either name) stands.
if not {"ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY"} & set(os.environ):
    os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = "0"


def _cuda_available() -> bool:
    try:
        return bool(ctranslate2.get_cuda_device_count() > 0)
    except Exception:
        return False


class _EncodeOnceModel(WhisperModel):
    """A WhisperModel that reuses the first window's encoding from language detection.

    faster-whisper 1.2 encodes the first 30 s window once to detect the language and again to decode
    it. On a voicemail (one window, mostly) the encoder is over half the work, so detecting the language
    ourselves and handing that encoding back here saves about a third of the transcription time.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._primed = threading.local()  # per thread: num_workers > 1 runs transcriptions side by side
        self.encodes = 0  # windows encoded, for tests and the benchmark
        self.frames_encoded = 0  # their length in feature frames (100 a second)
        self.padding_frames = 3000  # zero-padding frames kept after a short window's audio (3000: all)

    def first_window(self, audio: np.ndarray) -> np.ndarray:
        """The first window's features exactly as ``generate_segments`` will cut them."""
        features = self.feature_extractor(audio)
        content_frames = features.shape[-1] - 1
        window: np.ndarray = pad_or_trim(
            features[:, : min(self.feature_extractor.nb_max_frames, content_frames)]
        )
        return window

    def detect(self, audio: np.ndarray) -> dict[str, float]:
        """Every language's probability from the first window; its encoding is kept for the decoder."""
        window = self.first_window(audio)
        encoded = self._encode(window, first=True)
        ranked = self.model.detect_language(encoded)[0]
        self._primed.value = (window, encoded)
        return {token[2:-2]: float(probability) for token, probability in ranked}

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        primed = getattr(self._primed, "value", None)
        self._primed.value = None
        if primed is not None and primed[0].shape == features.shape and np.array_equal(primed[0], features):
            encoded = primed[1]
        else:
            encoded = self._encode(features, first=getattr(self._primed, "first", None) is None)
        if getattr(self._primed, "first", None) is None:
            self._primed.first = (features, encoded)
        return encoded

    def _encode(self, features: np.ndarray, first: bool) -> ctranslate2.StorageView:
        """Encode one window, short when it may be (window.py). A first window of very little speech keeps
        its 30 s: the language is detected on it; a later window is decoded in a language already chosen."""
        features = trim_padding(features, self.padding_frames, FULL_WINDOW_BELOW_FRAMES if first else 0)
        self.encodes += 1
        self.frames_encoded += features.shape[-1]
        return super().encode(features)

    def forget(self) -> None:
        """Start a new transcription in this thread: the next window encoded is its first."""
        self._primed.first = None

    def reprime(self) -> None:
        """Hand this transcription's first encoded window to the next decode of the same audio (the
        adaptive beam's second pass), so the encoder does not run twice."""
        self._primed.value = getattr(self._primed, "first", None)


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model: str, settings: TranscriptionSettings) -> None:
        self.model = model
        self.settings = settings
        device = settings.device
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        self.device = device
        compute_type = settings.compute_type
        if compute_type == "default":
            # int8 on CPU: faster than float32 here, 40% less memory, the same WER (README, Performance).
            compute_type = "float16" if device == "cuda" else "int8"
        self.compute_type = compute_type
        path = resolve_model(model, settings)
        self.multilingual = not model.endswith(".en")
        self._model = _EncodeOnceModel(
            str(path),
            device=device,
            compute_type=compute_type,
            cpu_threads=settings.cpu_threads or cores_each(settings.parallel),
            num_workers=max(1, settings.parallel),
            local_files_only=True,
        )
        self._model.padding_frames = round(settings.window_padding_s * 100)
        release_free_memory()  # loading int8 from the packaged float16 file leaves ~45 MB of freed heap
        self.batch_size = settings.batch_size if settings.batch_size >= 0 else (8 if device == "cuda" else 0)
        self._batched = BatchedInferencePipeline(self._model) if self.batch_size > 1 else None
        # CTranslate2 releases the GIL and runs up to num_workers transcriptions at once; more callers
        # queue here rather than oversubscribe the cores.
        self._slots = Slots(settings.parallel)
        self.decodes = 0  # decoding passes (the adaptive beam's greedy and beam passes count one each)
        self.redecodes = 0  # greedy passes the adaptive beam found unsure and decoded again
        self.beam_decodes: Counter[int] = Counter()  # beam-search passes by beam width

    def full_window(self, audio: np.ndarray) -> bool:
        """Is this audio's first window encoded at its full 30 s (window.py)? It needs the most memory."""
        extractor = self._model.feature_extractor
        content = min(len(audio) // extractor.hop_length, extractor.nb_max_frames)
        window = extractor.nb_max_frames
        return self._batched is not None or kept_frames(content, self._model.padding_frames, window) >= window

    @property
    def encodes(self) -> int:
        return self._model.encodes

    def unsure(self, segments: tuple[RawSegment, ...]) -> bool:
        """Does a greedy pass look unsure (the adaptive beam's test)? Some segment's mean log-probability
        is under ``adaptive_logprob``, or its text compresses like a loop, or it needed a fallback."""
        s = self.settings
        return any(
            seg.avg_logprob < s.adaptive_logprob
            or seg.compression_ratio > s.adaptive_compression
            or seg.temperature > 0
            for seg in segments
        )

    def beam_size(self, full_window: bool) -> int:
        """The beam for a transcription: ``full_window_beam_size`` (when set and narrower) for one whose first
        window is encoded at its full 30 s, where each beam holds the most memory; else ``beam_size``."""
        s = self.settings
        if full_window and s.full_window_beam_size:
            return min(s.beam_size, s.full_window_beam_size)
        return s.beam_size

    def decode_kwargs(
        self, options: DecodeOptions | None = None, full_window: bool = False
    ) -> dict[str, object]:
        """What ``WhisperModel.transcribe`` gets besides the audio and the language."""
        return {
            "beam_size": self.beam_size(full_window),
            # Voicemail is short; conditioning on earlier text is what makes Whisper loop.
            "condition_on_previous_text": False,
            "vad_filter": False,  # speech regions were already cut by voice.audio.speech_detection
            "compression_ratio_threshold": 2.4,
            "log_prob_threshold": -1.0,
            "no_speech_threshold": 0.6,
            **(options or DecodeOptions()).whisper_kwargs(),
        }

    def batched_kwargs(self, audio: np.ndarray, options: DecodeOptions | None = None) -> dict[str, object]:
        """The same decoding for the batched pipeline. It takes no previous-text conditioning and needs
        chunk boundaries: none when the (speech-only) audio fits one window, else its own VAD's cuts."""
        kwargs = self.decode_kwargs(options)
        del kwargs["condition_on_previous_text"]
        kwargs["without_timestamps"] = False  # segment times are mapped back onto the recording
        kwargs["vad_filter"] = len(audio) >= self._model.feature_extractor.n_samples
        return kwargs

    def detect_languages(self, audio: np.ndarray) -> dict[str, float]:
        """Whisper's probability per language; the next ``transcribe`` of this audio in this thread reuses
        the first window's encoding."""
        if not self.multilingual:
            return {"en": 1.0}
        with self._slots.hold(self.full_window(audio)):
            return self._model.detect(audio)

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        full = self.full_window(audio)
        with self._slots.hold(full):
            probability = 1.0
            if not self.multilingual:
                language = "en"
            elif language is None:
                probs = self._model.detect(audio)
                language = max(probs, key=probs.__getitem__)
                probability = probs[language]
            if self._batched is not None:
                segments, info = self._batched.transcribe(
                    audio,
                    language=language,
                    batch_size=self.batch_size,
                    **self.batched_kwargs(audio, options),
                )
                out = _raw(segments)
                self._model.forget()  # the batch's encoding is not kept past its transcription
            else:
                out = self._decode(audio, language, options, full)
        return RawTranscription(out, language, probability)

    def _adaptive(self, options: DecodeOptions | None, full_window: bool = False) -> bool:
        """The adaptive beam applies to the default temperature schedule and a beam wider than one."""
        return (
            self.settings.adaptive_beam
            and self.beam_size(full_window) > 1
            and (options is None or options.temperature is None)
        )

    def _decode(
        self, audio: np.ndarray, language: str, options: DecodeOptions | None, full_window: bool = False
    ) -> tuple[RawSegment, ...]:
        """One decode with the configured beam; with ``adaptive_beam``, a greedy one first, kept unless it
        looks unsure (``unsure``), then the beam search on the same first-window encoding."""
        kwargs = self.decode_kwargs(options, full_window)
        self._model.forget()
        try:
            return self._passes(audio, language, options, kwargs, full_window)
        finally:
            self._model.forget()  # the kept first encoding (1-4 MB a thread) ends with its transcription

    def _passes(
        self,
        audio: np.ndarray,
        language: str,
        options: DecodeOptions | None,
        kwargs: dict[str, object],
        full_window: bool = False,
    ) -> tuple[RawSegment, ...]:
        if self._adaptive(options, full_window):
            # Greedy at temperature 0 only: what would fall back (log-probability under -1, compression over
            # 2.4) is unsure by the default thresholds (-0.4, 2.0) and decoded again with the beam anyway.
            greedy = {**kwargs, "beam_size": 1, "temperature": 0.0}
            self.decodes += 1
            out = _raw(self._model.transcribe(audio, language=language, **greedy)[0])
            if not self.unsure(out):
                return out
            self.redecodes += 1
            self._model.reprime()
        self.decodes += 1
        self.beam_decodes[cast(int, kwargs["beam_size"])] += 1
        return _raw(self._model.transcribe(audio, language=language, **kwargs)[0])


def _raw(segments: Iterable[Segment]) -> tuple[RawSegment, ...]:
    """faster-whisper's segments as the engine interface's (transcribe() is lazy: the work is done here)."""
    return tuple(
        RawSegment(
            start=float(s.start),
            end=float(s.end),
            text=s.text,
            avg_logprob=float(s.avg_logprob),
            no_speech_prob=float(s.no_speech_prob),
            compression_ratio=float(s.compression_ratio),
            temperature=float(s.temperature or 0.0),
            words=tuple(
                RawWord(float(w.start), float(w.end), w.word, float(w.probability)) for w in (s.words or ())
            ),
        )
        for s in segments
    )
