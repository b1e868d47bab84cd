"""Reprocessing, measured on one host with the embedded default (SQLite, local dispatch):

- fresh-voicemail latency (POST to stored, a 30 s voicemail posted one at a time) on an idle `voice serve`,
  while a `voice reprocess` process works through the backlog beside it (nice 10), and while the server's own
  embedded worker works a run made over the API;
- a run's throughput (audio seconds per wall second) and WER, with faster-whisper's batched pipeline and
  without, over the same stored voicemails.

    python -m bench.reprocess                                   # base; the English clips as the backlog
    python -m bench.reprocess --model tiny.en --limit 6 --latency-runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import corpus
from bench.load import VOICE, create_key, serving, upgrade_db
from bench.perf import ROOT, _machine, _p, _ts, _wait_all, audio_server
from bench.scoring import error_rate, percent


def _latency(client: httpx.Client, audio_url: str, runs: int, while_: Any = None) -> list[float]:
    """POST the 30 s voicemail one at a time and wait for each; stop early once ``while_()`` is false."""
    out: list[float] = []
    for _ in range(runs):
        if while_ is not None and not while_():
            break
        vm_id = client.post("/v1/voicemails", json={"audio_url": audio_url}).json()["id"]
        (vm,) = _wait_all(client, [vm_id], 600)
        out.append(round(_ts(vm["finished_at"]) - _ts(vm["created_at"]), 3))
    return out


def _texts(client: httpx.Client, ids: dict[str, str]) -> dict[str, str]:
    return {name: client.get(f"/v1/voicemails/{i}").json().get("text") or "" for name, i in ids.items()}


def _cli_run(env: dict[str, str], ids_file: Path, batch: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [VOICE, "reprocess", "--ids-file", str(ids_file)],
        env={**env, "VOICE_REPROCESS__BATCH_SIZE": str(batch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _run_id(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "run ID: N voicemails, M audio minutes"
    return first.split()[1].rstrip(":")


def _finished(client: httpx.Client, run_id: str) -> dict[str, Any]:
    while (run := client.get(f"/v1/reprocess-runs/{run_id}").json())["state"] == "running":
        time.sleep(0.5)
    return run  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reprocess", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--limit", type=int, default=None, help="at most this many stored voicemails")
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench-reprocess.json"))
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench-cache")
    args = parser.parse_args(argv)
    items = corpus.build(args.cache, {"en"}, args.limit, 0)
    long = corpus.long_voicemail(args.cache)
    audio_s = sum(corpus.duration(i.path) for i in items)
    report: dict[str, Any] = {"machine": _machine(), "model": args.model, "voicemails": len(items)}
    with tempfile.TemporaryDirectory(prefix="voice-bench-reprocess-") as tmp:
        env = {
            **os.environ,
            "VOICE_DATA_DIR": tmp,
            "VOICE_TRANSCRIPTION__MODEL": args.model,
            "VOICE_FETCH__ALLOW_NETWORKS": '["127.0.0.0/8"]',
            "VOICE_LOG_LEVEL": "WARNING",
        }
        upgrade_db(env)
        key = create_key(env, "admin")
        with (
            audio_server(items[0].path.parent) as audio,
            serving(env, drain_s=30) as (url, _server),
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client,
        ):
            long_url = f"{audio}/{long.path.name}"
            # The stored backlog: every clip processed once, as months of voicemail would be.
            posted = [client.post("/v1/voicemails", json={"audio_url": f"{audio}/{i.path.name}"})
                      for i in items]  # fmt: skip
            ids = {i.name: r.json()["id"] for i, r in zip(items, posted, strict=True)}
            _wait_all(client, list(ids.values()), 3600)
            ids_file = Path(tmp) / "ids.txt"
            ids_file.write_text("\n".join(ids.values()))

            dry_run = [VOICE, "reprocess", "--ids-file", str(ids_file), "--dry-run"]
            dry = subprocess.run(dry_run, env=env, capture_output=True, text=True)
            report["dry_run_output"] = dry.stdout.strip()
            report["latency_idle_s"] = _latency(client, long_url, args.latency_runs)

            # Throughput of a run with and without the batched pipeline, nothing else running.
            for batch in (0, 8):
                proc = _cli_run(env, ids_file, batch)
                run = _finished(client, _run_id(proc))
                assert proc.stdout is not None
                report[f"cli_output_batch_{batch}"] = proc.stdout.read().strip().splitlines()[-1:]
                proc.wait()
                texts = _texts(client, ids)
                wall = _ts(run["finished_at"]) - _ts(run["created_at"])
                report[f"run_batch_{batch}"] = {
                    "wall_s": round(wall, 2),
                    "audio_s_per_s": round(audio_s / wall, 2),
                    "counts": run["counts"],
                    "wer": percent(
                        error_rate([(i.language, i.reference, texts.get(i.name, "")) for i in items])
                    ),
                }

            # Fresh latency while a `voice reprocess` process (nice 10) works beside the server.
            proc = _cli_run(env, ids_file, 8)
            _run_id(proc)
            report["latency_during_cli_run_s"] = _latency(
                client, long_url, args.latency_runs, lambda: proc.poll() is None
            )
            proc.wait()

            # Fresh latency while the server's own worker works a run made over the API.
            made = client.post("/v1/reprocess-runs", json={"ids": list(ids.values())}).json()
            report["latency_during_api_run_s"] = _latency(
                client,
                long_url,
                args.latency_runs,
                lambda: client.get(f"/v1/reprocess-runs/{made['id']}").json()["state"] == "running",
            )
            _finished(client, made["id"])
    for name in ("latency_idle_s", "latency_during_cli_run_s", "latency_during_api_run_s"):
        values = report[name]
        report[name.removesuffix("_s") + "_p50_s"] = _p(values, 0.5)
        report[name.removesuffix("_s") + "_p95_s"] = _p(values, 0.95)
    print(json.dumps({k: v for k, v in report.items() if k != "machine"}, indent=1))
    args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
