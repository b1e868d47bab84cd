"""voice.transcription.engines.window: a short window is encoded with some of its padding, not 30 s; and
no time Whisper places in that padding is later than the speech."""

from __future__ import annotations

import numpy as np
import pytest

from voice.audio.speech_detection import SpeechAudio
from voice.transcription.engines import RawSegment, RawWord
from voice.transcription.engines.window import trim_padding
from voice.transcription.transcribe import clean_segments


def _window(content_frames: int, total: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(0)
    features = np.zeros((80, total), dtype=np.float32)
    features[:, :content_frames] = rng.normal(size=(80, content_frames)).astype(np.float32)
    return features


@pytest.mark.parametrize(
    ("content", "padding", "kept"), [(600, 500, 1100), (601, 500, 1102), (2800, 500, 3000)]
)
def test_keeps_the_audio_and_some_of_the_padding(content: int, padding: int, kept: int) -> None:
    features = _window(content)
    out = trim_padding(features, padding)
    assert out.shape == (80, kept)
    assert np.array_equal(out[:, :content], features[:, :content])  # every frame of the audio kept
    assert not out[:, content:].any()  # and only padding after it


def test_very_short_speech_keeps_the_full_window() -> None:
    # Language detection on 2-3 s cuts is a guess either way; it stays the guess Whisper was trained to make.
    short = _window(399)
    assert trim_padding(short, 500) is short
    assert trim_padding(_window(400), 500).shape[-1] == 900
    assert trim_padding(short, 500, full_below=0).shape[-1] == 900


def test_a_full_window_and_a_batch_are_left_alone() -> None:
    full = _window(3000)
    assert trim_padding(full, 500) is full
    batch = np.stack([_window(600), _window(900)])
    assert trim_padding(batch, 500) is batch  # the batched pipeline's windows keep their 30 s


def test_a_quiet_frame_inside_the_audio_does_not_end_it() -> None:
    features = _window(900)
    features[:, 300:310] = 0.0  # digital silence mid-message is not padding
    assert trim_padding(features, 100).shape[-1] == 1000


@pytest.mark.parametrize("regions", [(), ({"start": 16000, "end": 16000 * 7},)])
def test_no_time_is_later_than_the_speech(regions: tuple[dict[str, int], ...]) -> None:
    # A short window keeps 5 s of padding, and Whisper may end its last segment in it (9.6 s on 8.7 s).
    speech = SpeechAudio(np.zeros(16000 * 6, dtype=np.float32), regions, 16000)
    word = RawWord(5.5, 7.9, " you.", 0.9)
    raw = RawSegment(0.0, 8.4, "Thank you.", -0.2, 0.01, 1.1, 0.0, (RawWord(-0.1, 0.4, " Thank", 0.9), word))
    (seg,) = clean_segments((raw,), speech)
    last = 7.0 if regions else 6.0  # the recording's time where the speech ends
    assert seg.end == pytest.approx(last, abs=0.01) and seg.words[-1].end == pytest.approx(last, abs=0.01)
    assert seg.words[0].start == pytest.approx(1.0 if regions else 0.0, abs=0.01)
