"""Reprocess runs in the database (voice/storage/runs.py, run_items.py; claims in voice/jobs/run_items.py):
selection, throttle, window, claims, cancel, resume."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail
from voice.jobs import run_items as item_jobs
from voice.jobs.leases import owner_token
from voice.storage import run_items, runs
from voice.storage.models import ItemState, ReprocessItem, ReprocessRun, RunState, Voicemail, utcnow


def _make(sm: sessionmaker[Session], sel: runs.Selection, target: runs.Target | None = None) -> str:
    with sm() as session:
        run = runs.create_run(session, sel, target or runs.Target(), "test")
        session.commit()
        return run.id


def _states(sm: sessionmaker[Session], run_id: str) -> dict[str, int]:
    with sm() as session:
        return runs.progress(session, run_id).counts


def test_selection_filters(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        a = seed_voicemail(session, model="base", language="en", confidence=0.4, mailbox="sales")
        b = seed_voicemail(session, model="base", language="fr", confidence=0.9, mailbox="sales")
        c = seed_voicemail(session, model="tiny.en", language="en", confidence=0.8, intent="billing")
        d = seed_voicemail(session, status="failed")
        busy = seed_voicemail(session)
        session.execute(update(Voicemail).where(Voicemail.id == busy).values(status="transcribing"))
        session.commit()

        def ids(**kw: object) -> set[str]:
            one = [runs.preview(session, runs.Selection(ids=(i,), **kw)) for i in (a, b, c, d, busy)]  # type: ignore[arg-type]
            taken = {i for i, p in zip((a, b, c, d, busy), one, strict=True) if p.count}
            assert runs.preview(session, runs.Selection(**kw)).count == len(taken)  # type: ignore[arg-type]
            return taken

        assert ids() == {a, b, c, d}  # the one in flight is being processed: never taken
        assert ids(model="base") == {a, b, d}
        assert ids(language="fr", model="base") == {b}
        assert ids(confidence_below=0.85) == {a, c}
        assert ids(intent="billing") == {c}
        assert ids(mailbox="sales") == {a, b}
        assert ids(status="failed") == {d}
        assert ids(since=utcnow() + timedelta(hours=1)) == set()
        assert ids(until=utcnow() + timedelta(hours=1)) == {a, b, c, d}
        found = runs.preview(session, runs.Selection(ids=(a, busy, "nope")))
        assert found.count == 1 and found.audio_s == 3.0 and set(found.not_taken) == {busy, "nope"}


def test_run_items_are_the_selection_fixed_at_creation(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        first = [seed_voicemail(session, model="base") for _ in range(3)]
        session.commit()
    run_id = _make(sm, runs.Selection(model="base"))
    with sm() as session:
        seed_voicemail(session, model="base")  # arrives later: not in the run
        session.commit()
        run = session.get(ReprocessRun, run_id)
        assert run is not None and run.selected == 3 and run.audio_s == 9.0 and run.state == RunState.RUNNING
        items = session.scalars(select(ReprocessItem.voicemail_id).where(ReprocessItem.run_id == run_id))
        assert sorted(items) == sorted(first)
    empty = _make(sm, runs.Selection(model="nothing-like-this"))
    with sm() as session:
        assert runs.progress(session, empty).state == RunState.DONE


def test_window_and_rate_limit_what_is_released(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        for _ in range(6):
            seed_voicemail(session, model="w")
        session.commit()
    run_id = _make(sm, runs.Selection(model="w"))
    assert len(run_items.release(sm, run_id, window=4)) == 4
    assert run_items.release(sm, run_id, window=4) == []  # four out and unfinished: the window is full
    throttled = _make(sm, runs.Selection(model="w"), runs.Target(rate_per_min=30))  # one per 2 s
    assert len(run_items.release(sm, throttled, window=4)) == 1
    assert run_items.release(sm, throttled, window=4) == []
    with sm() as session:  # two seconds later (moved back in time rather than waited for)
        run = session.get(ReprocessRun, throttled)
        assert run is not None and run.next_release_at is not None
        run.next_release_at = run.next_release_at - timedelta(seconds=2)
        session.commit()
    assert len(run_items.release(sm, throttled, window=4)) == 1
    with sm() as session:  # an hour paused earns one item, not a burst of thirty
        run = session.get(ReprocessRun, throttled)
        assert run is not None and run.next_release_at is not None
        run.next_release_at = run.next_release_at - timedelta(hours=1)
        session.commit()
    assert len(run_items.release(sm, throttled, window=4)) == 1


def test_claims_are_exclusive_and_wait_for_busy_voicemails(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        a = seed_voicemail(session, model="c")
        b = seed_voicemail(session, model="c")
        session.commit()
    run_id = _make(sm, runs.Selection(model="c"))
    run_items.release(sm, run_id, window=4)
    with sm() as session:  # b is being processed fresh (an agent asked for it again): not now
        session.execute(update(Voicemail).where(Voicemail.id == b).values(status="queued"))
        session.commit()
    first = item_jobs.claim(sm, owner_token(), 60, run_id=run_id)
    assert first is not None
    assert item_jobs.claim(sm, owner_token(), 60, item_id=first) is None  # held: nobody else gets it
    assert item_jobs.claim(sm, owner_token(), 60, run_id=run_id) is None  # b is busy
    with sm() as session:
        item = session.get(ReprocessItem, first)
        assert item is not None and item.voicemail_id == a and item.state == ItemState.RUNNING
        session.execute(update(Voicemail).where(Voicemail.id == b).values(status="done"))
        # a's worker died: once its lease runs out the item can be taken over
        session.execute(
            update(ReprocessItem)
            .where(ReprocessItem.id == first)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    with sm() as session:
        b_item = session.scalar(select(ReprocessItem.id).where(ReprocessItem.voicemail_id == b))
    taken = [item_jobs.claim(sm, owner_token(), 60, run_id=run_id) for _ in range(3)]
    assert sorted(taken[:2]) == sorted([first, b_item]) and taken[2] is None


def test_end_is_compare_and_set_on_the_lease(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        seed_voicemail(session, model="e")
        session.commit()
    run_id = _make(sm, runs.Selection(model="e"))
    run_items.release(sm, run_id, window=1)
    me = owner_token()
    item = item_jobs.claim(sm, me, 60, run_id=run_id)
    assert item is not None
    with sm() as session:
        assert not item_jobs.end_owned(session, item, "someone-else", ItemState.DONE, None)
        assert item_jobs.end_owned(session, item, me, ItemState.DONE, None)
        session.commit()
    with sm() as session:
        p = runs.progress(session, run_id)
    assert p.counts["done"] == 1 and p.state == RunState.DONE and p.ended == 1


def test_cancel_stops_releasing_and_resume_carries_on(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        for _ in range(5):
            seed_voicemail(session, model="r")
        session.commit()
    run_id = _make(sm, runs.Selection(model="r"))
    run_items.release(sm, run_id, window=3)
    me = owner_token()
    held = item_jobs.claim(sm, me, 60, run_id=run_id)
    assert held is not None
    with sm() as session:
        runs.cancel(session, run_id)
        session.commit()
    counts = _states(sm, run_id)
    assert counts["running"] == 1 and counts["queued"] == 0 and counts["pending"] == 4
    assert run_items.release(sm, run_id, window=3) == []
    assert item_jobs.claim(sm, owner_token(), 60, run_id=run_id) is None
    with sm() as session:  # the one in flight finishes
        assert item_jobs.end_owned(session, held, me, ItemState.DONE, None)
        session.commit()
        with pytest.raises(runs.RunError):
            runs.cancel(session, "no-such-run")
        runs.resume(session, run_id)
        session.commit()
    assert len(run_items.release(sm, run_id, window=10)) == 4
    assert _states(sm, run_id)["done"] == 1  # nothing redone


@pytest.mark.e2e
def test_resume_takes_back_items_of_a_killed_process_at_once(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        seed_voicemail(session, model="k")
        session.commit()
    run_id = _make(sm, runs.Selection(model="k"))
    run_items.release(sm, run_id, window=1)
    # An owner token of a process of this host that has exited (its lease still has minutes to run).
    dead = subprocess.run(
        [sys.executable, "-c", "from voice.jobs.leases import owner_token; print(owner_token())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert item_jobs.claim(sm, dead, 600, run_id=run_id) is not None
    alive = owner_token()
    assert item_jobs.claim(sm, alive, 600, run_id=run_id) is None
    with sm() as session:
        runs.resume(session, run_id)
        session.commit()
    run_items.release(sm, run_id, window=1)
    assert item_jobs.claim(sm, alive, 600, run_id=run_id) is not None


def test_last_two_items_ending_at_once_finish_the_run(sm: sessionmaker[Session]) -> None:
    """Two workers end the run's last two items in overlapping transactions, each adding a revision (whose
    foreign key locks the run's row too): no deadlock, and the run ends done."""
    import threading
    import time

    from voice.storage.models import TranscriptRevision
    from voice.storage.revisions import add_revision

    with sm() as session:
        vms = [seed_voicemail(session, model="two") for _ in range(2)]
        session.commit()
    run_id = _make(sm, runs.Selection(model="two"))
    run_items.release(sm, run_id, window=2)
    owners = [owner_token(), owner_token()]
    items = [item_jobs.claim(sm, owner, 60, run_id=run_id) for owner in owners]
    assert None not in items
    errors: list[BaseException] = []
    inserted = threading.Event()

    def end(i: int) -> None:
        try:
            with sm() as session:
                rev = TranscriptRevision(engine="e", model="m", text="new", run_id=run_id)
                add_revision(session, vms[i], rev, None)
                if i == 0:  # both revisions in (PostgreSQL; SQLite makes the second wait for the first)
                    inserted.wait(1)
                else:
                    inserted.set()
                assert item_jobs.end_owned(session, items[i], owners[i], ItemState.DONE, None, rev.id)  # type: ignore[arg-type]
                time.sleep(0.3 if i == 0 else 0)  # still uncommitted while the other one ends
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=end, args=(i,)) for i in (0, 1)]
    threads[0].start()
    time.sleep(0.1)
    threads[1].start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    with sm() as session:
        p = runs.progress(session, run_id)
    assert p.counts["done"] == 2 and p.state == RunState.DONE


def test_rates_out_of_bounds(sm: sessionmaker[Session]) -> None:
    for rate in (0.0, 1e-300, 1e9):
        with pytest.raises(runs.RunError, match="between 0.01 and 100000"):
            runs.Target(rate_per_min=rate).check(llm_configured=False)
    with sm() as session:
        seed_voicemail(session, model="slow")
        session.commit()
    # A rate stored without the check (an older release, a hand edit) must not break the pump.
    run_id = _make(sm, runs.Selection(model="slow"), runs.Target(rate_per_min=1e-300))
    assert len(run_items.release(sm, run_id, window=4)) == 1
    assert run_items.release(sm, run_id, window=4) == []
