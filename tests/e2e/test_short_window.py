"""A short voicemail's window is encoded at its own length plus 5 s, with the full window's words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.audio import samples_of
from tests.support.speech import clip_path, reference, wer
from voice.audio.normalise import normalise
from voice.audio.speech_detection import detect_speech, speech_only
from voice.core.config import Settings
from voice.transcription.engines.faster_whisper_engine import FasterWhisperEngine
from voice.transcription.transcribe import transcribe

pytestmark = pytest.mark.e2e


def test_short_window_gives_the_full_windows_words(tmp_path: Path) -> None:
    """Over a few clips, not per clip: a level or window change moves single words either way on single
    files (at -26 dBFS en_fleurs_004's "dinosaurs" became "sinners, or it's" in the short window only,
    while on the bench's dev split the short window was 20.2 against the full window's 20.6)."""
    settings = Settings(data_dir=tmp_path)
    engines = {
        padding: FasterWhisperEngine(
            "base", settings.transcription.model_copy(update={"window_padding_s": padding})
        )
        for padding in (30.0, 5.0)
    }
    refs: list[str] = []
    texts: dict[float, list[str]] = {30.0: [], 5.0: []}
    for clip in ("en_fleurs_004", "fr_fleurs_008", "en_jfk_inaugural", "de_fleurs_000"):
        audio = normalise(clip_path(clip), tmp_path / f"{clip}.wav", settings.audio)
        activity, samples = detect_speech(audio.path, settings.audio)
        speech = speech_only(samples, activity, 16000, settings.audio.speech_level_dbfs)
        refs.append(reference(clip))
        for padding, engine in engines.items():
            before = engine._model.encodes, engine._model.frames_encoded
            texts[padding].append(transcribe(engine, speech).text)
            encodes = engine._model.encodes - before[0]
            frames = engine._model.frames_encoded - before[1]
            assert encodes == 1  # detection's encoding reused, as with the full window
            speech_frames = len(speech.samples) // 160
            if padding == 30.0:
                assert frames == 3000
            else:
                assert (
                    speech_frames + 500 <= frames <= speech_frames + 502
                )  # its own length and 5 s, not 30 s
    assert wer(" ".join(refs), " ".join(texts[5.0])) <= wer(" ".join(refs), " ".join(texts[30.0])) + 0.03, (
        texts
    )


def test_very_little_speech_keeps_the_full_window_but_a_later_short_window_does_not(tmp_path: Path) -> None:
    engine = FasterWhisperEngine("base", Settings(data_dir=tmp_path).transcription)
    assert engine.settings.window_padding_s == 5.0  # the default
    speech = samples_of(clip_path("en_fleurs_004"))
    # 3 s: the language is detected on the window Whisper was trained on, and decoded on that encoding.
    engine.transcribe(speech[: 3 * 16000], None)
    assert (engine.encodes, engine._model.frames_encoded) == (1, 3000)
    # 32 s in a known language: a full first window, then what is left after its last whole segment (2 s and
    # more) and 5 s of padding, not 30 s.
    clips = ("en_jfk_inaugural", "en_ls_3436-172162-0000", "en_ls_1995-1837-0001")
    long = np.concatenate([samples_of(clip_path(c)) for c in clips])[: 32 * 16000]
    out = engine.transcribe(long, "en")
    assert engine.encodes == 3 and 3000 + 3000 < engine._model.frames_encoded < 3000 + 3000 + 3000
    assert out.segments and max(s.end for s in out.segments) <= 32.5


def test_a_full_window_is_searched_with_the_narrower_beam(tmp_path: Path) -> None:
    """A window encoded at its full 30 s holds the most memory per beam: it gets `full_window_beam_size`
    (4), a short window `beam_size` (5); 0 turns that off, and it is never wider than `beam_size`."""
    settings = Settings(data_dir=tmp_path).transcription
    assert (settings.beam_size, settings.full_window_beam_size) == (5, 4)  # the defaults
    speech = samples_of(clip_path("en_fleurs_004"))
    three_s, ten_s = speech[: 3 * 16000], speech[: 10 * 16000]
    engine = FasterWhisperEngine("base", settings)
    assert engine.full_window(three_s) and not engine.full_window(ten_s)
    out = engine.transcribe(three_s, "en")
    assert dict(engine.beam_decodes) == {4: 1} and out.segments
    engine.transcribe(ten_s, "en")
    assert dict(engine.beam_decodes) == {4: 1, 5: 1}
    for update, beam in (({"full_window_beam_size": 0}, 5), ({"beam_size": 3}, 3)):
        other = FasterWhisperEngine("base", settings.model_copy(update=update))
        other.transcribe(three_s, "en")
        assert dict(other.beam_decodes) == {beam: 1}, update
