"""Is anybody speaking? Energy from pydub, then Silero VAD for where the speech is.

A voicemail with no speech (silence, line noise, a beep, a hang-up) never reaches Whisper: Whisper
invents text for such audio ("Thank you for watching"). Before a file is called no speech, Silero listens
a second time from fresh states (find_regions), so a loud tone cannot leave it deaf to a real caller.
Both engines get only the speech regions, joined, and their timestamps are mapped back to the original audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps
from pydub import AudioSegment

from voice.core.config import AudioSettings


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
        # Whisper can place a last timestamp in the padding after the audio (the short window keeps 5 s of
        # it): no time is later than the speech itself.
        t = min(max(t, 0.0), len(self.samples) / self.sample_rate)
        if not self.regions:
            return round(t, 2)
        mapped = SpeechTimestampsMap(list(self.regions), self.sample_rate)
        return float(mapped.get_original_time(t, is_end=is_end))


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
    # Silero misses speech quieter than about -43 dBFS peak (a far handset, a weak line): it listens to a
    # copy lifted to a working level. The samples themselves stay as recorded.
    heard = lift(samples, settings.sample_rate, settings.vad_level_dbfs)
    regions = find_regions(heard, settings)
    speech_s = sum(r["end"] - r["start"] for r in regions) / settings.sample_rate
    if speech_s < settings.min_speech_s:
        total_s = len(samples) / settings.sample_rate
        reason = f"no speech detected ({speech_s:.1f} s of voice activity in {total_s:.1f} s)"
        return SpeechActivity(peak, rms, speech_s, regions, reason), samples
    return SpeechActivity(peak, rms, speech_s, regions, None), samples


def vad_options(settings: AudioSettings) -> VadOptions:
    return VadOptions(
        threshold=settings.vad_threshold,
        min_speech_duration_ms=250,
        min_silence_duration_ms=1000,
        speech_pad_ms=300,
    )


def find_regions(
    heard: np.ndarray, settings: AudioSettings, options: VadOptions | None = None
) -> tuple[dict[str, int], ...]:
    """Silero's speech regions in ``heard``, listened to twice when the first listen finds too little.

    Silero carries one recurrent state through the whole file, and a loud steady tone (a long voicemail
    beep, strong mains hum) can leave that state deaf to the caller for the rest of the file: a 3 s beep
    at full scale before a FLEURS speaker at -27 dB on a mu-law line gave 0.0 s of speech (5.5 s without
    the beep). The second listen hears overlapping 4 s stretches, each from a fresh state, so a tone
    spoils only its own stretch: 5.8 s there. Files where the first listen finds speech never pay for it;
    ``options`` other than detect_speech's are for benchmarks of other settings.
    """
    options = options or vad_options(settings)
    rate = settings.sample_rate
    regions = get_speech_timestamps(heard, options, sampling_rate=rate)
    if sum(r["end"] - r["start"] for r in regions) / rate >= settings.min_speech_s:
        return tuple(regions)
    return tuple(merge_regions(regions + fresh_listen(heard, options, rate)))


def fresh_listen(
    heard: np.ndarray, options: VadOptions, rate: int, stretch_s: float = 4.0
) -> list[dict[str, int]]:
    """Speech regions of ``stretch_s`` long stretches overlapping by half, each heard from a fresh state."""
    size, hop = int(stretch_s * rate), int(stretch_s * rate) // 2
    found: list[dict[str, int]] = []
    for start in range(0, max(len(heard) - hop, 1), hop):
        for r in get_speech_timestamps(heard[start : start + size], options, sampling_rate=rate):
            found.append({"start": r["start"] + start, "end": r["end"] + start})
    return found


def merge_regions(regions: list[dict[str, int]]) -> list[dict[str, int]]:
    """Regions sorted, overlapping or touching ones joined (a map of times needs them disjoint)."""
    merged: list[dict[str, int]] = []
    for r in sorted(regions, key=lambda r: r["start"]):
        if merged and r["start"] <= merged[-1]["end"]:
            merged[-1]["end"] = max(merged[-1]["end"], r["end"])
        else:
            merged.append({"start": r["start"], "end": r["end"]})
    return merged


def lift(samples: np.ndarray, sample_rate: int, level_dbfs: float, max_gain_db: float = 30.0) -> np.ndarray:
    """A copy whose loud frames (the 85th percentile of 30 ms frames: the caller's voice, not a short
    beep) sit at ``level_dbfs`` at least; never quieter, at most ``max_gain_db`` louder, clipped."""
    n = int(sample_rate * 0.03)
    frames = samples[: len(samples) // n * n].reshape(-1, n)
    if not len(frames):
        return samples
    loud = float(np.quantile(np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)), 0.85))
    if loud <= 0.0:
        return samples
    gain_db = min(max(level_dbfs - 20 * np.log10(loud), 0.0), max_gain_db)
    if gain_db == 0.0:
        return samples
    return np.clip(samples * np.float32(10 ** (gain_db / 20)), -1.0, 1.0)


def speech_only(
    samples: np.ndarray, activity: SpeechActivity, sample_rate: int, level_dbfs: float | None = None
) -> SpeechAudio:
    """Join the speech regions so leading, trailing and long inner silences never reach Whisper, and
    set their level to ``level_dbfs`` RMS if given."""
    joined = samples
    if activity.regions:
        joined = np.concatenate([samples[r["start"] : r["end"]] for r in activity.regions])
    if level_dbfs is not None:
        joined = set_level(joined, level_dbfs)
    return SpeechAudio(joined.astype(np.float32, copy=False), activity.regions, sample_rate)


def set_level(samples: np.ndarray, rms_dbfs: float, peak_dbfs: float = -1.0) -> np.ndarray:
    """One gain for the whole array: RMS to ``rms_dbfs`` unless that would push a peak past ``peak_dbfs``.

    A static gain, unlike a loudness normaliser's moving one, does not pump the line noise up between words.
    """
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if rms <= 0.0 or peak <= 0.0:
        return samples
    gain = min(10 ** (rms_dbfs / 20) / rms, 10 ** (peak_dbfs / 20) / peak)
    return samples * np.float32(gain)
