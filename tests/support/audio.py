"""Audio made for tests with ffmpeg: re-encoded clips and long voicemails of several clips."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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
