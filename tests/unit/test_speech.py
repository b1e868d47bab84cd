"""voice.audio.speech_detection: is anybody speaking, where, and at what level Whisper hears them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import corpus
from tests.support.audio import encode
from tests.support.speech import clip_path, reference, wer
from voice.audio.normalise import normalise
from voice.audio.speech_detection import detect_speech, lift, set_level, speech_only
from voice.core.config import Settings
from voice.transcription.engines import get_engine
from voice.transcription.transcribe import transcribe


def _dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64)))))


def test_set_level_lifts_a_quiet_caller_to_the_target() -> None:
    t = np.arange(16000) / 16000
    quiet = (0.01 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)  # about -43 dBFS RMS
    out = set_level(quiet, -20.0)
    assert _dbfs(out) == pytest.approx(-20.0, abs=0.05)
    assert out.dtype == np.float32


def test_set_level_never_pushes_a_peak_past_the_limit() -> None:
    # A click on a quiet line: lifting the RMS to -20 dBFS would clip the click.
    x = np.full(16000, 0.001, dtype=np.float32)
    x[100] = 0.5
    out = set_level(x, -20.0)
    assert float(np.max(np.abs(out))) == pytest.approx(10 ** (-1 / 20), rel=1e-4)
    assert _dbfs(out) < -20.0


def test_set_level_leaves_digital_silence_alone() -> None:
    silence = np.zeros(800, dtype=np.float32)
    assert np.array_equal(set_level(silence, -20.0), silence)
    assert set_level(np.zeros(0, dtype=np.float32), -20.0).size == 0


@pytest.mark.e2e
@pytest.mark.parametrize("attenuation_db", [0, 25])
def test_a_quiet_line_reaches_whisper_at_the_same_level(attenuation_db: int, tmp_path: Path) -> None:
    """The same caller 25 dB quieter (a far handset, a weak line), through G.711: detected as speech,
    levelled to the same RMS, and the same words come out."""
    settings = Settings(data_dir=tmp_path)
    src = encode(
        clip_path("en_jfk_inaugural"), tmp_path / "vm.wav",
        "-af", f"volume=-{attenuation_db}dB", "-ar", "8000", "-c:a", "pcm_mulaw",
    )  # fmt: skip
    audio = normalise(src, tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    assert activity.has_speech, activity.reason
    assert activity.rms_dbfs < -40 if attenuation_db else activity.rms_dbfs > -30
    speech = speech_only(samples, activity, 16000, settings.audio.speech_level_dbfs)
    assert _dbfs(speech.samples) == pytest.approx(settings.audio.speech_level_dbfs, abs=0.5)
    text = transcribe(get_engine(settings.transcription, model="tiny.en"), speech).text
    assert wer(reference("en_jfk_inaugural"), text) <= 0.15, text


def test_a_very_quiet_caller_is_still_heard(tmp_path: Path) -> None:
    """A FLEURS speaker recorded at -45 dBFS peak, after the beep, 15 dB quieter again on the line: Silero
    on the samples as they are finds no speech at all (measured); the lifted copy it listens to does, and
    the samples themselves are left as they were."""
    settings = Settings(data_dir=tmp_path)
    voicemail = tmp_path / "vm.wav"
    corpus.voicemail(clip_path("en_fleurs_002"), voicemail, ["-ar", "8000", "-c:a", "pcm_mulaw"], 3.0)
    quiet = encode(voicemail, tmp_path / "quiet.wav", "-af", "volume=-15dB", "-c:a", "pcm_mulaw")
    audio = normalise(quiet, tmp_path / "n.wav", settings.audio)
    activity, samples = detect_speech(audio.path, settings.audio)
    assert activity.peak_dbfs < -40
    assert activity.has_speech and activity.speech_s > 10.0, activity
    assert float(np.max(np.abs(samples))) < 0.01  # as recorded: only the detector's copy was lifted


def test_lift_leaves_loud_audio_and_caps_the_gain() -> None:
    t = np.arange(16000) / 16000
    loud = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    assert set(np.unique(lift(loud, 16000, -30.0) == loud)) == {True}
    faint = loud * np.float32(1e-4)  # -93 dBFS: lifted by the 30 dB cap, no more
    assert _dbfs(lift(faint, 16000, -30.0)) == pytest.approx(_dbfs(faint) + 30.0, abs=0.05)
