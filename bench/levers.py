"""Transcription levers on the short-voicemail set, in one process, against a baseline in the same run.

    python -m bench.levers --split dev                                # every lever below
    python -m bench.levers --split dev --levers baseline,beam1,adaptive --out levers-dev.json
    python -m bench.levers --split dev --levers baseline,adaptive@-0.5/2.0   # ad hoc thresholds

Each file of bench/corpus.py's short set is normalised once (cached in .bench-cache/levers) and its speech
found once per speech-detection setting; then each lever gets a fresh engine of its settings (cpu_threads
--threads, 1 by default: one thread of work at a time, like one of two single-thread workers), one untimed
warm-up, and transcribes every file one after the other. Only ``transcribe()`` is timed. The ratio is the
lever's seconds against the first lever's (the baseline: int8, beam 5, full language detection, Silero at
0.5 / 300 ms pad / 1000 ms minimum silence, speech regions cut and joined).

The baseline lever also times the encoder alone on each file's first 30 s window, to show what share of
transcription a window costs on short files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper.vad import VadOptions
from rich.console import Console
from rich.table import Table

from bench import corpus
from bench.scoring import error_rate, percent
from voice.audio.normalise import normalise
from voice.audio.speech_detection import (
    SpeechActivity,
    SpeechAudio,
    detect_speech,
    find_regions,
    lift,
    speech_only,
)
from voice.core.config import AudioSettings, Settings
from voice.transcription.engines import DecodeOptions, RawTranscription
from voice.transcription.engines.faster_whisper_engine import FasterWhisperEngine
from voice.transcription.language import LanguageGuard
from voice.transcription.transcribe import transcribe

ROOT = Path(__file__).resolve().parents[1]
# The languages a mailbox of this corpus expects (every language in it): the "expected languages" lever.
EXPECTED = ("en", "de", "fr", "es", "pt", "zh")
COMPUTE_TYPES = ("int8_float32", "int16", "float32", "int8_float16", "int8_bfloat16", "bfloat16")
DEFAULT_VAD = (0.5, 300, 1000)  # Silero threshold, speech_pad_ms, min_silence_duration_ms (detect_speech's)


@dataclass(frozen=True)
class Lever:
    """One configuration: engine settings over the defaults, how the language is chosen, speech detection."""

    name: str
    engine: dict[str, Any] = field(default_factory=dict)  # TranscriptionSettings fields
    languages: str = "detect"  # detect: full detection; expected: EXPECTED; true: the file's own language
    vad: tuple[float, int, int] = DEFAULT_VAD
    trim: str = "cut"  # cut: speech regions joined; span: first start to last end; none: the whole file
    level: float | None | str = "default"  # the speech's RMS dBFS; None: no gain; default: the settings'


def _levers() -> dict[str, Lever]:
    supported = ctranslate2.get_supported_compute_types("cpu")
    levers = [
        Lever("baseline"),
        # int16 and 16-bit floats only where CTranslate2 supports them on this CPU (it refuses others)
        *[Lever(c, {"compute_type": c}) for c in COMPUTE_TYPES if c in supported],
        *[Lever(f"beam{n}", {"beam_size": n}) for n in (1, 2, 3)],
        Lever("adaptive", {"adaptive_beam": True}),
        Lever("lang-expected", languages="expected"),
        Lever("lang-true", languages="true"),
        *[Lever(f"vad-threshold-{t}", vad=(t, 300, 1000)) for t in (0.35, 0.65)],
        *[Lever(f"vad-pad-{p}", vad=(0.5, p, 1000)) for p in (100, 500)],
        *[Lever(f"vad-silence-{s}", vad=(0.5, 300, s)) for s in (500, 2000)],
        Lever("trim-span", trim="span"),
        Lever("trim-none", trim="none"),
        *[Lever(f"level{db}", level=float(db)) for db in (-20, -23, -26, -30, -35)],
        Lever("level-none", level=None),
    ]
    return {lever.name: lever for lever in levers}


def lever_named(name: str, known: dict[str, Lever]) -> Lever:
    """A known lever, or ``adaptive@LOGPROB/COMPRESSION`` (e.g. adaptive@-0.5/2.0) for threshold tuning."""
    if name in known:
        return known[name]
    if name.startswith("adaptive@"):
        logprob, compression = (float(x) for x in name.split("@", 1)[1].split("/"))
        settings = {"adaptive_beam": True, "adaptive_logprob": logprob, "adaptive_compression": compression}
        return Lever(name, settings)
    raise SystemExit(f"unknown lever {name!r}; known: {', '.join(known)}, adaptive@LOGPROB/COMPRESSION")


# --- preparing the audio (untimed) ----------------------------------------------------------------


def activity_of(samples: np.ndarray, settings: AudioSettings, vad: tuple[float, int, int]) -> SpeechActivity:
    """detect_speech's decision with other Silero settings: the same level gate, the same lift for quiet
    callers, the same minimum of speech; only the threshold, padding and minimum silence differ."""
    peak = float(20 * np.log10(np.max(np.abs(samples)))) if np.any(samples) else float("-inf")
    if peak < settings.silence_dbfs:
        return SpeechActivity(peak, peak, 0.0, (), "silence")
    heard = lift(samples, settings.sample_rate, settings.vad_level_dbfs)
    threshold, pad, silence = vad
    options = VadOptions(
        threshold=threshold, min_speech_duration_ms=250, min_silence_duration_ms=silence, speech_pad_ms=pad
    )
    regions = find_regions(heard, settings, options)  # with its second listen, as detect_speech
    speech_s = sum(r["end"] - r["start"] for r in regions) / settings.sample_rate
    reason = "no speech detected" if speech_s < settings.min_speech_s else None
    return SpeechActivity(peak, peak, speech_s, regions, reason)


@dataclass
class Prepared:
    item: corpus.Item
    samples: np.ndarray
    activities: dict[tuple[float, int, int], SpeechActivity]


def prepare(items: list[corpus.Item], settings: Settings, cache: Path) -> list[Prepared]:
    """Normalise each file once (cached) and find its speech with detect_speech itself."""
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for item in items:
        wav = cache / f"{item.name}.wav"
        if not wav.exists():
            normalise(item.path, wav, settings.audio)
        activity, samples = detect_speech(wav, settings.audio)
        mine = activity_of(samples, settings.audio, DEFAULT_VAD)
        if mine.regions != activity.regions:
            print(f"warning: {item.name}: the replica of detect_speech differs from it", file=sys.stderr)
        out.append(Prepared(item, samples, {DEFAULT_VAD: activity}))
    return out


def speech_audio(p: Prepared, lever: Lever, audio: AudioSettings) -> SpeechAudio | None:
    """What the engine hears for this lever, or None where speech detection finds no speech."""
    if lever.vad not in p.activities:
        p.activities[lever.vad] = activity_of(p.samples, audio, lever.vad)
    activity = p.activities[lever.vad]
    if not activity.has_speech:
        return None
    if lever.trim == "span":
        whole = {"start": activity.regions[0]["start"], "end": activity.regions[-1]["end"]}
        activity = dataclasses.replace(activity, regions=(whole,))
    elif lever.trim == "none":
        activity = dataclasses.replace(activity, regions=())
    level = audio.speech_level_dbfs if lever.level == "default" else lever.level
    return speech_only(p.samples, activity, audio.sample_rate, None if level is None else float(level))


# --- transcribing (timed) -------------------------------------------------------------------------


def _languages(lever: Lever, item: corpus.Item) -> tuple[str, ...]:
    return {"detect": (), "expected": EXPECTED, "true": (item.language,)}[lever.languages]


def _encode_s(engine: FasterWhisperEngine, samples: np.ndarray) -> float:
    """One encoder pass over the first window as the engine encodes it (its window padding included)."""
    model = engine._model
    model.forget()
    window = model.first_window(samples)
    t = time.perf_counter()
    model.encode(window)  # nothing is primed after a transcription: this encodes
    return time.perf_counter() - t


class _Recording(FasterWhisperEngine):
    """The engine, keeping how sure each file's raw segments were (adaptive-beam thresholds offline)."""

    raws: list[RawTranscription]

    def transcribe(
        self, audio: np.ndarray, language: str | None, options: DecodeOptions | None = None
    ) -> RawTranscription:
        raw = super().transcribe(audio, language, options)
        self.raws.append(raw)
        return raw


