"""Voicemail-like benchmark inputs made from the real speech clips in ../shared/speech.

Each clip becomes what a phone system hands over: a beep, the caller, 2-6 s of trailing line noise, squeezed
through one telephone codec (8 kHz mu-law WAV, AMR-NB, or OGG/Opus), the codecs taken in turn. Ten no-speech
voicemails (hang-ups, hiss, hum, tones) go with them. Everything is made with ffmpeg from a fixed seed, so
two runs score the same files.
"""

from __future__ import annotations

import csv
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech"

# (name, file suffix, ffmpeg output arguments)
CODECS = [
    ("mulaw-8k", "wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"]),
    ("amr-nb", "amr", ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "7.95k"]),
    ("opus-16k", "ogg", ["-ar", "16000", "-ac", "1", "-c:a", "libopus", "-b:a", "16k"]),
]

# lavfi sources of 4-20 s with no speech in them: what a voicemail box records when nobody talks.
NO_SPEECH = [
    ("hangup-silence", "anullsrc=r=16000:cl=mono:d=4"),
    ("line-hiss", "anoisesrc=r=16000:color=pink:amplitude=0.01:d=8"),
    ("white-noise", "anoisesrc=r=16000:color=white:amplitude=0.02:d=6"),
    ("mains-hum", "sine=f=60:r=16000:d=10,volume=0.05"),
    ("dial-tone", "aevalsrc=0.1*sin(2*PI*350*t)+0.1*sin(2*PI*440*t):s=16000:d=6"),
    ("busy-tone", "aevalsrc=(0.1*sin(2*PI*480*t)+0.1*sin(2*PI*620*t))*lt(mod(t\\,1)\\,0.5):s=16000:d=8"),
    ("beep-then-quiet", "sine=f=1000:r=16000:d=0.4,apad=whole_dur=12"),
    ("brown-rumble", "anoisesrc=r=16000:color=brown:amplitude=0.05:d=15"),
    ("fax-tone", "sine=f=1100:r=16000:d=0.5,apad=whole_dur=3.5,aloop=loop=3:size=56000"),
    ("long-open-line", "anoisesrc=r=16000:color=pink:amplitude=0.004:d=20"),
]


@dataclass(frozen=True)
class Item:
    """One benchmark voicemail: its file, codec, the clip's language and reference ("" for no speech)."""

    name: str
    path: Path
    codec: str
    language: str
    reference: str
    speech_s: float  # the clip's length; the file is longer (beep, trailing silence)

    @property
    def no_speech(self) -> bool:
        return not self.reference


def manifest(speech: Path = SPEECH) -> list[dict[str, str]]:
    with (speech / "manifest.tsv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


def peak_db(path: Path) -> float:
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(path), "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stderr.split("max_volume:")[1].split("dB")[0])


def voicemail(clip: Path, out: Path, codec_args: list[str], trailing_s: float) -> None:
    """beep (0.4 s), 0.6 s pause, the clip at its own level (some are very quiet), ``trailing_s`` of quiet;
    line noise 45 dB under the clip's peak beneath all of it, so a quiet caller is quiet, not drowned."""
    noise = 10 ** ((peak_db(clip) - 45) / 20)
    graph = (
        "sine=f=1000:r=16000:d=0.4,volume=0.3[beep];"
        "anullsrc=r=16000:cl=mono:d=0.6[gap];"
        f"[0:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={trailing_s:.2f}[speech];"
        "[beep][gap][speech]concat=n=3:v=0:a=1[voice];"
        f"anoisesrc=r=16000:color=pink:amplitude={noise:.6f}[noise];"
        "[voice][noise]amix=inputs=2:duration=first:normalize=0[out]"
    )
    _ffmpeg("-i", str(clip), "-filter_complex", graph, "-map", "[out]", *codec_args, str(out))


def build(
    out_dir: Path,
    languages: set[str] | None = None,
    limit: int | None = None,
    no_speech: int = len(NO_SPEECH),
    seed: int = 7,
    speech: Path = SPEECH,
) -> list[Item]:
    """Make (or reuse) the benchmark files in ``out_dir``: the clips of ``languages`` (all if None), at
    most ``limit`` of them, then ``no_speech`` no-speech voicemails."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [r for r in manifest(speech) if languages is None or r["language"] in languages]
    rows = rows[:limit] if limit is not None else rows
    items = []
    for i, row in enumerate(rows):
        codec, suffix, args = CODECS[i % len(CODECS)]
        trailing = rng.uniform(2.0, 6.0)
        path = out_dir / f"{row['id']}.{codec}.{suffix}"
        if not path.exists():
            voicemail(speech / f"{row['id']}.flac", path, args, trailing)
        reference, seconds = row["reference_transcript"], float(row["duration_s"])
        items.append(Item(row["id"], path, codec, row["language"], reference, seconds))
    for i, (name, source) in enumerate(NO_SPEECH[:no_speech]):
        codec, suffix, args = CODECS[i % len(CODECS)]
        path = out_dir / f"nospeech-{name}.{codec}.{suffix}"
        if not path.exists():
            _ffmpeg("-f", "lavfi", "-i", source, *args, str(path))
        items.append(Item(f"nospeech-{name}", path, codec, "", "", 0.0))
    return items


def long_voicemail(out_dir: Path, target_s: float = 30.0, speech: Path = SPEECH) -> Item:
    """About ``target_s`` of English speech from consecutive LibriSpeech clips, as an 8 kHz mu-law
    voicemail: the latency probe."""
    rows = [r for r in manifest(speech) if r["id"].startswith("en_ls_")]
    chosen, total = [], 0.0
    for row in rows:
        if total >= target_s - 3:
            break
        chosen.append(row)
        total += float(row["duration_s"])
    path = out_dir / f"long-{int(target_s)}s.mulaw-8k.wav"
    if not path.exists():
        joined = out_dir / "long-joined.wav"
        listing = out_dir / "long-joined.txt"
        listing.write_text("".join(f"file '{speech / (r['id'] + '.flac')}'\n" for r in chosen))
        _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-ar", "16000", "-ac", "1", str(joined))
        voicemail(joined, path, CODECS[0][2], 3.0)
    reference = " ".join(r["reference_transcript"] for r in chosen)
    return Item(path.stem, path, CODECS[0][0], "en", reference, total)


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip())
