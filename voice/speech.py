"""Is anybody speaking? Energy from pydub, then Silero VAD for where the speech is.

A voicemail with no speech (silence, line noise, a beep, a hang-up) never reaches Whisper: Whisper
invents text for such audio ("Thank you for watching"). Both engines get only the speech regions,
joined, and their timestamps are mapped back to the original audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps
from pydub import AudioSegment

from voice.config import AudioSettings


@dataclass(frozen=True)
class SpeechActivity:
    peak_dbfs: float
    rms_dbfs: float
    speech_s: float
    # Speech regions in samples of the normalised audio: ({"start": int, "end": int}, ...)
    regions: tuple[dict[str, int], ...]
    reason: str | None  # why there is no speech, if there is none

    @property
    def has_speech(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class SpeechAudio:
    """Speech regions joined into one array, and how to map its times back to the original."""

    samples: np.ndarray
    regions: tuple[dict[str, int], ...]
    sample_rate: int

    def original_time(self, t: float, is_end: bool = False) -> float:
        if not self.regions:
            return round(t, 2)
        return SpeechTimestampsMap(list(self.regions), self.sample_rate).get_original_time(t, is_end=is_end)


def load_samples(path: Path) -> tuple[AudioSegment, np.ndarray]:
    with path.open("rb") as fh:  # pydub leaves a file it opened itself unclosed
        segment = AudioSegment.from_wav(fh)
    samples = np.asarray(segment.get_array_of_samples(), dtype=np.float32) / 32768.0
    return segment, samples


def detect_speech(path: Path, settings: AudioSettings) -> tuple[SpeechActivity, np.ndarray]:
    """Measure the normalised WAV at ``path``; return the activity and the float32 samples."""
    segment, samples = load_samples(path)
    peak = float(segment.max_dBFS) if segment.rms else float("-inf")
    rms = float(segment.dBFS) if segment.rms else float("-inf")
    if peak < settings.silence_dbfs:
        return SpeechActivity(peak, rms, 0.0, (), f"silence: the loudest sound is {peak:.0f} dBFS"), samples
    options = VadOptions(
        threshold=settings.vad_threshold,
        min_speech_duration_ms=250,
        min_silence_duration_ms=1000,
        speech_pad_ms=300,
    )
    regions = tuple(get_speech_timestamps(samples, options, sampling_rate=settings.sample_rate))
    speech_s = sum(r["end"] - r["start"] for r in regions) / settings.sample_rate
    if speech_s < settings.min_speech_s:
        total_s = len(samples) / settings.sample_rate
        reason = f"no speech detected ({speech_s:.1f} s of voice activity in {total_s:.1f} s)"
        return SpeechActivity(peak, rms, speech_s, regions, reason), samples
    return SpeechActivity(peak, rms, speech_s, regions, None), samples


def speech_only(samples: np.ndarray, activity: SpeechActivity, sample_rate: int) -> SpeechAudio:
    """Join the speech regions so leading, trailing and long inner silences never reach Whisper."""
    if not activity.regions:
        return SpeechAudio(samples, (), sample_rate)
    joined = np.concatenate([samples[r["start"] : r["end"]] for r in activity.regions])
    return SpeechAudio(joined.astype(np.float32, copy=False), activity.regions, sample_rate)