def _sureness(raws: list[RawTranscription]) -> dict[str, float]:
    segments = [s for raw in raws for s in raw.segments]
    return {
        "min_logprob": round(min((s.avg_logprob for s in segments), default=0.0), 3),
        "max_compression": round(max((s.compression_ratio for s in segments), default=0.0), 3),
        "max_temperature": max((s.temperature for s in segments), default=0.0),
    }


def run_lever(
    lever: Lever, prepared: list[Prepared], settings: Settings, model: str, threads: int, encoder: bool
) -> dict[str, Any]:
    options = settings.transcription.model_copy(update={"cpu_threads": threads, **lever.engine})
    engine = _Recording(model, options)
    guard = LanguageGuard.from_settings(options)
    heard = [(p.item, speech_audio(p, lever, settings.audio)) for p in prepared]
    first = next((item, audio) for item, audio in heard if audio is not None)
    engine.raws = []
    transcribe(engine, first[1], _languages(lever, first[0]), None, guard)  # warm-up, untimed
    engine.decodes = engine.redecodes = 0
    texts: dict[str, str] = {}
    seconds: dict[str, float] = {}
    encode_s: dict[str, float] = {}
    sureness: dict[str, dict[str, float]] = {}
    for item, audio in heard:
        if audio is None:
            texts[item.name] = ""
            continue
        engine.raws = []
        t = time.perf_counter()
        texts[item.name] = transcribe(engine, audio, _languages(lever, item), None, guard).text
        seconds[item.name] = time.perf_counter() - t
        sureness[item.name] = _sureness(engine.raws)
        if encoder:
            encode_s[item.name] = _encode_s(engine, audio.samples)
    result = {
        "lever": lever.name,
        "settings": {
            **lever.engine,
            "languages": lever.languages,
            "vad": lever.vad,
            "trim": lever.trim,
            "level": lever.level,
        },
        "compute_type": engine.compute_type,
        # the encoded window's padding where the engine has that setting (None: the full 30 s window)
        "window_padding_s": getattr(options, "window_padding_s", None),
        "seconds": round(sum(seconds.values()), 2),
        "decodes": engine.decodes,
        "redecodes": engine.redecodes,
        "texts": texts,
        "file_seconds": {k: round(v, 3) for k, v in seconds.items()},
        "sureness": sureness,
    }
    if encoder:
        result["file_encode_s"] = {k: round(v, 3) for k, v in encode_s.items()}
        result["encode_s"] = round(sum(encode_s.values()), 2)
        result["encoder_share"] = round(sum(encode_s.values()) / max(sum(seconds.values()), 1e-9), 3)
    return result


