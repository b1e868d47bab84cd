"""Both engines on the same packaged weights give the same words."""

from __future__ import annotations

import pytest

from tests.conftest import clip_path, reference, wer
from voice.audio import normalise
from voice.config import Settings
from voice.engines import get_engine
from voice.speech import detect_speech, speech_only
from voice.transcribe import transcribe

CLIPS = ["en_jfk_inaugural", "en_ls_1272-128104-0000", "en_arctic_aew_a0001"]


@pytest.mark.parametrize("clip", CLIPS)
def test_engines_agree(clip: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    audio = normalise(clip_path(clip), tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    speech = speech_only(samples, activity, 16000)
    texts = {}
    for engine in ("faster-whisper", "openai-whisper"):
        result = transcribe(get_engine(settings.transcription, model="tiny.en", engine=engine), speech)
        texts[engine] = result.text
        assert result.language == "en" and result.engine == engine and result.model == "tiny.en"
        assert wer(reference(clip), result.text) <= 0.3, (engine, result.text)
    assert wer(texts["faster-whisper"], texts["openai-whisper"]) < 0.05, texts
