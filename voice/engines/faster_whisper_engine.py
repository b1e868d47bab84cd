"""faster-whisper (CTranslate2): the default engine. int8 on CPU, float16 on CUDA."""

from __future__ import annotations

import threading

import numpy as np
from faster_whisper import WhisperModel

from voice.config import TranscriptionSettings
from voice.engines import DecodeOptions, RawSegment, RawTranscription, RawWord
from voice.weights import resolve_model


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:
        return False


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model: str, settings: TranscriptionSettings) -> None:
        self.model = model
        self.settings = settings
        device = settings.device
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        compute_type = settings.compute_type
        if compute_type == "default":
            compute_type = "float16" if device == "cuda" else "int8"
        path = resolve_model(model, settings)
        self.multilingual = not model.endswith(".en")
        self._model = WhisperModel(
            str(path),
            device=device,
            compute_type=compute_type,
            cpu_threads=settings.cpu_threads,
            num_workers=max(1, settings.parallel),
            local_files_only=True,
        )
        # CTranslate2 releases the GIL and runs up to num_workers transcriptions at once; more callers
        # queue here rather than oversubscribe the cores.
        self._slots = threading.Semaphore(max(1, settings.parallel))

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        extra = (options or DecodeOptions()).whisper_kwargs()
        with self._slots:
            segments, info = self._model.transcribe(
                audio,
                language=language if self.multilingual else "en",
                beam_size=self.settings.beam_size,
                # Voicemail is short; conditioning on earlier text is what makes Whisper loop.
                condition_on_previous_text=False,
                vad_filter=False,  # speech regions were already cut by voice.speech
                compression_ratio_threshold=2.4,
                log_prob_threshold=-1.0,
                no_speech_threshold=0.6,
                **extra,
            )
            # transcribe() is lazy: the work happens while iterating.
            out = tuple(
                RawSegment(
                    start=float(s.start),
                    end=float(s.end),
                    text=s.text,
                    avg_logprob=float(s.avg_logprob),
                    no_speech_prob=float(s.no_speech_prob),
                    compression_ratio=float(s.compression_ratio),
                    temperature=float(s.temperature or 0.0),
                    words=tuple(
                        RawWord(float(w.start), float(w.end), w.word, float(w.probability))
                        for w in (s.words or ())
                    ),
                )
                for s in segments
            )
        return RawTranscription(out, info.language, float(info.language_probability))
