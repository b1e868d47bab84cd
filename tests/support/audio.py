"""Audio made for tests with ffmpeg: re-encoded clips and long voicemails of several clips."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.support.speech import clip_path


def ffmpeg() -> str:
    from voice.audio.normalise import ffmpeg_binary

    return ffmpeg_binary()


def ffmpeg_with_encoder(encoder: str, why: str) -> str:
    """An ffmpeg that has ``encoder`` (imageio-ffmpeg's build lacks AMR-WB and GSM; Debian's has them).
    Under CI=true its absence fails the test instead of skipping it."""
    for candidate in (shutil.which("ffmpeg"), "/usr/bin/ffmpeg"):
        if candidate and Path(candidate).exists():
            out = subprocess.run(
                [candidate, "-hide_banner", "-encoders"], capture_output=True, text=True
            ).stdout
            if re.search(rf"\s{re.escape(encoder)}\s", out):
                return candidate
    if os.environ.get("CI"):
        pytest.fail(f"CI needs Debian's ffmpeg (libavcodec-extra) with {encoder}: {why}")
    pytest.skip(f"no ffmpeg with {encoder} here (install Debian's ffmpeg and libavcodec-extra)")


def concat_clips(clips: list[str], dst: Path, *args: str) -> Path:
    """One long voicemail made of several speech clips, one after the other."""
    inputs = [arg for c in clips for arg in ("-i", str(clip_path(c)))]
    concat = "".join(f"[{i}:a]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=0:a=1"
    subprocess.run(
        [ffmpeg(), "-loglevel", "error", "-y", *inputs, "-filter_complex", concat, *args, str(dst)],
        check=True,
    )
    return dst


def encode(src: Path, dst: Path, *args: str, binary: str | None = None) -> Path:
    subprocess.run(
        [binary or ffmpeg(), "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)], check=True
    )
    return dst


def samples_of(src: Path, rate: int = 16000) -> np.ndarray:
    """The audio at ``src`` as mono float32 samples at ``rate``, decoded by ffmpeg."""
    out = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(src), "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return np.frombuffer(out.stdout, dtype=np.float32).copy()


def pink_noise(n: int, seed: int) -> np.ndarray:
    """``n`` samples of pink noise at 0 dB RMS (white noise shaped by 1/sqrt(f)), the same for a seed."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return noise / np.sqrt(np.mean(np.square(noise)))


def phone_message(
    clip: str,
    dst: Path,
    *codec_args: str,
    level_db: float = -27.0,
    beep_s: float = 0.4,
    beep_peak_db: float = -10.0,
    beep_hz: float = 1000.0,
    noise_db: float | None = None,
    seed: int = 1,
) -> Path:
    """A voicemail as a phone system records it: a ``beep_hz`` beep of ``beep_s`` at ``beep_peak_db``,
    0.6 s of quiet, the clip with its RMS set to ``level_db``, 1 s of quiet, pink noise at ``noise_db`` RMS
    under all of it (none if None), written through ffmpeg with ``codec_args`` (for example the telephone
    band and 8 kHz mu-law)."""
    rate = 16000
    speech = samples_of(clip_path(clip), rate).astype(np.float64)
    speech *= 10 ** (level_db / 20) / np.sqrt(np.mean(np.square(speech)))
    beep = 10 ** (beep_peak_db / 20) * np.sin(2 * np.pi * beep_hz * np.arange(int(beep_s * rate)) / rate)
    audio = np.concatenate([beep, np.zeros(int(0.6 * rate)), speech, np.zeros(rate)])
    if noise_db is not None:
        audio += pink_noise(len(audio), seed) * 10 ** (noise_db / 20)
    raw = dst.with_suffix(".source.wav")
    sf.write(raw, np.clip(audio, -1.0, 1.0).astype(np.float32), rate, subtype="FLOAT")
    return encode(raw, dst, *codec_args)
