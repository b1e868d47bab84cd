"""Voice end to end against plain openai-whisper, in one run, on the same voicemail files and weights.

    python -m bench                         # the full run: every clip of ../shared/speech, tiny.en and base
    python -m bench --short                 # the CI form: a few files, tiny.en
    python -m bench --models base --env VOICE_TRANSCRIPTION__CPU_THREADS=1 --env VOICE_WORKER__CONCURRENCY=2

For each model: the reference (bench/reference.py, its own process) transcribes every file one after the
other; then a real `voice serve` (the shipped defaults, SQLite, embedded worker, plus any --env) gets every
file posted at once over HTTP from a local audio server, and the clock runs from the first post to the last
voicemail stored as done (server timestamps). Then single 30 s voicemails are posted one at a time on the idle
service for latency. Prints a table, writes the same as JSON (--out) for comparison between commits.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jiwer
import psutil

from bench import corpus
from bench.load import create_key, serving, upgrade_db

ROOT = Path(__file__).resolve().parents[1]


# --- scoring ----------------------------------------------------------------------------------------


@functools.cache
def _normalisers() -> tuple[Any, Any]:
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer(), BasicTextNormalizer()


def normalise(text: str, language: str) -> str:
    english, basic = _normalisers()
    if language == "zh":  # character error rate: one "word" per character, spaces dropped
        return " ".join(basic(text).replace(" ", ""))
    return " ".join((english if language == "en" else basic)(text).split())


def error_rate(pairs: list[tuple[str, str, str]]) -> float | None:
    """Corpus-level WER (CER for Mandarin) over (language, reference, hypothesis)."""
    refs = [normalise(r, lang) for lang, r, _ in pairs]
    hyps = [normalise(h, lang) for lang, _, h in pairs]
    keep = [i for i, r in enumerate(refs) if r]
    if not keep:
        return None
    return float(jiwer.wer([refs[i] for i in keep], [hyps[i] for i in keep]))


def score(items: list[corpus.Item], texts: dict[str, str]) -> dict[str, Any]:
    speech = [i for i in items if not i.no_speech]

    def rate(group: list[corpus.Item]) -> float | None:
        got = error_rate([(i.language, i.reference, texts.get(i.name, "")) for i in group])
        return None if got is None else round(got * 100, 2)

    return {
        "wer_all": rate(speech),
        "wer_8khz": rate([i for i in speech if i.codec in ("mulaw-8k", "amr-nb")]),
        "wer_by_codec": {c: rate([i for i in speech if i.codec == c]) for c, _, _ in corpus.CODECS},
        "wer_by_language": {
            lang: rate([i for i in speech if i.language == lang])
            for lang in sorted({i.language for i in speech})
        },
        "no_speech_words": sum(len(texts.get(i.name, "").split()) for i in items if i.no_speech),
    }


# --- the reference --------------------------------------------------------------------------------


def run_reference(model: str, items: list[corpus.Item]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.reference", model, *[str(i.path) for i in items]],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    by_path = {f["path"]: f["text"] for f in result["files"]}
    result["texts"] = {i.name: by_path[str(i.path)] for i in items}
    return result


# --- Voice ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def audio_server(root: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def voice_serve(model: str, extra_env: dict[str, str]) -> Iterator[tuple[str, str, psutil.Process]]:
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
        env = {
            **os.environ,
            "VOICE_DATA_DIR": tmp,
            "VOICE_TRANSCRIPTION__MODEL": model,
            "VOICE_FETCH__ALLOW_NETWORKS": '["127.0.0.0/8"]',  # the local audio server
            "VOICE_LOG_LEVEL": "WARNING",
            **extra_env,
        }
        upgrade_db(env)
        key = create_key(env, "admin")
        with serving(env, drain_s=30) as (url, proc):
            yield url, key, psutil.Process(proc.pid)


def _peak_rss_mb(proc: psutil.Process) -> float:
    """The process's (and any child's) high-water mark of resident memory, from /proc."""
    peak = 0
    for p in [proc, *proc.children(recursive=True)]:
        for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return round(peak / 1024, 1)


def _wait_all(client: httpx.Client, ids: list[str], timeout: float) -> list[dict[str, Any]]:
    """Wait for every voicemail to settle. Each sweep stops at the first one still pending and sleeps, so
    the poller (one GET per sweep, mostly) takes no CPU from the worker it measures; finish times are the
    server's own timestamps, so polling slowly costs no accuracy."""
    deadline = time.monotonic() + timeout
    pending, done = list(ids), {}
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} voicemails not finished after {timeout} s")
        while pending:
            vm = client.get(f"/v1/voicemails/{pending[0]}").json()
            if vm["status"] not in ("done", "no_speech", "failed"):
                break
            done[pending.pop(0)] = vm
        if pending:
            time.sleep(0.5)
    return [done[i] for i in ids]