# --- scoring and the table ------------------------------------------------------------------------

GROUPS = {
    "all": lambda i: True,
    "landline": lambda i: i.condition == "landline",
    "mobile": lambda i: i.condition == "mobile",
    "en": lambda i: i.language == "en",
    "other": lambda i: i.language != "en",
}


def score(result: dict[str, Any], items: list[corpus.Item]) -> dict[str, Any]:
    texts = result["texts"]
    speech = [i for i in items if not i.no_speech]
    wer = {
        name: percent(error_rate([(i.language, i.reference, texts[i.name]) for i in speech if test(i)]))
        for name, test in GROUPS.items()
    }
    return {
        "wer": wer,
        "no_speech_words": sum(len(texts[i.name].split()) for i in items if i.no_speech),
        "false_no_speech": sorted(i.name for i in speech if not texts[i.name].strip()),
    }


def print_table(report: dict[str, Any]) -> None:
    table = Table(
        title=f"Levers on the short set, {report['split']} split ({report['files']} files, "
        f"{report['model']}, cpu_threads={report['threads']}, window padding "
        f"{report['levers'][0]['window_padding_s']} s, one file at a time; "
        "ratio: seconds / the first lever's)"
    )
    columns = ["lever", "compute", "transcribe s", "ratio", *[f"WER {g} %" for g in GROUPS]]
    for column in [*columns, "no-speech words", "false no-speech", "re-decoded"]:
        table.add_column(column, justify="left" if column == "lever" else "right")
    for r in report["levers"]:
        redecoded = (
            f"{r['redecodes']}/{r['decodes'] - r['redecodes']}" if r["settings"].get("adaptive_beam") else ""
        )
        table.add_row(
            r["lever"],
            r["compute_type"],
            f"{r['seconds']:.1f}",
            f"{r['ratio']:.2f}",
            *[f"{r['wer'][g]:.1f}" if r["wer"][g] is not None else "-" for g in GROUPS],
            str(r["no_speech_words"]),
            str(len(r["false_no_speech"])),
            redecoded,
        )
    Console(width=200).print(table)
    base = report["levers"][0]
    if "encoder_share" in base:
        print(
            f"encoder: {base['encode_s']:.1f} s of one first-window pass per file against "
            f"{base['seconds']:.1f} s of transcription ({base['encoder_share'] * 100:.0f}%), {base['lever']}"
        )


