"""Voice end to end against plain openai-whisper, in one run, on the same voicemail files and weights.

    python -m bench                         # the full run: both sets (bench/corpus.py), base
    python -m bench --short                 # the CI form: a few short files, tiny.en
    python -m bench --models base --sets short --voice-only --env VOICE_TRANSCRIPTION__BEAM_SIZE=1

For each model: the reference (bench/reference.py, its own process) transcribes every file one after the
other; then a real `voice serve` (the shipped defaults, SQLite, embedded worker, plus any --env) gets each
set's files posted at once over HTTP from a local audio server, and the clock runs from the first post to the
last voicemail stored (server timestamps). Then single 30 s voicemails are posted one at a time on the idle
service for latency. Figures per set, and per group within it (split, condition, English or not, length):
a group's reference time is its files' own; Voice works files side by side, so a group's Voice time is the
set's wall time shared out by each file's worker time. Prints tables, writes the same as JSON (--out).
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
import psutil

from bench import corpus
from bench.load import create_key, serving, upgrade_db
from bench.report import print_report
from bench.scoring import error_rate, groups, percent, score, wer_difference

ROOT = Path(__file__).resolve().parents[1]


# --- the reference --------------------------------------------------------------------------------


def run_reference(model: str, items: list[corpus.Item]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.reference", model, *[str(i.path) for i in items]],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    by_path = {f["path"]: f for f in result["files"]}
    result["texts"] = {i.name: by_path[str(i.path)]["text"] for i in items}
    result["seconds"] = {i.name: by_path[str(i.path)]["seconds"] for i in items}
    result["empty"] = {i.name for i in items if not by_path[str(i.path)]["text"].strip()}
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


def _worker_s(vm: dict[str, Any]) -> float:
    """The worker's own seconds on one voicemail (its stages' total; a floor for one that reports none)."""
    timings = (vm.get("transcript") or {}).get("timings") or {}
    total = timings.get("total_s", sum(float(x) for x in timings.values()))
    return max(float(total), 0.05)


def _backlog(client: httpx.Client, audio: str, items: list[corpus.Item]) -> dict[str, Any]:
    """Post every file at once, wait for all; wall time from the first post to the last one stored."""
    ids = [
        client.post("/v1/voicemails", json={"audio_url": f"{audio}/{i.path.name}"}).json()["id"]
        for i in items
    ]
    finished = _wait_all(client, ids, 3600)
    pairs = list(zip(items, finished, strict=True))
    return {
        "wall_s": round(
            max(_ts(v["finished_at"]) for v in finished) - min(_ts(v["created_at"]) for v in finished), 3
        ),
        "texts": {i.name: (v.get("text") or "") for i, v in pairs},
        "empty": {
            i.name for i, v in pairs if v["status"] == "no_speech" or not (v.get("text") or "").strip()
        },
        "worker_s": {i.name: _worker_s(v) for i, v in pairs},
        "statuses": {s: sum(v["status"] == s for v in finished) for s in ("done", "no_speech", "failed")},
        "failures": [f"{i.name}: {v['status_reason']}" for i, v in pairs if v["status"] == "failed"],
        "stages_s": _stage_totals(finished),
    }


def run_voice(
    model: str,
    sets: dict[str, list[corpus.Item]],
    long: corpus.Item,
    latency_runs: int,
    extra_env: dict[str, str],
) -> dict[str, Any]:
    root = long.path.parent
    with (
        audio_server(root) as audio,
        voice_serve(model, extra_env) as (url, key, proc),
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client,
    ):
        # Warm up: the worker loads its model at start; the reference's load is not timed either.
        first = client.post("/v1/voicemails", json={"audio_url": f"{audio}/{long.path.name}"}).json()["id"]
        _wait_all(client, [first], 600)

        # Throughput: each set's files at once, a backlog like a morning's voicemail.
        runs = {name: _backlog(client, audio, items) for name, items in sets.items()}

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
        "sets": runs,
        "peak_rss_mb": peak,
        "latency_s": [round(x, 3) for x in latencies],
        "latency_wer": percent(error_rate([("en", long.reference, t) for t in long_texts])),
    }


# --- the run --------------------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def _figures(items: list[corpus.Item], durations: dict[str, float], texts: dict[str, str], empty: set[str],
             seconds: float) -> dict[str, Any]:  # fmt: skip
    audio_s = sum(durations[i.name] for i in items)
    return {
        "files": len(items),
        "audio_s": round(audio_s, 1),
        "wall_s": round(seconds, 2),
        "throughput": round(audio_s / seconds, 2) if seconds else None,
        **score(items, texts, empty),
    }


def set_rows(
    items: list[corpus.Item],
    durations: dict[str, float],
    reference: dict[str, Any] | None,
    voice: dict[str, Any],
) -> dict[str, Any]:
    """Both engines' figures on one set, whole and per group."""
    voice_total = sum(voice["worker_s"].values())
    out: dict[str, Any] = {"groups": {}}
    for name, group in groups(items, durations).items():
        # Voice's wall time shared out by worker time (files are worked side by side).
        share = sum(voice["worker_s"][i.name] for i in group) / voice_total
        row = {"voice": _figures(group, durations, voice["texts"], voice["empty"], voice["wall_s"] * share)}
        if reference is not None:
            ref_s = sum(reference["seconds"][i.name] for i in group)
            row["openai-whisper"] = _figures(group, durations, reference["texts"], reference["empty"], ref_s)
            row["ratio"] = round(ref_s / (voice["wall_s"] * share), 2)
            row["wer_difference"] = wer_difference(
                *[[(i.language, i.reference, t.get(i.name, "")) for i in group if not i.no_speech]
                  for t in (reference["texts"], voice["texts"])]
            )  # fmt: skip
        out["groups"][name] = row
    whole = out["groups"]["all"]
    kept = ("wall_s", "statuses", "stages_s", "failures", "texts")
    out["voice"] = {**whole["voice"], **{k: voice[k] for k in kept}}
    if reference is not None:
        out["openai-whisper"] = {
            **whole["openai-whisper"],
            "texts": {i.name: reference["texts"][i.name] for i in items},
        }
        out["voice"]["ratio"] = whole["ratio"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="base", help="e.g. tiny.en,base")
    parser.add_argument("--sets", default="short,long-silence", help="short (the headline), long-silence")
    parser.add_argument("--languages", default=None, help="e.g. en,de (default: all; .en models: en)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many speech files per set")
    parser.add_argument("--split", choices=["dev", "test"], default=None, help="only this split's speech")
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument(
        "--short", action="store_true", help="the CI form: 3 short files, 2 no-speech, tiny.en"
    )
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for `voice serve` (a lever)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--voice-only", action="store_true", help="skip the reference (to compare levers)")
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"))
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-cache", help="where the files are made")
    args = parser.parse_args(argv)
    no_speech: int | None = None
    if args.short:
        args.models, args.sets, args.languages, args.limit, args.latency_runs = "tiny.en", "short", "en", 3, 1
        no_speech = 2
    extra_env = dict(e.split("=", 1) for e in args.env)
    extra_env["VOICE_TRANSCRIPTION__DEVICE"] = args.device
    languages = set(args.languages.split(",")) if args.languages else None
    builders = {"short": corpus.build_short, "long-silence": corpus.build}
    sets: dict[str, list[corpus.Item]] = {}
    for name in args.sets.split(","):
        made = builders[name](
            args.cache, languages, args.limit, **({} if no_speech is None else {"no_speech": no_speech})
        )
        sets[name] = [i for i in made if args.split is None or i.no_speech or i.split == args.split]
    long = corpus.long_voicemail(args.cache)
    durations = {i.name: corpus.duration(i.path) for i in [*(i for s in sets.values() for i in s), long]}

    report: dict[str, Any] = {"machine": _machine(), "env": extra_env, "models": {}}
    for model in args.models.split(","):
        chosen = {
            name: [i for i in items if not model.endswith(".en") or i.language in ("en", "")]
            for name, items in sets.items()
        }
        voice = run_voice(model, chosen, long, args.latency_runs, extra_env)
        reference = None if args.voice_only else run_reference(model, [i for s in chosen.values() for i in s])
        report["models"][model] = {
            "sets": {
                name: set_rows(items, durations, reference, voice["sets"][name])
                for name, items in chosen.items()
            },
            "latency_p50_s": _p(voice["latency_s"], 0.5),
            "latency_p95_s": _p(voice["latency_s"], 0.95),
            "latency_s": voice["latency_s"],
            "latency_audio_s": round(durations[long.name], 1),
            "latency_wer": voice["latency_wer"],
            "peak_rss_mb": voice["peak_rss_mb"],
            "reference_peak_rss_mb": None if reference is None else reference["peak_rss_mb"],
        }
    print_report(report)
    args.out.write_text(json.dumps(report, indent=2))
    return 0


def _machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "?"
    )  # fmt: skip
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}


if __name__ == "__main__":
    sys.exit(main())
