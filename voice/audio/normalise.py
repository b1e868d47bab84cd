"""Normalise any voicemail audio to 16 kHz mono 16-bit PCM WAV with ffmpeg.

One ffmpeg run decodes, filters out rumble and resamples, stops reading at the duration cap (so a tiny
file that decodes to hours cannot fill the disk), and its banner tells us what the source was. The level is
set later, on the speech alone (voice.audio.speech_detection): ffmpeg's loudnorm cost more time than
decoding itself and scored worse on the voicemail benchmark (README, Performance).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import wave
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ffmpeg

from voice.core.config import AudioSettings
from voice.core.errors import BadAudio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceInfo:
    """What the caller's file was, as ffmpeg saw it."""

    container: str | None
    codec: str | None
    sample_rate: int | None
    channels: int | None
    duration_s: float | None
    size_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class NormalisedAudio:
    path: Path
    duration_s: float
    source: SourceInfo


@lru_cache(maxsize=8)
def ffmpeg_binary(configured: str | None = None) -> str:
    """The ffmpeg to run: configured path, else the system one on PATH, else imageio-ffmpeg's."""
    if configured:
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


_INPUT_RE = re.compile(r"^Input #0, ([^,]+(?:,[^ ][^,]*)*), from", re.M)
_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_RE = re.compile(r"Stream #0:\d+[^:]*: Audio: ([A-Za-z0-9_]+)[^,]*, (\d+) Hz, ([^,]+)")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8, "downmix": 2}


def parse_banner(stderr: str, size_bytes: int) -> SourceInfo:
    """Read container, codec, rate, channels and duration from ffmpeg's input banner."""
    container = codec = None
    rate = channels = None
    duration = None
    if m := _INPUT_RE.search(stderr):
        container = m.group(1).split(",")[0].strip()
    if (m := _DURATION_RE.search(stderr)) and "N/A" not in m.group(0):
        h, mnt, s = m.groups()
        duration = int(h) * 3600 + int(mnt) * 60 + float(s)
    if m := _AUDIO_RE.search(stderr):
        codec, rate = m.group(1), int(m.group(2))
        layout = m.group(3).strip()
        layout_name = layout.split("(")[0].strip()
        if layout_name in _LAYOUTS:
            channels = _LAYOUTS[layout_name]
        elif cm := re.match(r"(\d+) channels", layout):
            channels = int(cm.group(1))
    return SourceInfo(container, codec, rate, channels, duration, size_bytes)


NOT_AUDIO = "the file is not audio in a format we can decode (or it is corrupt)"


def _misdetected(stderr: str) -> bool:
    # "detected only with low score of 1, misdetection possible": ffmpeg guessed a format from stray bytes.
    return "misdetection possible" in stderr.lower()


def _explain_failure(stderr: str) -> str:
    text = stderr.lower()
    if _misdetected(stderr):
        return NOT_AUDIO
    if "does not contain any stream" in text or "matches no streams" in text:
        return "the file holds no audio stream"
    if "invalid data found" in text or "could not find codec" in text or "unknown format" in text:
        return NOT_AUDIO
    if "invalid argument" in text or "error while decoding" in text or "end of file" in text:
        return "the audio could not be decoded: the file is truncated or corrupt"
    last = [line for line in stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
    return f"ffmpeg could not decode the file: {last[0][:200]}"


# Headerless telephony formats (Asterisk writes these) cannot be probed: the file name says what they are.
RAW_INPUTS: dict[str, dict[str, str | int]] = {
    ".ulaw": {"f": "mulaw", "ar": 8000, "ac": 1},
    ".ul": {"f": "mulaw", "ar": 8000, "ac": 1},
    ".pcm": {"f": "mulaw", "ar": 8000, "ac": 1},  # Asterisk's "pcm" format is mu-law
    ".alaw": {"f": "alaw", "ar": 8000, "ac": 1},
    ".al": {"f": "alaw", "ar": 8000, "ac": 1},
    ".sln": {"f": "s16le", "ar": 8000, "ac": 1},
    ".raw": {"f": "s16le", "ar": 8000, "ac": 1},
    ".sln16": {"f": "s16le", "ar": 16000, "ac": 1},
    ".gsm": {"f": "gsm"},
    ".g722": {"f": "g722"},
    ".g729": {"f": "g729"},
}


def input_options(name: str | None) -> dict[str, str | int]:
    """ffmpeg input options for a file called ``name`` (only raw formats need any)."""
    if not name:
        return {}
    return dict(RAW_INPUTS.get(Path(name.split("?", 1)[0]).suffix.lower(), {}))


def normalise(
    src: Path, dst: Path, settings: AudioSettings, timeout_s: float = 300.0, name: str | None = None
) -> NormalisedAudio:
    """Decode ``src`` into ``dst`` (16 kHz mono s16 WAV) or raise BadAudio.

    ``name`` is the file name the audio came with; it matters only for headerless formats.
    """
    size = src.stat().st_size
    if size == 0:
        raise BadAudio("the audio file is empty (0 bytes)")
    cap = settings.max_duration_s
    # Mains hum and handset rumble carry no speech and would count towards the speech's level.
    filters = f"highpass=f=60,aresample={settings.sample_rate}"
    stream = ffmpeg.input(str(src), t=cap + 1.0, **input_options(name)).output(
        str(dst), ac=1, ar=settings.sample_rate, acodec="pcm_s16le", af=filters, f="wav", vn=None
    )
    cmd = [ffmpeg_binary(settings.ffmpeg_binary), "-hide_banner", "-nostdin", "-y"] + stream.get_args()
    # Strip -hide_banner: the input banner is how we learn what the source was.
    cmd.remove("-hide_banner")
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BadAudio(
            f"decoding took longer than {timeout_s:.0f} s; the file is probably malformed"
        ) from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    info = parse_banner(stderr, size)
    if proc.returncode != 0:
        raise BadAudio(_explain_failure(stderr))
    if info.codec is None:
        raise BadAudio(NOT_AUDIO if _misdetected(stderr) else "the file holds no audio stream")
    duration = wav_duration(dst)
    if duration <= 0.0:
        raise BadAudio("no audio could be decoded: the file is truncated or empty")
    if duration > cap:
        raise BadAudio(f"the audio is longer than the {cap:.0f} s limit")
    return NormalisedAudio(path=dst, duration_s=duration, source=info)


def wav_duration(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as wf:
            return wf.getnframes() / float(wf.getframerate())
    except (wave.Error, EOFError, FileNotFoundError):
        return 0.0
