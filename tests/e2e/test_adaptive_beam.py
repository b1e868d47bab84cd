"""The adaptive beam on real weights: a sure greedy pass is kept, an unsure one is decoded again with the
beam on the same encoding (the encoder runs once), and its words are then the beam search's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.speech import clip_path, reference, wer
from voice.audio.normalise import normalise
from voice.audio.speech_detection import SpeechAudio, detect_speech, speech_only
from voice.core.config import Settings
from voice.transcription.engines import DecodeOptions, RawSegment
from voice.transcription.engines.faster_whisper_engine import FasterWhisperEngine
from voice.transcription.transcribe import transcribe

pytestmark = pytest.mark.e2e


def _speech(clip: str, tmp_path: Path) -> SpeechAudio:
    settings = Settings(data_dir=tmp_path)
    audio = normalise(clip_path(clip), tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    return speech_only(samples, activity, 16000, settings.audio.speech_level_dbfs)


def _engine(tmp_path: Path, model: str = "tiny.en", **settings: Any) -> FasterWhisperEngine:
    # Built directly, not with get_engine: a fresh engine per test, so its counters are this test's own.
    options = Settings(data_dir=tmp_path).transcription.model_copy(update=settings)
    return FasterWhisperEngine(model, options)


def _text(engine: FasterWhisperEngine, speech: SpeechAudio, language: str | None = "en") -> str:
    return "".join(s.text for s in engine.transcribe(speech.samples, language).segments)


def test_a_sure_greedy_pass_is_kept(tmp_path: Path) -> None:
    speech = _speech("en_jfk_inaugural", tmp_path)
    adaptive = _engine(tmp_path, adaptive_beam=True, adaptive_logprob=-1.0, adaptive_compression=2.4)
    text = _text(adaptive, speech)
    assert (adaptive.decodes, adaptive.redecodes, adaptive.encodes) == (1, 0, 1)
    assert text == _text(_engine(tmp_path, beam_size=1), speech)  # the greedy words, kept
    assert wer(reference("en_jfk_inaugural"), text) <= 0.2, text


def test_an_unsure_greedy_pass_is_decoded_again_with_the_beam_on_the_same_encoding(tmp_path: Path) -> None:
    speech = _speech("en_ls_1272-128104-0000", tmp_path)
    # Every segment's mean log-probability is under 0: every greedy pass is unsure.
    adaptive = _engine(tmp_path, adaptive_beam=True, adaptive_logprob=0.0)
    text = _text(adaptive, speech)
    assert (adaptive.decodes, adaptive.redecodes) == (2, 1)
    assert adaptive.encodes == 1  # the second pass reused the first window's encoding
    assert text == _text(_engine(tmp_path, beam_size=5), speech)  # the beam search's words
    assert wer(reference("en_ls_1272-128104-0000"), text) <= 0.3, text


def test_detection_greedy_and_beam_share_one_encoding(tmp_path: Path) -> None:
    """Multilingual, no language given: detection, the greedy pass and the beam pass encode once."""
    speech = _speech("de_fleurs_004", tmp_path)
    adaptive = _engine(tmp_path, model="base", adaptive_beam=True, adaptive_logprob=0.0)
    result = transcribe(adaptive, speech)
    assert result.language == "de"
    assert (adaptive.encodes, adaptive.decodes, adaptive.redecodes) == (1, 2, 1)
    plain = _engine(tmp_path, model="base", beam_size=5)
    assert result.text == transcribe(plain, speech).text


def test_unsure_segments(tmp_path: Path) -> None:
    engine = _engine(tmp_path, adaptive_beam=True, adaptive_logprob=-0.5, adaptive_compression=2.0)

    def seg(logprob: float = -0.2, compression: float = 1.5, temperature: float = 0.0) -> RawSegment:
        return RawSegment(0.0, 1.0, "hello", logprob, 0.01, compression, temperature)

    assert not engine.unsure((seg(), seg(-0.49, 1.99)))
    assert engine.unsure((seg(), seg(logprob=-0.51)))
    assert engine.unsure((seg(compression=2.01),))
    assert engine.unsure((seg(temperature=0.2),))
    assert not engine.unsure(())


def test_off_by_default_and_with_a_requested_temperature(tmp_path: Path) -> None:
    speech = _speech("en_ls_1272-128104-0000", tmp_path)
    default = _engine(tmp_path)
    assert not default.settings.adaptive_beam
    default.transcribe(speech.samples, "en")
    assert (default.decodes, default.redecodes) == (1, 0)
    # A caller's own temperature (the OpenAI-compatible endpoint) is decoded as asked, in one pass.
    adaptive = _engine(tmp_path, adaptive_beam=True, adaptive_logprob=0.0)
    adaptive.transcribe(speech.samples, "en", DecodeOptions(temperature=0.0))
    assert (adaptive.decodes, adaptive.redecodes) == (1, 0)