def line(r: dict[str, Any], split: str) -> str:
    """One figure as a line for the notes: lever, seconds, ratio, WER all/landline/mobile/en/other, split."""
    wer = "/".join("-" if r["wer"][g] is None else f"{r['wer'][g]:.1f}" for g in GROUPS)
    return (
        f"{r['lever']}: {r['seconds']:.1f} s, ratio {r['ratio']:.2f}, "
        f"WER all/landline/mobile/en/other {wer}, no-speech words {r['no_speech_words']}, "
        f"false no-speech {len(r['false_no_speech'])}, split {split}, window padding {r['window_padding_s']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.levers", description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--levers", default=None, help="comma-separated; the first is the baseline")
    parser.add_argument("--limit", type=int, default=None, help="at most this many speech files")
    parser.add_argument("--condition", default=None, help="only this condition's files (landline, mobile)")
    parser.add_argument("--model", default="base")
    parser.add_argument("--threads", type=int, default=1, help="the engine's cpu_threads")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-cache")
    parser.add_argument(
        "--seed",
        type=int,
        default=11,
        help="the short set's seed (noise, levels); others go in --cache/seedN",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    known = _levers()
    skipped = set(COMPUTE_TYPES) - ctranslate2.get_supported_compute_types("cpu")
    print(f"compute types CTranslate2 refuses on this CPU: {', '.join(sorted(skipped))}", flush=True)
    levers = [lever_named(n, known) for n in (args.levers.split(",") if args.levers else known)]
    cache = args.cache if args.seed == 11 else args.cache / f"seed{args.seed}"
    made = corpus.build_short(cache, seed=args.seed)
    made = [i for i in made if args.condition in (None, i.condition)]
    speech = [i for i in made if not i.no_speech and i.split == args.split][: args.limit]
    items = [*speech, *(i for i in made if i.no_speech)]
    if args.model.endswith(".en"):
        items = [i for i in items if i.language in ("en", "")]
    settings = Settings()
    prepared = prepare(items, settings, cache / "levers")
    results: list[dict[str, Any]] = []
    for n, lever in enumerate(levers):
        result = run_lever(lever, prepared, settings, args.model, args.threads, encoder=n == 0)
        result.update(score(result, items))
        result["ratio"] = round(result["seconds"] / results[0]["seconds"], 3) if results else 1.0
        results.append(result)
        print(line(result, args.split), flush=True)
        report = {
            "split": args.split,
            "condition": args.condition,
            "files": len(items),
            "model": args.model,
            "threads": args.threads,
            "levers": results,
        }
        if args.out:  # after every lever: a long run's figures survive an interruption
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
