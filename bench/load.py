"""Load benchmark: POST /v1/voicemails at a fixed rate against a real `voice serve` on PostgreSQL.

    python -m bench.load --rate 200 --duration 60        # the issue's figure
    python -m bench.load --rate 50 --duration 5          # the short form CI runs
    python -m bench.load --embedded --rate 50 --duration 30   # SQLite, its embedded worker busy transcribing

Starts its own server (celery dispatcher on Redis, no workers: this measures the API's accept path; or, with
--embedded, the shipped default: SQLite and the in-process worker, every posted voicemail a real 30 s
recording from a local audio server, so the worker transcribes the whole time), sends requests on a fixed
schedule from an asyncio client (open loop: a slow answer does not slow the sender), then checks in the
database that every accepted voicemail exists exactly once. Prints a table and a JSON line; exits 1 on
errors or lost or duplicated voicemails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

VOICE = str(Path(sys.executable).parent / "voice")
ROOT = Path(__file__).resolve().parents[1]
ADMIN_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _fire(
    url: str, key: str, rate: float, duration: float, run: str, audio_url: str
) -> tuple[list[float], list[str], int]:
    # aiohttp, not httpx: the load generator shares this machine's two cores with the server, and
    # aiohttp's C parser costs a fraction of httpx's CPU per request (both figures are printed).
    latencies: list[float] = []
    errors: list[str] = []
    total = int(rate * duration)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=200)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout, headers=headers) as client:

        async def one(i: int) -> None:
            body = json.dumps(
                {
                    "audio_url": audio_url,
                    "call": {"external_id": f"{run}-{i}", "source": "bench", "from": "+12125550134"},
                }
            )
            started = time.perf_counter()
            try:
                async with client.post("/v1/voicemails", data=body) as r:
                    await r.read()
                    if r.status != 202:
                        errors.append(f"HTTP {r.status}")
                        return
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors.append(exc.__class__.__name__)
                return
            latencies.append(time.perf_counter() - started)

        t0 = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies, errors, total


@contextlib.contextmanager
def voice_server(broker: str, workers: int = 1) -> Iterator[tuple[str, str, Any]]:
    """A `voice serve` on a throwaway PostgreSQL database: yields (url, ingest key, server process)
    and, after, leaves the database's counts in the process's ``stored`` attribute."""
    name = f"voice_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_DB, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
            env = {
                "VOICE_DATA_DIR": tmp,
                "VOICE_DATABASE_URL": database_url,
                "VOICE_DISPATCH": "celery",
                "VOICE_CELERY__BROKER_URL": broker,
                "VOICE_CELERY__QUEUE": f"voice.bench.{name}",
                "VOICE_CELERY__REDISPATCH_AFTER_S": "3600",
            }
            yield from _serve(env, database_url, workers)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextlib.contextmanager
def embedded_server() -> Iterator[tuple[str, str, Any]]:
    """The shipped default: SQLite in a fresh data dir, the worker inside the API process, fetching from
    loopback (the bench's audio server) allowed."""
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
        env = {"VOICE_DATA_DIR": tmp, "VOICE_FETCH__ALLOW_NETWORKS": '["127.0.0.0/8"]'}
        yield from _serve(env, f"sqlite:///{tmp}/voice.db", 1)


def _serve(extra_env: dict[str, str], database_url: str, workers: int) -> Iterator[tuple[str, str, Any]]:
    env = {**os.environ, "VOICE_LOG_LEVEL": "WARNING", **extra_env}
    upgrade_db(env)
    key = create_key(env, "ingest")
    with serving(env, "--workers", str(workers), drain_s=20) as (url, server):
        yield url, key, server
    engine = create_engine(database_url)
    with engine.connect() as conn:
        server.stored = conn.execute(  # type: ignore[attr-defined]
            text(
                "SELECT count(*), count(DISTINCT c.external_id) FROM voicemails v "
                "JOIN call_records c ON c.id = v.call_id WHERE c.source = 'bench'"
            )
        ).one()
    engine.dispose()


def upgrade_db(env: dict[str, str]) -> None:
    """`voice db upgrade` on the database configured by ``env`` (servers and commands only check it)."""
    subprocess.run([VOICE, "db", "upgrade"], env=env, check=True, capture_output=True)


def create_key(env: dict[str, str], role: str) -> str:
    """A new API key with ``role`` for the Voice configured by ``env``."""
    out = subprocess.run(
        [VOICE, "keys", "create", "--name", "bench", "--role", role, "--json"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return str(json.loads(out.stdout)["key"])


@contextlib.contextmanager
def serving(env: dict[str, str], *args: str, drain_s: float) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`voice serve` on a free loopback port: yields (url, process) once /healthz answers; afterwards
    terminates it, giving it ``drain_s`` to finish before it is killed."""
    port = _port()
    server = subprocess.Popen(
        [VOICE, "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(drain_s)
        except subprocess.TimeoutExpired:  # still draining a backlog
            server.kill()
            server.wait()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's worker processes)."""
    total = 0.0
    for p in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        t = p.cpu_times()
        total += t.user + t.system
    return total


def _warm_up(url: str, key: str, audio_url: str, n: int = 100) -> None:
    """A few requests first (source "warmup", not counted): a server that just started is still importing
    modules and filling its connection pools. With an embedded worker these also give it work."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        for _ in range(n):
            body = {"audio_url": audio_url, "call": {"source": "warmup"}}
            client.post("/v1/voicemails", json=body).raise_for_status()


def _busy(url: str, key: str) -> int:
    """How many voicemails the worker has finished so far (done or no speech, from /metrics)."""
    body = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=10).text
    return sum(
        int(sample.value)
        for family in text_string_to_metric_families(body)
        if family.name == "voice_voicemails"
        for sample in family.samples
        if sample.labels.get("status") in ("done", "no_speech")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=1, help="`voice serve --workers`")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--embedded", action="store_true", help="SQLite and the in-process worker, kept busy")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        if args.embedded:
            from bench import corpus
            from bench.perf import audio_server

            recording = corpus.long_voicemail(ROOT / ".bench-cache")
            audio_url = f"{stack.enter_context(audio_server(recording.path.parent))}/{recording.path.name}"
            url, key, server = stack.enter_context(embedded_server())
        else:
            audio_url = "https://pbx.example.com/rec/load.wav"  # never fetched: no worker runs
            url, key, server = stack.enter_context(voice_server(args.broker, args.workers))
        run = uuid.uuid4().hex[:8]
        _warm_up(url, key, audio_url)
        busy = _busy(url, key) if args.embedded else None
        cpu0, client0 = _cpu_seconds(server.pid), time.process_time()
        started = time.perf_counter()
        latencies, errors, sent = asyncio.run(_fire(url, key, args.rate, args.duration, run, audio_url))
        elapsed = time.perf_counter() - started
        cpu_ms = (_cpu_seconds(server.pid) - cpu0) * 1000 / max(1, sent)
        client_ms = (time.process_time() - client0) * 1000 / max(1, sent)
        if busy is not None:
            busy = _busy(url, key) - busy
    stored, unique = server.stored

    accepted = len(latencies)
    ms = [x * 1000 for x in latencies]
    result = {
        "rate": args.rate,
        "duration_s": args.duration,
        "sent": sent,
        "accepted": accepted,
        "errors": len(errors),
        "achieved_rps": round(sent / elapsed, 1),
        "p50_ms": round(_percentile(ms, 0.50), 1),
        "p95_ms": round(_percentile(ms, 0.95), 1),
        "p99_ms": round(_percentile(ms, 0.99), 1),
        "max_ms": round(max(ms, default=float("nan")), 1),
        "server_cpu_ms_per_request": round(cpu_ms, 2),
        "client_cpu_ms_per_request": round(client_ms, 2),
        "stored": int(stored),
        # Accepted (202) but not in the database: lost. Stored although the client gave up waiting: not lost.
        "lost": max(0, accepted - int(unique)),
        "stored_after_client_timeout": max(0, int(unique) - accepted),
        "duplicated": int(stored) - int(unique),
        "mode": "embedded (SQLite, worker busy)" if args.embedded else "celery (PostgreSQL, no worker)",
        # Voicemails the worker finished during the run: proof it was busy, not idle, while we measured.
        "worker_finished_during_run": busy,
    }
    print(
        f"[{result['mode']}] POST /v1/voicemails at {args.rate:g}/s for {args.duration:g} s "
        f"(achieved {result['achieved_rps']}/s): "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms; {accepted} accepted, {len(errors)} errors, {result['lost']} lost, "
        f"{result['duplicated']} duplicated; "
        f"CPU per request: server {result['server_cpu_ms_per_request']} ms, "
        f"load generator {result['client_cpu_ms_per_request']} ms"
    )
    if errors:
        print("errors:", sorted(set(errors)))
    print(json.dumps(result))
    return 0 if not errors and result["lost"] == 0 and result["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
