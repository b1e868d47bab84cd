import os
import subprocess
from pathlib import Path

import pytest

from tests.support.audio import encode
from tests.support.speech import clip_path
from voice.audio.normalise import ffmpeg_binary, normalise, parse_banner, wav_duration
from voice.core.config import AudioSettings
from voice.core.errors import BadAudio


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
        "from voice.audio.normalise import ffmpeg_binary; import imageio_ffmpeg; "
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
            # The fastest encoder settings (same 20 minutes, a smaller file): the slow default took 6 s.
            "-compression_level",
            "0",
            "-frame_duration",
            "60",
            str(bomb),
        ],
        check=True,
    )
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(BadAudio, match="longer than the 60 s limit"):
        normalise(bomb, tmp_path / "out.wav", AudioSettings(max_duration_s=60))
    assert (tmp_path / "out.wav").stat().st_size < 61 * 16000 * 2 + 1000


def _lavfi(dst: Path, source: str, *args: str) -> Path:
    command = [ffmpeg_binary(None), "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi", "-i", source]
    subprocess.run([*command, *args, str(dst)], check=True)
    return dst


def test_hostile_audio(tmp_path: Path) -> None:
    """Audio bombs and liars: each ends with a readable reason or with what the file really holds, within
    the duration cap, in bounded time and disk."""
    settings = AudioSettings(max_duration_s=600)
    out = tmp_path / "out.wav"

    # A tiny file that decodes to three hours: decoding stops at the cap.
    silence = "anullsrc=r=8000:cl=mono"
    bomb = _lavfi(tmp_path / "bomb.flac", silence, "-t", "10800", "-c:a", "flac", "-frame_size", "32768")
    assert bomb.stat().st_size < 500_000
    with pytest.raises(BadAudio, match="longer than the 600 s limit"):
        normalise(bomb, out, settings, timeout_s=60)
    assert out.stat().st_size < 602 * 16000 * 2 + 1024  # at most the cap's worth was ever written

    # Thousands of frames that are only headers: nothing decodes.
    frames = tmp_path / "frames.mp3"
    frames.write_bytes(b"\xff\xfb\x90\x64" + b"\x00" * 4 + (b"\xff\xfb\x90\x64\x00") * 20000)
    with pytest.raises(BadAudio) as caught:
        normalise(frames, out, settings, timeout_s=60)
    assert "decode" in str(caught.value) or "not audio" in str(caught.value)

    # Thousands of tiny (2.5 ms) Opus frames: a real minute of audio, decoded as such.
    tiny = _lavfi(
        tmp_path / "tiny.ogg", "sine=f=440:r=48000", "-t", "60", "-c:a", "libopus", "-frame_duration", "2.5",
        "-compression_level", "0",  # the fastest encoder: the frames are what matters
    )  # fmt: skip
    assert round(normalise(tiny, out, settings).duration_s) == 60

    # Mislabelled: an MP3 named .wav is decoded by what it is; a web page named .wav is refused.
    mp3 = _lavfi(tmp_path / "speech.wav", "sine=f=440:r=16000", "-t", "3", "-f", "mp3")
    assert normalise(mp3, out, settings).source.codec == "mp3"
    page = tmp_path / "voicemail.wav"
    page.write_text("<html><body>404 Not Found</body></html>" * 50)
    with pytest.raises(BadAudio, match="not audio"):
        normalise(page, out, settings)

    # A WAV header claiming 2 GB of samples over two seconds of data: the two seconds are decoded.
    honest = _lavfi(tmp_path / "honest.wav", "sine=f=440:r=8000", "-t", "2", "-c:a", "pcm_s16le")
    raw = bytearray(honest.read_bytes())
    data_at = raw.index(b"data") + 4
    raw[4:8] = (0x7FFFFFF0).to_bytes(4, "little")  # RIFF size
    raw[data_at : data_at + 4] = (0x7FFFFFF0).to_bytes(4, "little")  # data size
    liar = tmp_path / "liar.wav"
    liar.write_bytes(bytes(raw))
    assert round(normalise(liar, out, settings).duration_s, 1) == 2.0
