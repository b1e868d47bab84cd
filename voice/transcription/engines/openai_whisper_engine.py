"""openai-whisper (PyTorch), on a checkpoint converted from the same packaged weights."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from voice.core.transcription_settings import TranscriptionSettings
from voice.transcription.convert import convert_to_openai
from voice.transcription.engines import DecodeOptions, RawSegment, RawTranscription, RawWord
from voice.transcription.weights import resolve_model


def _set_alignment_heads(model: Any, config: Path, torch: Any) -> None:
    """Word timestamps use the cross-attention heads that track time; whisper.load_model(path) does
    not know them for a local file, but the CTranslate2 config.json lists them."""
    try:
        heads = json.loads(config.read_text()).get("alignment_heads")
    except (OSError, ValueError):
        return
    if not heads:
        return
    dims = model.dims
    mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)


class OpenAIWhisperEngine:
    name = "openai-whisper"

    def __init__(self, model: str, settings: TranscriptionSettings) -> None:
        try:
            import torch
            import whisper
        except ImportError as exc:  # optional extra
            raise RuntimeError(
                "the openai-whisper engine needs torch and openai-whisper; run scripts/setup.sh"
            ) from exc
        self.model = model
        self.settings = settings
        self._whisper = whisper
        device = settings.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        if settings.cpu_threads:
            torch.set_num_threads(settings.cpu_threads)
        checkpoint = convert_to_openai(resolve_model(model, settings))
        model_dir = resolve_model(model, settings)
        self._model = whisper.load_model(str(checkpoint), device=device)
        _set_alignment_heads(self._model, model_dir / "config.json", torch)
        self.multilingual = bool(self._model.is_multilingual)
        self._lock = threading.Lock()

    def _detect(self, audio: np.ndarray) -> dict[str, float]:
        whisper = self._whisper
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), self._model.dims.n_mels).to(
            self._model.device
        )
        _, probs = self._model.detect_language(mel)
        return {str(lang): float(p) for lang, p in probs.items()}

    def detect_languages(self, audio: np.ndarray) -> dict[str, float]:
        """Whisper's probability per language, from the first 30 s window."""
        if not self.multilingual:
            return {"en": 1.0}
        with self._lock:
            return self._detect(audio)

    def _detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        probs = self._detect(audio)
        language = max(probs, key=probs.__getitem__)
        return language, probs[language]

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        extra = (options or DecodeOptions()).whisper_kwargs()
        with self._lock:
            probability = 1.0
            if not self.multilingual:
                language = "en"
            elif language is None:
                language, probability = self._detect_language(audio)
            result = self._whisper.transcribe(
                self._model,
                audio,
                language=language,
                beam_size=self.settings.beam_size,
                best_of=5,
                fp16=self.device == "cuda",
                condition_on_previous_text=False,
                compression_ratio_threshold=2.4,
                logprob_threshold=-1.0,
                no_speech_threshold=0.6,
                verbose=None,
                **extra,
            )
        segments = tuple(
            RawSegment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=s["text"],
                avg_logprob=float(s["avg_logprob"]),
                no_speech_prob=float(s["no_speech_prob"]),
                compression_ratio=float(s["compression_ratio"]),
                temperature=float(s.get("temperature") or 0.0),
                words=tuple(
                    RawWord(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                    for w in s.get("words") or ()
                ),
            )
            for s in result["segments"]
        )
        return RawTranscription(segments, str(result.get("language") or language), probability)
