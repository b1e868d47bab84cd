import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clip_path, encode
from voice.audio import ffmpeg_binary, normalise, parse_banner, wav_duration
from voice.config import AudioSettings
from voice.errors import BadAudio


def test_banner_parsing() -> None:
    banner = (
        "Input #0, wav, from 'x.wav':\n  Duration: 00:01:02.50, bitrate: 64 kb/s\n"
        "  Stream #0:0: Audio: pcm_mulaw ([7][0][0][0] / 0x0007), 8000 Hz, mono, s16, 64 kb/s\n"
    )
    info = parse_banner(banner, 10)
    assert (info.container, info.codec, info.sample_rate, info.channels, info.duration_s) == (
        "wav",
        "pcm_mulaw",
        8000,
        1,
        62.5,
    )
    stereo = parse_banner(
        "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a':\n  Duration: 00:00:01.00\n"
        "  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp",
        1,
    )
    assert (stereo.container, stereo.codec, stereo.channels) == ("mov", "aac", 2)


def test_imageio_ffmpeg_fallback_decodes_without_system_ffmpeg(tmp_path: Path) -> None:
    """With no ffmpeg on PATH, the binary from the imageio-ffmpeg wheel is used."""
    env = {**os.environ, "PATH": "/nonexistent"}
    code = (
        "from voice.audio import ffmpeg_binary; import imageio_ffmpeg; "
        "assert ffmpeg_binary() == imageio_ffmpeg.get_ffmpeg_exe(); print(ffmpeg_binary())"
    )
    out = subprocess.run([os.sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    binary = out.stdout.strip()
    assert "imageio_ffmpeg" in binary
    settings = AudioSettings(ffmpeg_binary=binary)
    src = encode(
        clip_path("en_arctic_a0010"),
        tmp_path / "a.amr",
        "-ar",
        "8000",
        "-c:a",
        "libopencore_amrnb",
        "-b:a",
        "7.95k",
        binary=binary,
    )
    result = normalise(src, tmp_path / "out.wav", settings)
    assert (
        result.source.codec in ("amr_nb", "amrnb", "libopencore_amrnb") and result.source.sample_rate == 8000
    )
    assert wav_duration(tmp_path / "out.wav") == pytest.approx(3.56, abs=0.1)


def test_stereo_44k_becomes_16k_mono(tmp_path: Path) -> None:
    src = encode(clip_path("en_jfk_inaugural"), tmp_path / "s.m4a", "-ac", "2", "-ar", "44100", "-c:a", "aac")
    result = normalise(src, tmp_path / "n.wav", AudioSettings())
    assert result.source.channels == 2 and result.source.sample_rate == 44100
    import wave

    with wave.open(str(result.path)) as wf:
        assert (wf.getnchannels(), wf.getframerate(), wf.getsampwidth()) == (1, 16000, 2)


def test_audio_bomb_stops_at_cap(tmp_path: Path) -> None:
    # 20 minutes of audio in a few hundred KB (38 MB once decoded); decoding must stop at the cap.
    bomb = tmp_path / "bomb.ogg"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=8000:cl=mono",
            "-t",
            "1200",
            "-c:a",
            "libopus",
            "-b:a",
            "6k",
            str(bomb),
        ],
        check=True,
    )
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(BadAudio, match="longer than the 60 s limit"):
        normalise(bomb, tmp_path / "out.wav", AudioSettings(max_duration_s=60))
    assert (tmp_path / "out.wav").stat().st_size < 61 * 16000 * 2 + 1000