def _stage_totals(finished: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds the worker spent in each stage (fetch, normalise, transcribe, summarise), summed."""
    totals: dict[str, float] = {}
    for vm in finished:
        for stage, seconds in ((vm.get("transcript") or {}).get("timings") or {}).items():
            totals[stage] = round(totals.get(stage, 0.0) + float(seconds), 2)
    return totals


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_voice(
    model: str, items: list[corpus.Item], long: corpus.Item, latency_runs: int, extra_env: dict[str, str]
) -> dict[str, Any]:
    root = items[0].path.parent
    with (
        audio_server(root) as audio,
        voice_serve(model, extra_env) as (url, key, proc),
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client,
    ):
        # Warm up: the worker loads its model at start; the reference's load is not timed either.
        warm = next(i for i in items if i.no_speech)
        first = client.post("/v1/voicemails", json={"audio_url": f"{audio}/{warm.path.name}"}).json()["id"]
        _wait_all(client, [first], 600)

        # Throughput: every file at once, a backlog like a morning's voicemail.
        ids = [
            client.post("/v1/voicemails", json={"audio_url": f"{audio}/{i.path.name}"}).json()["id"]
            for i in items
        ]
        finished = _wait_all(client, ids, 3600)
        wall = max(_ts(v["finished_at"]) for v in finished) - min(_ts(v["created_at"]) for v in finished)
        texts = {i.name: (v.get("text") or "") for i, v in zip(items, finished, strict=True)}
        statuses = {s: sum(v["status"] == s for v in finished) for s in ("done", "no_speech", "failed")}
        failures = [f"{i.name}: {v['status_reason']}" for i, v in zip(items, finished, strict=True)
                    if v["status"] == "failed"]  # fmt: skip

        # Latency: one 30 s voicemail at a time on the idle service, POST to stored and summarised.
        latencies, long_texts = [], []
        for _ in range(latency_runs):
            body = {"audio_url": f"{audio}/{long.path.name}"}
            vm_id = client.post("/v1/voicemails", json=body).json()["id"]
            (vm,) = _wait_all(client, [vm_id], 600)
            latencies.append(_ts(vm["finished_at"]) - _ts(vm["created_at"]))
            long_texts.append(vm.get("text") or "")
        peak = _peak_rss_mb(proc)
    return {
        "engine": "voice",
        "wall_s": round(wall, 3),
        "peak_rss_mb": peak,
        "texts": texts,
        "statuses": statuses,
        "failures": failures,
        "stages_s": _stage_totals(finished),
        "latency_s": [round(x, 3) for x in latencies],
        "latency_wer": _percent(error_rate([("en", long.reference, t) for t in long_texts])),
    }


# --- the run --------------------------------------------------------------------------------------


def _percent(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 2)


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--languages", default=None, help="e.g. en,de (default: all; .en models: en)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many speech clips")
    parser.add_argument("--no-speech", type=int, default=len(corpus.NO_SPEECH))
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument("--short", action="store_true", help="the CI form: 3 clips, 2 no-speech, tiny.en")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for `voice serve` (a lever)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--voice-only", action="store_true", help="skip the reference (to compare levers)")
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-cache", help="where the files are made")
    args = parser.parse_args(argv)
    if args.short:
        args.models, args.languages, args.limit, args.no_speech, args.latency_runs = "tiny.en", "en", 3, 2, 1
    extra_env = dict(e.split("=", 1) for e in args.env)
    extra_env["VOICE_TRANSCRIPTION__DEVICE"] = args.device
    languages = set(args.languages.split(",")) if args.languages else None
    items = corpus.build(args.cache, languages, args.limit, args.no_speech)
    long = corpus.long_voicemail(args.cache)
    durations = {i.name: corpus.duration(i.path) for i in [*items, long]}

    report: dict[str, Any] = {"machine": _machine(), "env": extra_env, "models": {}}
    for model in args.models.split(","):
        chosen = [i for i in items if not model.endswith(".en") or i.language in ("en", "")]
        audio_s = sum(durations[i.name] for i in chosen)
        voice = run_voice(model, chosen, long, args.latency_runs, extra_env)
        runs = [("voice", voice)]
        if not args.voice_only:
            runs.insert(0, ("openai-whisper", run_reference(model, chosen)))
        rows: dict[str, dict[str, Any]] = {}
        for name, run in runs:
            rows[name] = {
                "files": len(chosen),
                "audio_s": round(audio_s, 1),
                "wall_s": run["wall_s"],
                "throughput": round(audio_s / run["wall_s"], 2),
                "peak_rss_mb": run["peak_rss_mb"],
                **score(chosen, run["texts"]),
            }
        if "openai-whisper" in rows:
            reference_throughput = rows["openai-whisper"]["throughput"]
            rows["voice"]["ratio"] = round(rows["voice"]["throughput"] / reference_throughput, 2)
        rows["voice"]["latency_p50_s"] = _p(voice["latency_s"], 0.5)
        rows["voice"]["latency_p95_s"] = _p(voice["latency_s"], 0.95)
        rows["voice"]["latency_audio_s"] = round(durations[long.name], 1)
        rows["voice"]["latency_wer"] = voice["latency_wer"]
        rows["voice"]["statuses"] = voice["statuses"]
        rows["voice"]["stages_s"] = voice["stages_s"]
        rows["voice"]["failures"] = voice["failures"]
        for name, run in runs:
            rows[name]["texts"] = run["texts"]  # per file, to see where the two differ
        report["models"][model] = rows
    _print(report)
    args.out.write_text(json.dumps(report, indent=2))
    return 0


def _machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "?"
    )  # fmt: skip
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    m = report["machine"]
    table = Table(title=f"Voice vs openai-whisper on {m['cores']} cores ({m['cpu']})")
    for column in (
        "model", "engine", "files", "audio s", "wall s", "audio s / s", "ratio", "WER %", "WER 8 kHz %",
        "no-speech words", "p50 s", "p95 s", "peak MB",
    ):  # fmt: skip
        table.add_column(column, justify="left" if column in ("model", "engine") else "right")
    for model, rows in report["models"].items():
        for name, r in rows.items():
            table.add_row(
                model, name, str(r["files"]), f"{r['audio_s']:.0f}", f"{r['wall_s']:.1f}",
                f"{r['throughput']:.2f}", f"{r['ratio']:.2f}x" if "ratio" in r else "1x",
                _pct(r["wer_all"]), _pct(r["wer_8khz"]),
                str(r["no_speech_words"]), _num(r.get("latency_p50_s")), _num(r.get("latency_p95_s")),
                f"{r['peak_rss_mb']:.0f}",
            )  # fmt: skip
    Console(width=160).print(table)
    for model, rows in report["models"].items():
        v = rows["voice"]
        print(
            f"{model}: latency on a {v['latency_audio_s']} s voicemail, WER {_pct(v['latency_wer'])}; "
            f"statuses {v['statuses']}; seconds per stage {v['stages_s']}; "
            f"WER by codec {v['wer_by_codec']}; "
            f"by language {v['wer_by_language']}"
        )
        if "openai-whisper" in rows:
            r = rows["openai-whisper"]
            print(f"  reference: WER by codec {r['wer_by_codec']}; by language {r['wer_by_language']}")
        for failure in v["failures"]:
            print("  failed:", failure)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    sys.exit(main())
