"""Scale-out on real services: `voice serve` with the celery dispatcher, two `voice worker` processes,
Redis as the broker and PostgreSQL as the store. Every voicemail completes exactly once."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.audio import concat_clips, encode
from tests.support.http_servers import AudioServer
from tests.support.paths import VOICE
from tests.support.serve import VoiceServer, make_server
from tests.support.services import PrivatePostgres, PrivateRedis, require, temp_postgres
from tests.support.speech import clip_path, reference, wer

pytestmark = pytest.mark.e2e

CLIPS = [
    "en_arctic_a0010",
    "en_arctic_a0024",
    "en_arctic_aew_a0001",
    "en_arctic_aew_a0002",
    "en_arctic_aew_a0003",
]


@dataclass
class Cluster:
    api: VoiceServer
    workers: list[subprocess.Popen]
    logs: list[Path]
    database_url: str


BROKERS = {
    "redis": ("127.0.0.1", 6379, "Redis", "redis://127.0.0.1:6379/{db}"),
    "rabbitmq": ("127.0.0.1", 5672, "RabbitMQ", "amqp://guest:guest@127.0.0.1:5672//"),
}


@contextlib.contextmanager
def start_cluster(tmp_path: Path, broker: str = "redis", **env: str) -> Iterator[Cluster]:
    host, port, label, url = BROKERS[broker]
    require(host, port, label)
    with (
        temp_postgres("voice_celery") as database_url,
        _cluster(tmp_path, database_url, broker, url, env) as c,
    ):
        yield c


@contextlib.contextmanager
def _cluster(
    tmp_path: Path, database_url: str, broker: str, url: str, env: dict[str, str]
) -> Iterator[Cluster]:
    """api + two workers on ``database_url`` and the broker at ``url`` ("{db}": a random Redis db)."""
    redis_db = random.randint(1, 15)
    tag = uuid.uuid4().hex[:8]  # queues of our own: nothing left over from another run is delivered here
    api = make_server(
        tmp_path,
        VOICE_DISPATCH="celery",
        VOICE_DATABASE_URL=database_url,
        VOICE_CELERY__BROKER_URL=url.format(db=redis_db),
        VOICE_CELERY__QUEUE=f"voice.fresh.{tag}",
        VOICE_CELERY__REPROCESS_QUEUE=f"voice.reprocess.{tag}",
        **env,
    )
    api.start()
    workers, logs = [], []
    for i in range(2):
        log = tmp_path / f"worker{i}.log"
        with log.open("wb") as fh:
            worker_env = {**api.env, "VOICE_TRANSCRIPTION__CPU_THREADS": "1"}
            workers.append(
                subprocess.Popen(
                    [VOICE, "worker"], env=worker_env, cwd=api.data_dir, stdout=fh, stderr=subprocess.STDOUT
                )
            )
        logs.append(log)
    try:
        yield Cluster(api, workers, logs, database_url)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        api.stop()
        if broker == "redis" and "{db}" in url:
            subprocess.run(["redis-cli", "-n", str(redis_db), "FLUSHDB"], check=False, capture_output=True)


def _revisions(cluster: Cluster) -> dict[str, int]:
    engine = create_engine(cluster.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT voicemail_id, count(*) FROM transcript_revisions GROUP BY voicemail_id")
        )
        counts = {str(r[0]): int(r[1]) for r in rows}
    engine.dispose()
    return counts


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_two_workers_process_each_voicemail_once(
    broker: str, audio_server: AudioServer, tmp_path: Path
) -> None:
    for clip in CLIPS:
        encode(clip_path(clip), audio_server.root / f"celery-{clip}.wav")
    with start_cluster(tmp_path, broker) as cluster:
        ids = [
            cluster.api.post_url(
                f"{audio_server.url}/celery-{CLIPS[i % len(CLIPS)]}.wav", external_id=f"CA-{i}"
            )
            for i in range(10)
        ]
        started = time.monotonic()
        finished = [cluster.api.wait(vm_id, timeout=300) for vm_id in ids]
        elapsed = time.monotonic() - started
        done_by = [
            sum(f"voicemail {vm_id}: done" in log.read_text() for vm_id in ids) for log in cluster.logs
        ]
        revisions = _revisions(cluster)
    assert all(vm["status"] == "done" for vm in finished), [vm["status_reason"] for vm in finished]
    for vm in finished:
        statuses = [e["status"] for e in vm["history"]]
        assert statuses.count("transcribing") == 1 and statuses.count("done") == 1, statuses
    assert sorted(revisions) == sorted(ids) and set(revisions.values()) == {1}
    # Both workers took part: each logged voicemails it finished.
    assert sum(done_by) == 10 and all(n >= 1 for n in done_by), done_by
    print(f"{broker}: 10 voicemails on 2 workers in {elapsed:.1f} s, split {done_by}")


def test_kill_9_of_a_worker_mid_transcription(audio_server: AudioServer, tmp_path: Path) -> None:
    """The worker holding the voicemail dies (process and child, kill -9); the other one finishes it once."""
    clips = [
        "en_ls_198-209-0000",
        "en_ls_3436-172162-0000",
        "en_ls_5703-47212-0000",
        "en_ls_1272-141231-0002",
    ]
    long = concat_clips(clips, audio_server.root / "celery-long.wav", "-ar", "8000")
    with start_cluster(
        tmp_path,
        VOICE_WORKER__LEASE_S="4",
        VOICE_CELERY__REDISPATCH_AFTER_S="2",
        VOICE_CELERY__REDISPATCH_INTERVAL_S="1",
    ) as cluster:
        vm_id = cluster.api.post_url(f"{audio_server.url}/{long.name}")
        deadline = time.monotonic() + 120
        while cluster.api.get(vm_id)["status"] != "transcribing":
            assert time.monotonic() < deadline, cluster.api.get(vm_id)
            time.sleep(0.05)
        engine = create_engine(cluster.database_url)
        with engine.connect() as conn:
            owner = conn.execute(
                text("SELECT lease_owner FROM voicemails WHERE id = :id"), {"id": vm_id}
            ).scalar()
        engine.dispose()
        child = int(str(owner).split(":")[1])
        victim = next(p for p in cluster.workers if _is_parent_of(p.pid, child))
        os.kill(child, signal.SIGKILL)
        os.kill(victim.pid, signal.SIGKILL)
        vm = cluster.api.wait(vm_id, timeout=300)
        revisions = _revisions(cluster)
        survivor = cluster.logs[cluster.workers.index(next(p for p in cluster.workers if p is not victim))]
        finished_by_survivor = f"voicemail {vm_id}: done" in survivor.read_text()
    assert vm["status"] == "done", vm
    assert wer(" ".join(reference(c) for c in clips), vm["text"]) < 0.3
    assert revisions == {vm_id: 1}
    statuses = [e["status"] for e in vm["history"]]
    assert statuses.count("transcribing") == 2 and statuses.count("done") == 1, statuses
    assert finished_by_survivor


def _is_parent_of(parent: int, child: int) -> bool:
    try:
        stat = Path(f"/proc/{child}/stat").read_text()
    except OSError:
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == parent


def _posts_while(cluster: Cluster, url: str, seconds: float, tag: str) -> list[str]:
    """Post a voicemail every 1.5 s for ``seconds``; each must be accepted at once."""
    ids, slowest, started = [], 0.0, time.monotonic()
    while time.monotonic() - started < seconds:
        t = time.monotonic()
        ids.append(cluster.api.post_url(url, external_id=f"{tag}-{len(ids)}"))
        slowest = max(slowest, time.monotonic() - t)
        time.sleep(1.5)
    assert slowest < 1.0, f"a post took {slowest:.2f} s"
    return ids


def _assert_each_done_once(cluster: Cluster, ids: list[str], timeout: float = 300) -> None:
    finished = [cluster.api.wait(vm_id, timeout=timeout) for vm_id in ids]
    failed = [(vm["id"], vm["status"], vm["status_reason"]) for vm in finished if vm["status"] != "done"]
    assert not failed, failed
    for vm in finished:
        statuses = [e["status"] for e in vm["history"]]
        assert statuses.count("done") == 1, statuses
    revisions = _revisions(cluster)
    assert sorted(revisions) == sorted(ids) and set(revisions.values()) == {1}, revisions


def test_redis_down_for_10_s_loses_nothing(audio_server: AudioServer, tmp_path: Path) -> None:
    """The broker (a Redis of the test's own) stops for 10 s while voicemails arrive: the API accepts and
    records each at once, and every one is done once after the broker is back, including the ones whose
    messages the broker lost (it keeps nothing on disk)."""
    encode(clip_path(CLIPS[0]), audio_server.root / "fault-redis.wav")
    url = f"{audio_server.url}/fault-redis.wav"
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        with (
            temp_postgres("voice_fault") as database_url,
            _cluster(
                tmp_path,
                database_url,
                "redis",
                redis.url,
                {"VOICE_CELERY__REDISPATCH_AFTER_S": "3", "VOICE_CELERY__REDISPATCH_INTERVAL_S": "1"},
            ) as cluster,
        ):
            before = [cluster.api.post_url(url, external_id=f"before-{i}") for i in range(3)]
            redis.stop()
            during = _posts_while(cluster, url, 10, "during")
            # Accepted and recorded: the database has them, waiting for the broker.
            assert {cluster.api.get(vm_id)["status"] for vm_id in during} == {"queued"}
            redis.start()
            back = time.monotonic()
            _assert_each_done_once(cluster, before + during)
            print(f"{len(before)} before, {len(during)} during a 10 s Redis outage: all done once, "
                  f"{time.monotonic() - back:.1f} s after it came back")  # fmt: skip
    finally:
        redis.stop()


def test_postgres_restart_mid_run(audio_server: AudioServer, tmp_path: Path) -> None:
    """The database (a PostgreSQL cluster of the test's own) restarts while workers transcribe: workers
    and API reconnect, and every voicemail is done once."""
    encode(clip_path(CLIPS[1]), audio_server.root / "fault-pg.wav")
    url = f"{audio_server.url}/fault-pg.wav"
    require("127.0.0.1", 6379, "Redis")
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        with _cluster(
            tmp_path,
            pg.url,
            "redis",
            BROKERS["redis"][3],
            {"VOICE_CELERY__REDISPATCH_AFTER_S": "3", "VOICE_CELERY__REDISPATCH_INTERVAL_S": "1"},
        ) as cluster:
            first = [cluster.api.post_url(url, external_id=f"pg-{i}") for i in range(6)]
            deadline = time.monotonic() + 120
            while not any(cluster.api.get(i)["status"] in ("transcribing", "done") for i in first):
                assert time.monotonic() < deadline
                time.sleep(0.1)
            started_before = _postmaster_started(pg.url)
            pg.restart()
            restarted = _postmaster_started(pg.url)
            assert restarted > started_before  # a real restart: every open connection was cut
            # The API answers right after the restart: posts and reads, no error.
            later = [cluster.api.post_url(url, external_id=f"pg-after-{i}") for i in range(2)]
            _assert_each_done_once(cluster, first + later)
            engine = create_engine(pg.url)
            with engine.connect() as conn:
                after = conn.execute(
                    text("SELECT count(*) FROM voicemails WHERE finished_at > :t"), {"t": restarted}
                ).scalar()
            engine.dispose()
    finally:
        pg.close()
    assert after >= len(later) + 1, after  # workers finished work after the restart, not only before
    print(f"PostgreSQL restarted mid-run: {after} of {len(first) + len(later)} voicemails finished after it")


def _postmaster_started(url: str) -> datetime:
    engine = create_engine(url)
    with engine.connect() as conn:
        started = conn.execute(text("SELECT pg_postmaster_start_time()")).scalar_one()
    engine.dispose()
    return started  # type: ignore[no-any-return]


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_broker_serves_higher_triage_priority_first(broker: str, tmp_path: Path) -> None:
    """Messages waiting in a queue are taken most urgent first, on both brokers (RabbitMQ's x-max-priority
    queue, Redis's priority lists). Sent with no worker running, then one worker takes them."""
    host, port, label, url = BROKERS[broker]
    require(host, port, label)
    tag = uuid.uuid4().hex[:8]
    redis_db = random.randint(1, 15)
    env = {
        **os.environ,
        "VOICE_DISPATCH": "celery",
        "VOICE_CELERY__BROKER_URL": url.format(db=redis_db),
        "VOICE_CELERY__QUEUE": f"voice.fresh.{tag}",
        "VOICE_CELERY__REPROCESS_QUEUE": f"voice.reprocess.{tag}",
        "VOICE_DATA_DIR": str(tmp_path),
        "VOICE_LOG_LEVEL": "INFO",
    }
    priorities = {f"prio{p:02d}{uuid.uuid4().hex[:26]}": p for p in (10, 90, 50, 20, 80, 30)}
    send = (
        "import sys\nfrom voice.worker import celery_app\nfrom voice.core.config import get_settings\n"
        "s = get_settings()\n"
        "for arg in sys.argv[1:]:\n"
        "    vm_id, p = arg.split('=')\n"
        "    assert celery_app.send(s, vm_id, priority=float(p))\n"
    )
    args = [f"{vm_id}={p}" for vm_id, p in priorities.items()]
    with temp_postgres("voice_priority") as database_url:
        env["VOICE_DATABASE_URL"] = database_url
        subprocess.run([VOICE, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([sys.executable, "-c", send, *args], env=env, check=True, timeout=60)
        log = tmp_path / "worker.log"
        with log.open("wb") as fh:
            worker = subprocess.Popen([VOICE, "worker"], env=env, stdout=fh, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while sum(vm_id in log.read_text() for vm_id in priorities) < len(priorities):
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
            if broker == "redis":
                subprocess.run(["redis-cli", "-n", str(redis_db), "FLUSHDB"], capture_output=True)
    text_ = log.read_text()
    order = sorted(priorities, key=text_.index)
    assert [priorities[vm_id] for vm_id in order] == [90, 80, 50, 30, 20, 10], text_[-3000:]


def test_reprocess_runs_go_through_the_reprocessing_queue(audio_server: AudioServer, tmp_path: Path) -> None:
    """A run made by the CLI (which feeds the queue itself) and one made over the API (fed by `voice serve`)
    are both worked by the Celery workers; every voicemail gets one revision per run."""
    for clip in CLIPS[:4]:
        encode(clip_path(clip), audio_server.root / f"celery-{clip}.wav")
    with start_cluster(tmp_path, VOICE_REPROCESS__INTERVAL_S="0.5") as cluster:
        api = cluster.api
        ids = [api.post_url(f"{audio_server.url}/celery-{clip}.wav") for clip in CLIPS[:4]]
        assert all(api.wait(vm_id, timeout=300)["status"] == "done" for vm_id in ids)

        out = api.cli("reprocess", *ids, "--stage", "transcribe").stdout
        assert "4 voicemails" in out and "done: 4/4 ended (done 4, failed 0, skipped 0)" in out, out

        headers = api.headers()
        body = {"ids": ids, "stage": "summarise"}
        r = httpx.post(f"{api.url}/v1/reprocess-runs", json=body, headers=headers)
        assert r.status_code == 201, r.text
        run_id = r.json()["id"]
        deadline = time.monotonic() + 120
        while (run := httpx.get(f"{api.url}/v1/reprocess-runs/{run_id}", headers=headers).json())[
            "state"
        ] != "done" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert run["state"] == "done" and run["counts"]["done"] == 4, run
        logs = "".join(log.read_text() for log in cluster.logs)
        worked = sum(logs.count(f"voicemail {vm_id}: done") for vm_id in ids)
        revisions = _revisions(cluster)
    assert revisions == {vm_id: 3 for vm_id in ids}
    assert worked == 4 + 8  # each voicemail processed once, then once per run, all by the Celery workers
