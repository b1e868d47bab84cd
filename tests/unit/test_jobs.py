"""The job mechanism's rules (voice/jobs), in milliseconds: leases, re-entry, release, retry delays, give-up,
410 stops a webhook, per-key caps, and sweeps that run once per interval. Real SQLite, no speech, no
server; time moves by passing ``now``."""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail
from voice.core.config import FetchSettings, Settings, WebhookSettings
from voice.integrations import webhooks
from voice.jobs import claiming
from voice.jobs import run_items as item_jobs
from voice.jobs import voicemails as voicemail_jobs
from voice.jobs.kinds import RUN_ITEM, SWEEP, VOICEMAIL, webhook_kind
from voice.jobs.policy import RetryPolicy
from voice.jobs.sweeps import Sweep, Sweeper
from voice.storage import db, run_items, runs
from voice.storage.models import (
    ApiKey,
    CallRecord,
    ItemState,
    ReprocessItem,
    RunState,
    Voicemail,
    WebhookAttempt,
    WebhookDelivery,
    new_id,
    utcnow,
)
from voice.storage.models import Sweep as SweepRow

HOOKS = WebhookSettings(backoff_s=5.0, max_backoff_s=60.0, max_age_s=3600.0)
KIND = webhook_kind(HOOKS)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per module and copied for each test."""
    path = tmp_path_factory.mktemp("jobs") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sm(template: Path, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    path = tmp_path / "voice.db"
    shutil.copy(template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    yield db.make_sessionmaker(engine)
    engine.dispose()


def _key(session: Session, name: str = "crm", webhook_url: str | None = None) -> str:
    key = ApiKey(
        webhook_url=webhook_url,
        name=name,
        role="ingest",
        prefix=new_id()[:20],
        secret_hash="x",
        webhook_secret="whsec_" + "A" * 32,
    )
    session.add(key)
    session.flush()
    return key.id


def _deliveries(
    sm: sessionmaker[Session], n: int = 1, url: str = "http://127.0.0.1:9/hook", key: str | None = None
) -> list[str]:
    """Pending deliveries of one done voicemail each, oldest first (one API key unless given)."""
    ids = []
    with sm() as session:
        key = key or _key(session)
        for i in range(n):
            call = CallRecord()
            session.add(call)
            session.flush()
            vm = Voicemail(call_id=call.id, status="done", api_key_id=key)
            session.add(vm)
            session.flush()
            d = WebhookDelivery(
                voicemail_id=vm.id,
                api_key_id=key,
                event="voicemail.done",
                url=url,
                payload='{"type":"voicemail.done"}',
                next_attempt_at=utcnow() - timedelta(seconds=10 - i),
            )
            session.add(d)
            session.flush()
            ids.append(d.id)
        session.commit()
    return ids


def _row(sm: sessionmaker[Session], delivery_id: str) -> WebhookDelivery:
    with sm() as session:
        row = session.get(WebhookDelivery, delivery_id)
        assert row is not None
        return row


# --- leases ------------------------------------------------------------------------------------------------


def test_a_claimed_job_is_held_until_its_lease_runs_out(sm: sessionmaker[Session]) -> None:
    (job,) = _deliveries(sm)
    now = utcnow()
    first = claiming.claim(sm, KIND, job, "a", 60, now=now)
    assert first is not None and first.attempts == 1
    assert claiming.claim(sm, KIND, job, "b", 60, now=now + timedelta(seconds=59)) is None
    assert claiming.claim_next(sm, KIND, "b", 60, now=now + timedelta(seconds=59)) is None
    left = claiming.held_for(sm, KIND, job, now=now)
    assert left is not None and 59 < left <= 60
    # a's process died: past the lease another owner takes it, and that is a second attempt.
    taken = claiming.claim_next(sm, KIND, "b", 60, now=now + timedelta(seconds=61))
    assert taken is not None and (taken.id, taken.owner, taken.attempts) == (job, "b", 2)


def test_only_the_holder_renews_writes_and_ends(sm: sessionmaker[Session]) -> None:
    (job,) = _deliveries(sm)
    now = utcnow()
    assert claiming.claim(sm, KIND, job, "a", 60, now=now)
    assert claiming.renew(sm, KIND, job, "a", 60, now=now + timedelta(seconds=30))
    assert (
        claiming.claim(sm, KIND, job, "b", 60, now=now + timedelta(seconds=61)) is None
    )  # renewed: still a's
    assert claiming.claim(sm, KIND, job, "b", 60, now=now + timedelta(seconds=91))  # now it ran out
    assert not claiming.renew(sm, KIND, job, "a", 60)
    with sm() as session:
        assert not claiming.write_held(session, KIND, job, "a", last_error="late")
        assert not claiming.end(session, KIND, job, "a", state=WebhookDelivery.DELIVERED)
        with pytest.raises(claiming.LeaseLost):
            claiming.fail(session, KIND, job, "a")
        assert claiming.end(session, KIND, job, "b", state=WebhookDelivery.DELIVERED)
        session.commit()
    assert _row(sm, job).state == WebhookDelivery.DELIVERED and _row(sm, job).lease_owner is None
    assert claiming.held_for(sm, KIND, job) is None


def test_the_holder_takes_its_own_lease_back_without_an_attempt(sm: sessionmaker[Session]) -> None:
    """A Celery retry after a database fault carries its owner: it does not wait out its own lease (what
    made test_postgres_restart_mid_run wait 120 s), and the fault is not counted as an interruption."""
    (job,) = _deliveries(sm)
    assert claiming.claim(sm, KIND, job, "a", 120)
    assert claiming.claim(sm, KIND, job, "b", 120, reenter=True) is None  # not b's lease
    again = claiming.claim(sm, KIND, job, "a", 120, reenter=True)
    assert again is not None and again.attempts == 1
    assert claiming.claim_next(sm, KIND, "a", 120) is None  # never by claim_next: a may be working it


def test_a_released_job_is_claimable_after_its_delay(sm: sessionmaker[Session]) -> None:
    a, b = _deliveries(sm, 2)
    now = utcnow()
    assert claiming.claim(sm, KIND, a, "w", 60, now=now)
    assert claiming.release(sm, KIND, a, "w", refund=True, now=now)
    assert _row(sm, a).attempts == 0 and _row(sm, a).lease_owner is None
    assert claiming.claim(sm, KIND, a, "x", 60, now=now)
    assert claiming.claim(sm, KIND, b, "w", 60, now=now)
    assert not claiming.release(sm, KIND, b, "x", now=now)  # not x's to give
    assert claiming.release(sm, KIND, b, "w", delay_s=30, now=now)
    assert _row(sm, b).attempts == 1
    assert claiming.claim(sm, KIND, b, "y", 60, now=now + timedelta(seconds=29)) is None
    assert claiming.claim(sm, KIND, b, "y", 60, now=now + timedelta(seconds=31))


def test_too_many_claims_give_the_job_up(sm: sessionmaker[Session]) -> None:
    kind = dataclasses.replace(KIND, policy=RetryPolicy(max_attempts=3))
    (job,) = _deliveries(sm)
    now = utcnow()
    for i in range(3):  # three workers die holding it
        assert claiming.claim(sm, kind, job, f"w{i}", 60, now=now + timedelta(seconds=61 * i))
    assert claiming.claim(sm, kind, job, "w3", 60, now=now + timedelta(seconds=61 * 3)) is None
    row = _row(sm, job)
    assert row.state == WebhookDelivery.GAVE_UP and row.lease_owner is None and row.attempts == 4
    assert row.last_error == "processing was interrupted 3 times; giving up on it"
    assert claiming.claim_next(sm, kind, "w4", 60, now=now + timedelta(days=1)) is None


# --- retries -----------------------------------------------------------------------------------------------


def test_retry_delays_double_with_jitter_up_to_a_cap() -> None:
    policy = RetryPolicy(backoff_s=5.0, max_backoff_s=60.0, jitter=0.2)
    assert [policy.delay(n, rand=0.5) for n in range(1, 7)] == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert policy.delay(1, rand=0.0) == pytest.approx(4.0) and policy.delay(
        1, rand=0.999999
    ) == pytest.approx(6.0)
    assert RetryPolicy().delay(3) == 0.0  # no backoff: at once
    assert RetryPolicy(max_attempts=3).exhausted(4) and not RetryPolicy(max_attempts=3).exhausted(3)
    assert not RetryPolicy().exhausted(10**6)


def test_a_failed_job_waits_for_its_retry_time(sm: sessionmaker[Session]) -> None:
    (job,) = _deliveries(sm)
    now = utcnow()
    assert claiming.claim(sm, KIND, job, "w", 60, now=now)
    with sm() as session:
        at = claiming.fail(session, KIND, job, "w", now=now, rand=0.5)
        session.commit()
    assert at == now + timedelta(seconds=5)
    row = _row(sm, job)
    assert row.state == WebhookDelivery.PENDING and row.lease_owner is None
    assert claiming.claim_next(sm, KIND, "x", 60, now=now + timedelta(seconds=4.9)) is None
    second = claiming.claim_next(sm, KIND, "x", 60, now=now + timedelta(seconds=5))
    assert second is not None and second.attempts == 2
    with sm() as session:  # the second failure waits twice as long, within the jitter
        at = claiming.fail(session, KIND, job, "x", now=now)
        session.commit()
    assert at is not None and 8.0 <= (at - now).total_seconds() <= 12.0


def test_a_job_whose_retry_would_be_too_old_is_given_up(sm: sessionmaker[Session]) -> None:
    (job,) = _deliveries(sm)
    with sm() as session:
        made = utcnow() - timedelta(seconds=HOOKS.max_age_s - 3)  # the next retry (4-6 s) falls past max age
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == job).values(created_at=made))
        session.commit()
    assert claiming.claim(sm, KIND, job, "w", 60)
    with sm() as session:
        assert claiming.fail(session, KIND, job, "w") is None
        session.commit()
    assert _row(sm, job).state == WebhookDelivery.GAVE_UP
    assert claiming.claim_next(sm, KIND, "x", 60, now=utcnow() + timedelta(days=2)) is None


@contextlib.contextmanager
def _receiver(status: int) -> Iterator[tuple[str, list[int]]]:
    """A loopback receiver answering ``status`` to every POST; yields its URL and the statuses it sent."""
    sent: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            sent.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", sent
    finally:
        server.shutdown()
        server.server_close()


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        fetch=FetchSettings(allow_networks=[ip_network("127.0.0.0/8")]),
        webhooks=HOOKS,
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [(410, WebhookDelivery.GAVE_UP), (500, WebhookDelivery.PENDING), (204, WebhookDelivery.DELIVERED)],
)
def test_410_stops_a_webhook_500_retries_it_2xx_delivers_it(
    sm: sessionmaker[Session], tmp_path: Path, status: int, state: str
) -> None:
    settings = _settings(tmp_path)
    with _receiver(status) as (url, sent):
        (job,) = _deliveries(sm, url=url)
        claimed = webhooks.claim_due(sm, settings)
        assert claimed is not None and claimed.id == job
        result = webhooks.deliver_one(sm, claimed, settings)
        assert result is not None and result.status_code == status
        # Whatever came of it, nothing is due right now: delivered, given up, or waiting out its backoff.
        assert webhooks.claim_due(sm, settings) is None
    assert sent == [status]
    row = _row(sm, job)
    assert (row.state, row.last_status_code, row.lease_owner) == (state, status, None)
    with sm() as session:
        attempts = session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == job)).all()
    assert [a.status_code for a in attempts] == [status]
    if status == 410:  # never again, however long we wait
        assert claiming.claim_next(sm, KIND, "x", 60, now=utcnow() + timedelta(days=2)) is None


def test_a_delivery_whose_key_was_deleted_is_given_up(sm: sessionmaker[Session], tmp_path: Path) -> None:
    (job,) = _deliveries(sm)
    with sm() as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == job).values(api_key_id=None))
        session.commit()
    settings = _settings(tmp_path)
    claimed = webhooks.claim_due(sm, settings)
    assert claimed is not None and webhooks.deliver_one(sm, claimed, settings) is None
    row = _row(sm, job)
    assert row.state == WebhookDelivery.GAVE_UP and "deleted" in (row.last_error or "")


# --- groups ------------------------------------------------------------------------------------------------


def test_a_key_at_its_cap_is_skipped_and_fair_claiming_takes_turns(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        x, y = _key(session, "x"), _key(session, "y")
        session.commit()
    xs = _deliveries(sm, 3, key=x)
    (ys,) = _deliveries(sm, 1, key=y)
    now = utcnow()
    with sm() as session:  # y's is the newest
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == ys).values(next_attempt_at=now))
        session.commit()
    first = claiming.claim_next(sm, KIND, "w", 60, skip_groups=frozenset({x}), now=now)
    assert first is not None and (first.id, first.group) == (ys, y)
    assert claiming.release(sm, KIND, ys, "w", refund=True, now=now - timedelta(seconds=1))
    # Fair: this process served y last, so x's oldest goes first; then x holds one, so y's goes next
    # although x's are older.
    held = claiming.claim_next(sm, KIND, "w1", 60, fair=True, now=now)
    assert held is not None and held.id == xs[0]
    second = claiming.claim_next(sm, KIND, "w2", 60, fair=True, now=now)
    assert second is not None and second.id == ys


# --- voicemails ---------------------------------------------------------------------------------------------


def _voicemail(sm: sessionmaker[Session], webhook_url: str | None = None) -> str:
    with sm() as session:
        key = _key(session, webhook_url=webhook_url)
        call = CallRecord()
        session.add(call)
        session.flush()
        vm = Voicemail(call_id=call.id, status="queued", api_key_id=key, audio_url="https://a.example/x")
        session.add(vm)
        session.commit()
        return vm.id


def test_a_voicemail_interrupted_three_times_fails_with_its_webhook(sm: sessionmaker[Session]) -> None:
    vm_id = _voicemail(sm, webhook_url="https://crm.example/hook")
    now = utcnow()
    for i in range(3):  # each worker dies mid-way (kill -9): its lease runs out
        assert claiming.claim(sm, VOICEMAIL, vm_id, f"w{i}", 60, now=now + timedelta(seconds=61 * i))
    assert claiming.claim(sm, VOICEMAIL, vm_id, "w3", 60, now=now + timedelta(seconds=61 * 3)) is None
    with sm() as session:
        vm = session.get(Voicemail, vm_id)
        assert vm is not None and vm.status == "failed" and vm.lease_owner is None
        assert vm.status_reason == "processing was interrupted 3 times; giving up on this voicemail"
        sent = session.scalars(select(WebhookDelivery).where(WebhookDelivery.voicemail_id == vm_id)).all()
    assert [d.event for d in sent] == ["voicemail.failed"]


def test_a_claimed_voicemail_is_held_before_it_moves(sm: sessionmaker[Session]) -> None:
    """Claimed but still queued (its worker died before fetching): held until the lease runs out, so a
    redelivered task waits for it instead of dropping it; then the sweeper sees it orphaned."""
    vm_id = _voicemail(sm)
    now = utcnow()
    assert voicemail_jobs.claim_next(sm, "w", 120) == vm_id
    left = claiming.held_for(sm, VOICEMAIL, vm_id)
    assert left is not None and left > 100
    assert claiming.stale(sm, VOICEMAIL, 0, now=now).waiting == []
    later = claiming.stale(sm, VOICEMAIL, 0, now=now + timedelta(seconds=121))
    assert later.orphaned == [vm_id] and later.waiting == []
    claiming.mark_dispatched(sm, VOICEMAIL, [vm_id], now=now + timedelta(seconds=121))
    assert claiming.stale(sm, VOICEMAIL, 60, now=now + timedelta(seconds=150)).orphaned == []  # sent lately


def test_only_the_holder_moves_and_finishes_a_voicemail(sm: sessionmaker[Session]) -> None:
    vm_id = _voicemail(sm)
    assert claiming.claim(sm, VOICEMAIL, vm_id, "a", 60)
    voicemail_jobs.advance(sm, vm_id, "a", "fetching")
    with pytest.raises(claiming.LeaseLost):
        voicemail_jobs.advance(sm, vm_id, "b", "transcribing")
    with pytest.raises(claiming.LeaseLost):
        voicemail_jobs.finish(sm, vm_id, "b", "failed", "not b's")
    voicemail_jobs.finish(sm, vm_id, "a", "failed", "the audio URL answered 404")
    with sm() as session:
        vm = session.get(Voicemail, vm_id)
        assert vm is not None and (vm.status, vm.lease_owner, vm.attempts) == ("failed", None, 1)


def test_a_worker_takes_back_what_a_database_fault_interrupted(
    sm: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded worker and a Celery retry carry on under their own lease after a database fault,
    instead of waiting it out (120 s by default), and the fault is not an attempt."""
    from sqlalchemy.exc import OperationalError

    from voice.worker import local

    vm_id = _voicemail(sm)
    calls: list[tuple[str, str]] = []

    def database_restarts_once(settings: Settings, sm_: object, vm: str, owner: str) -> str:
        calls.append((vm, owner))
        if len(calls) == 1:
            raise OperationalError("UPDATE voicemails", {}, Exception("the database is restarting"))
        return "done"

    monkeypatch.setattr(local, "run_claimed", database_restarts_once)
    settings = Settings(data_dir=tmp_path)
    worker = local.Worker(settings, sm)
    with pytest.raises(OperationalError):
        worker.run_once()
    assert worker.run_once()
    assert [c[0] for c in calls] == [vm_id, vm_id] and calls[0][1] == calls[1][1]  # the same owner
    with sm() as session:
        assert session.scalar(select(Voicemail.attempts).where(Voicemail.id == vm_id)) == 1
    # A Celery retry carries its owner the same way; a copy without it waits for the lease.
    other = _voicemail(sm)
    assert claiming.claim(sm, VOICEMAIL, other, "task-1", 120)
    with pytest.raises(local.HeldElsewhere):
        local.work_on(settings, sm, other, "task-2")
    assert local.work_on(settings, sm, other, "task-1", reenter=True) == "done"


