"""Speech detection never drops real speech: quiet, telephone-band, codec-squeezed and noisy callers in six
languages are heard, a loud steady tone does not leave the detector deaf, and no-speech recordings stay
no speech. Silero only, no Whisper: each case takes a fraction of a second."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from faster_whisper.vad import get_speech_timestamps

from bench import corpus
from tests.support.audio import ffmpeg, ffmpeg_with_encoder, phone_message
from tests.support.speech import MANIFEST
from voice.audio.normalise import normalise
from voice.audio.speech_detection import (
    SpeechActivity,
    detect_speech,
    lift,
    load_samples,
    merge_regions,
    vad_options,
)
from voice.core.config import Settings

MULAW = ("-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw")
TELEPHONE_BAND = ("-af", "highpass=f=300:poles=2,lowpass=f=3400:poles=2", *MULAW)
AMR_NB = ("-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "7.95k")


def heard(path: Path, tmp_path: Path) -> SpeechActivity:
    settings = Settings(data_dir=tmp_path)
    audio = normalise(path, tmp_path / "normalised.wav", settings.audio)
    return detect_speech(audio.path, settings.audio)[0]


def one_listen_s(tmp_path: Path) -> float:
    """Seconds of speech Silero finds in the normalised file listening once, start to end (the old way)."""
    settings = Settings(data_dir=tmp_path).audio
    _, samples = load_samples(tmp_path / "normalised.wav")
    copy = lift(samples, settings.sample_rate, settings.vad_level_dbfs)
    regions = get_speech_timestamps(copy, vad_options(settings), sampling_rate=settings.sample_rate)
    return sum(r["end"] - r["start"] for r in regions) / settings.sample_rate


@pytest.mark.parametrize(
    ("clip", "beep_s", "beep_hz"),
    [("pt_fleurs_002", 3.0, 1000.0), ("zh_aishell1_BAC009S0724W0121", 6.0, 425.0)],
)
def test_a_long_loud_tone_does_not_leave_the_detector_deaf(
    clip: str, beep_s: float, beep_hz: float, tmp_path: Path
) -> None:
    """A full-scale beep before a caller at a normal level (-27 dB), on an 8 kHz mu-law line: Silero,
    listening once with one recurrent state from start to end, hears 0.0 s of speech in the whole file
    (measured: the old detect_speech stored these as no_speech). The second listen, from fresh states,
    hears the caller."""
    path = phone_message(
        clip, tmp_path / "vm.wav", *MULAW,
        beep_s=beep_s, beep_peak_db=0.0, beep_hz=beep_hz, noise_db=-45.0, seed=0,
    )  # fmt: skip
    activity = heard(path, tmp_path)
    assert one_listen_s(tmp_path) < 0.4, "the tone no longer deafens one listen: this case tests nothing"
    assert activity.has_speech, activity.reason
    assert activity.speech_s > 0.6 * float(MANIFEST[clip]["duration_s"]), activity
    # Where: after the beep (less Silero's 0.3 s padding), inside the file, in order and apart, as the
    # map of times back to the recording needs them.
    starts = [r["start"] for r in activity.regions]
    ends = [r["end"] for r in activity.regions]
    assert starts[0] / 16000 >= beep_s - 0.3, activity.regions
    assert ends[-1] / 16000 <= beep_s + 0.6 + float(MANIFEST[clip]["duration_s"]) + 1.0, activity.regions
    assert all(e < s for e, s in zip(ends, starts[1:], strict=False)), activity.regions


CLIPS = [
    "en_fleurs_000",
    "fr_fleurs_000",
    "de_fleurs_002",
    "es_fleurs_000",
    "pt_fleurs_002",
    "zh_aishell1_BAC009S0724W0121",
]
# name: (ffmpeg output arguments, speech RMS level, noise RMS level or None)
CONDITIONS = {
    "quiet (-42 dB), mu-law": (MULAW, -42.0, -75.0),
    "telephone band 300-3400 Hz, mu-law": (TELEPHONE_BAND, -27.0, -60.0),
    "AMR-NB 7.95k, noise at 15 dB SNR": (AMR_NB, -27.0, -42.0),
    "mu-law, noise at 10 dB SNR": (MULAW, -27.0, -37.0),
}


@pytest.mark.parametrize("condition", list(CONDITIONS))
@pytest.mark.parametrize("clip", CLIPS)
def test_speech_is_found_on_quiet_band_limited_and_noisy_lines(
    clip: str, condition: str, tmp_path: Path
) -> None:
    args, level, noise = CONDITIONS[condition]
    if "libopencore_amrnb" in args:
        ffmpeg_with_encoder("libopencore_amrnb", "the mobile condition is AMR-NB")
    suffix = "amr" if "libopencore_amrnb" in args else "wav"
    path = phone_message(clip, tmp_path / f"vm.{suffix}", *args, level_db=level, noise_db=noise)
    activity = heard(path, tmp_path)
    assert activity.has_speech, activity.reason
    assert activity.speech_s > 0.6 * float(MANIFEST[clip]["duration_s"]), activity


NO_SPEECH = [*corpus.NO_SPEECH, ("long-beep-then-hiss", "sine=f=1000:r=16000:d=3,apad=whole_dur=12")]


@pytest.mark.parametrize(("name", "source"), NO_SPEECH, ids=[n for n, _ in NO_SPEECH])
@pytest.mark.parametrize("line", ["mu-law", "AMR-NB"])
def test_no_speech_recordings_stay_no_speech(name: str, source: str, line: str, tmp_path: Path) -> None:
    """Hang-up silence, hiss, hum, tones, rumble and an open line: no speech after both listens."""
    binary = ffmpeg() if line == "mu-law" else ffmpeg_with_encoder("libopencore_amrnb", "mobile line")
    path = tmp_path / ("vm.wav" if line == "mu-law" else "vm.amr")
    hiss = "anoisesrc=r=16000:color=pink:amplitude=0.003:seed=3" if name.startswith("long-beep") else None
    inputs = ["-f", "lavfi", "-i", source] + (["-f", "lavfi", "-i", hiss] if hiss else [])
    mix = ["-filter_complex", "amix=inputs=2:duration=first:normalize=0"] if hiss else []
    args = MULAW if line == "mu-law" else AMR_NB
    subprocess.run([binary, "-v", "error", "-y", *inputs, *mix, *args, str(path)], check=True)
    activity = heard(path, tmp_path)
    assert not activity.has_speech, activity


def test_merge_regions_sorts_and_joins_overlaps() -> None:
    regions = [{"start": 500, "end": 900}, {"start": 0, "end": 300}, {"start": 250, "end": 400}]
    assert merge_regions(regions) == [{"start": 0, "end": 400}, {"start": 500, "end": 900}]
    assert merge_regions([]) == []