# --- run items -------------------------------------------------------------------------------------------


def test_a_run_item_interrupted_three_times_fails_and_ends_its_run(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        seed_voicemail(session, model="jobs")
        run = runs.create_run(session, runs.Selection(model="jobs"), runs.Target(), "test")
        session.commit()
        run_id = run.id
    assert len(run_items.release(sm, run_id, window=1)) == 1
    now = utcnow()
    taken = [
        claiming.claim_next(sm, RUN_ITEM, f"w{i}", 60, now=now + timedelta(seconds=61 * i)) for i in range(3)
    ]
    assert None not in taken and len({t.id for t in taken if t}) == 1
    item_id = taken[0].id if taken[0] else None
    assert item_jobs.claim(sm, "w3", 60, run_id=run_id) is None  # its lease is live still
    assert claiming.claim(sm, RUN_ITEM, item_id, "w3", 60, now=now + timedelta(seconds=61 * 3)) is None
    with sm() as session:
        item = session.get(ReprocessItem, item_id)
        assert item is not None and (item.state, item.lease_owner) == (ItemState.FAILED, None)
        assert item.reason == "processing was interrupted 3 times; giving up on it"
        assert runs.progress(session, run_id).state == RunState.DONE


# --- sweeps ------------------------------------------------------------------------------------------------


def test_a_sweep_runs_once_per_interval_however_many_processes_host_it(sm: sessionmaker[Session]) -> None:
    runs: list[str] = []
    a = Sweeper(sm, [Sweep("sla", 30.0, lambda: runs.append("a"))])
    b = Sweeper(sm, [Sweep("sla", 30.0, lambda: runs.append("b"))])
    start = utcnow()
    assert a.run_due(now=start) == [] and b.run_due(now=start) == []  # first due one interval on
    later = start + timedelta(seconds=31)
    assert a.run_due(now=later) == ["sla"]
    assert b.run_due(now=later) == []  # a ran it this interval
    assert a.run_due(now=later + timedelta(seconds=29)) == []
    assert b.run_due(now=later + timedelta(seconds=31)) == ["sla"]
    assert runs == ["a", "b"]


def test_a_sweep_whose_runner_died_is_taken_over(sm: sessionmaker[Session]) -> None:
    runs: list[str] = []
    sweeper = Sweeper(sm, [Sweep("retention", 10.0, lambda: runs.append("ran"), lease_s=60.0)])
    start = utcnow()
    sweeper.run_due(now=start)
    due = start + timedelta(seconds=11)
    assert claiming.claim(sm, SWEEP, "retention", "died", 60.0, now=due)  # a process that was then killed
    assert sweeper.run_due(now=due + timedelta(seconds=30)) == []  # its lease still runs
    assert sweeper.run_due(now=due + timedelta(seconds=61)) == ["retention"]
    assert runs == ["ran"]


def test_a_failing_sweep_is_recorded_and_runs_again_next_interval(sm: sessionmaker[Session]) -> None:
    calls: list[datetime] = []

    def broken() -> None:
        calls.append(utcnow())
        raise RuntimeError("broker down")

    sweeper = Sweeper(sm, [Sweep("redispatch", 5.0, broken)])
    start = utcnow()
    sweeper.run_due(now=start)
    assert sweeper.run_due(now=start + timedelta(seconds=6)) == ["redispatch"]
    with sm() as session:
        row = session.get(SweepRow, "redispatch")
        assert row is not None and row.last_error == "RuntimeError: broker down" and row.lease_owner is None
    assert sweeper.run_due(now=start + timedelta(seconds=10)) == []
    assert sweeper.run_due(now=start + timedelta(seconds=12)) == ["redispatch"]
    assert len(calls) == 2
