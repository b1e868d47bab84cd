"""Callback tracking and reassignment on a real database (SQLite and PostgreSQL): attempts and outcomes in the
history, reached or closed marks handled, the time of the first attempt; outbound calls reported by number
matched to the open voicemails of that caller, once per call id; and the reassignment sweep: the next
available member (round robin), the lead when nobody is, once per deadline, at most max_reassignments,
exactly once with two sweepers running at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail

PASSWORD = "correct horse battery"


def _team(session: Session) -> None:
    from voice.storage import teams, users

    for name in ("alice", "bob", "carol", "lena"):
        users.create_user(session, name, PASSWORD, "agent")
    teams.create_team(session, "billing", ["accounts"], callback_hours=4)
    for name in ("alice", "bob", "carol", "lena"):
        teams.add_member(session, "billing", username=name)
    teams.set_available(session, "billing", "carol", False)
    teams.set_available(session, "billing", "lena", False)
    teams.set_lead(session, "billing", "lena", True)


def _voicemail(session: Session, hours_ago: float, assignee: str = "alice", **kw: object) -> str:
    from voice.storage.models import Voicemail, utcnow

    vm_id = seed_voicemail(session, mailbox="accounts", **kw)  # type: ignore[arg-type]
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.agent_state, vm.assignee = "new", assignee
    vm.created_at = utcnow() - timedelta(hours=hours_ago)
    session.commit()
    return vm_id


def _told(session: Session, vm_ids: list[str]) -> None:
    """A channel routing named for these voicemails (the new assignee is told through it)."""
    from voice.storage.models import NotificationChannel, Voicemail

    if session.scalar(select(NotificationChannel).where(NotificationChannel.name == "ops")) is None:
        session.add(NotificationChannel(name="ops", kind="webhook", config={}))
    for vm_id in vm_ids:
        session.get(Voicemail, vm_id).routing = {"notify": ["ops"]}  # type: ignore[union-attr]
    session.commit()


def _events(session: Session) -> list[tuple[str, str]]:
    from voice.storage.models import Notification

    return sorted(
        (r[0], r[1]) for r in session.execute(select(Notification.voicemail_id, Notification.event))
    )


def _history(session: Session, vm_id: str) -> list[str]:
    from voice.storage.models import VoicemailEvent

    rows = session.scalars(
        select(VoicemailEvent.detail).where(VoicemailEvent.voicemail_id == vm_id).order_by(VoicemailEvent.id)
    )
    return [r or "" for r in rows]


def test_attempts_outcomes_and_time_to_first_callback(sm: sessionmaker[Session]) -> None:
    from voice.storage.models import Voicemail
    from voice.usecases import callbacks

    with sm() as session:
        _team(session)
        vm_id = _voicemail(session, 1.0, from_number="+12125550134")
        vm = session.get(Voicemail, vm_id)
        assert vm is not None and vm.first_callback_at is None
        alice = callbacks.Caller("alice")
        first = callbacks.record_attempt(session, vm, alice, "agent")
        session.commit()
        assert first.outcome is None and first.number == "+12125550134"
        assert vm.first_callback_at is not None and vm.agent_state == "new"
        ttfc = callbacks.time_to_first_callback_s(vm)
        assert ttfc is not None and 3500 < ttfc < 3700  # an hour after it arrived
        # no answer: still open; the pending one is gone once it has its outcome
        assert callbacks.pending(session, vm_id) is not None
        callbacks.record_outcome(session, vm, first.id, alice, "no_answer", note="rang out")
        session.commit()
        assert callbacks.pending(session, vm_id) is None and vm.agent_state == "new"
        with pytest.raises(callbacks.OutcomeRecorded):
            callbacks.record_outcome(session, vm, first.id, alice, "reached")
        with pytest.raises(callbacks.AttemptNotFound):
            callbacks.record_outcome(session, vm, first.id + 1000, alice, "reached")
        with pytest.raises(callbacks.CallbackError):
            callbacks.record_attempt(session, vm, alice, "agent", outcome="maybe")
        second = callbacks.record_attempt(session, vm, callbacks.Caller("bob"), "api", outcome="reached")
        session.commit()
        assert vm.agent_state == "handled"
        # the first attempt's time stays the first
        assert callbacks.time_to_first_callback_s(vm) == ttfc
        assert [a.id for a in callbacks.attempts(session, vm_id)] == [first.id, second.id]
        lines = _history(session, vm_id)[-5:]
        assert lines == [
            f"callback #{first.id} by alice to +12125550134",
            f"callback #{first.id} by alice: no answer (rang out)",
            f"callback #{second.id} by bob to +12125550134",
            f"callback #{second.id} by bob: reached",
            "bob: marked handled",
        ]
        # an explicit close marks handled whatever the outcome
        other = _voicemail(session, 1.0)
        vm2 = session.get(Voicemail, other)
        assert vm2 is not None
        callbacks.record_attempt(session, vm2, alice, "agent", outcome="left_message", close=True)
        session.commit()
        assert vm2.agent_state == "handled"


def test_outbound_calls_match_open_voicemails_of_the_number_once(sm: sessionmaker[Session]) -> None:
    from voice.storage import access
    from voice.storage.models import CallbackAttempt, Summary, TranscriptRevision, Voicemail
    from voice.usecases import callbacks

    assert callbacks.outcome_for("completed", 95, 20) == "reached"
    assert callbacks.outcome_for("completed", 5, 20) == "no_answer"
    assert callbacks.outcome_for("busy", None, 20) == "no_answer"
    assert callbacks.outcome_for("ringing", None, 20) is None
    with sm() as session:
        _team(session)
        by_id = _voicemail(session, 2.0, from_number="+12125550134")
        said = _voicemail(session, 1.0, from_number="+447700900123")  # said the number in the message
        rev = session.scalar(select(Voicemail.current_revision_id).where(Voicemail.id == said))
        summary = session.scalar(select(Summary).join(TranscriptRevision).where(TranscriptRevision.id == rev))
        assert summary is not None
        summary.callback_number = "+12125550134"
        handled = _voicemail(session, 1.0, from_number="+12125550134")
        session.get(Voicemail, handled).agent_state = "handled"  # type: ignore[union-attr]
        stranger = _voicemail(session, 1.0, from_number="+12125550199")
        session.commit()

        call = callbacks.OutboundCall("twilio", "CA1", "(212) 555-0134", "completed", 95.0)
        ringing = callbacks.OutboundCall("twilio", "CA1", "(212) 555-0134", "ringing")
        assert callbacks.report_outbound(session, ringing, access.EVERYTHING, 20).final is False
        done = callbacks.report_outbound(session, call, access.EVERYTHING, 20)
        session.commit()
        assert not done.replayed
        assert sorted(a.voicemail_id for a in done.attempts) == sorted([by_id, said])
        assert {a.outcome for a in done.attempts} == {"reached"}
        for vm_id in (by_id, said):
            assert session.get(Voicemail, vm_id).agent_state == "handled"  # type: ignore[union-attr]
        # Twilio retries the callback: nothing new
        again = callbacks.report_outbound(session, call, access.EVERYTHING, 20)
        session.commit()
        assert again.replayed and len(again.attempts) == 2
        assert session.scalar(select(func.count()).select_from(CallbackAttempt)) == 2
        assert session.get(Voicemail, stranger).first_callback_at is None  # type: ignore[union-attr]
        # the same call id from another source is another call
        assert not callbacks.report_outbound(
            session, callbacks.OutboundCall("upstream", "CA1", "+12125550199", "busy"), access.EVERYTHING, 20
        ).replayed
        with pytest.raises(callbacks.CallbackError):
            callbacks.report_outbound(
                session, callbacks.OutboundCall("upstream", "x", "anonymous", "busy"), access.EVERYTHING, 20
            )


def test_reassignment_round_robin_lead_once_per_deadline_and_capped(sm: sessionmaker[Session]) -> None:
    from voice.core.config import Settings
    from voice.storage.models import TeamMember, User, Voicemail, utcnow
    from voice.usecases import callbacks
    from voice.usecases.reassign import reassign_overdue

    settings = Settings(sla={"max_reassignments": 2})
    with sm() as session:
        _team(session)
        late = _voicemail(session, 5.0)
        called = _voicemail(session, 5.0)
        fresh = _voicemail(session, 1.0)
        unassigned = _voicemail(session, 5.0, assignee=None)  # type: ignore[arg-type]
        vm = session.get(Voicemail, called)
        assert vm is not None
        callbacks.record_attempt(session, vm, callbacks.Caller("alice"), "agent", outcome="no_answer")
        session.commit()
        _told(session, [late, called])
    now = utcnow()
    moved = reassign_overdue(sm, settings, now)
    assert [(m.voicemail_id, m.old, m.new) for m in moved] == [(late, "alice", "bob")]
    assert moved[0].detail == "reassigned from alice to bob (next available member): no callback within 4 h"
    assert reassign_overdue(sm, settings, now + timedelta(hours=2)) == []  # once per deadline
    with sm() as session:
        assert _events(session) == [(late, "voicemail.reassigned.1")]  # told once, through its channel
        assert _history(session, late)[-1] == moved[0].detail
        for vm_id in (called, fresh, unassigned):
            assert session.get(Voicemail, vm_id).escalations == 0  # type: ignore[union-attr]
        # bob goes away too: the lead gets it, available or not
        session.execute(
            TeamMember.__table__.update()
            .where(TeamMember.user_id.in_(select(User.id).where(User.username.in_(["bob", "alice"]))))
            .values(available=False)
        )
        session.commit()
    later = now + timedelta(hours=4, minutes=1)  # the next deadline: since the reassignment
    second = {m.voicemail_id: m for m in reassign_overdue(sm, settings, later)}
    assert (second[late].old, second[late].new) == ("bob", "lena")
    assert (second[fresh].old, second[fresh].new) == ("alice", "lena")  # its first deadline
    assert "team lead, nobody else available" in second[late].detail
    with sm() as session:
        assert _events(session) == [(late, "voicemail.reassigned.1"), (late, "voicemail.reassigned.2")]
    # two reassignments at most: `late` stays with the lead; `fresh` is the lead's, and nobody else is there
    third = reassign_overdue(sm, settings, now + timedelta(hours=20))
    assert [(m.voicemail_id, m.new) for m in third] == [(fresh, None)]
    assert third[0].detail == "not reassigned: no callback within 4 h, and nobody else in billing to take it"
    assert reassign_overdue(sm, settings, now + timedelta(hours=40)) == []
    with sm() as session:
        vm = session.get(Voicemail, late)
        assert vm is not None and (vm.assignee, vm.escalations) == ("lena", 2)


@pytest.mark.parametrize("lease", [True, False], ids=["sweep-lease", "compare-and-set"])
def test_two_sweepers_at_once_reassign_each_voicemail_exactly_once(
    sm: sessionmaker[Session], lease: bool
) -> None:
    """Two sweepers start at the same moment (threads with a barrier): through the sweep's lease (as the
    app runs it) and, without it, by the compare-and-set alone; every voicemail is moved once."""
    from voice.core.config import Settings
    from voice.jobs.sweeps import Sweep, Sweeper
    from voice.storage.models import Voicemail, VoicemailEvent, utcnow
    from voice.usecases.reassign import reassign_overdue

    settings = Settings(sla={"max_reassignments": 1})
    with sm() as session:
        _team(session)
        ids = [_voicemail(session, 5.0) for _ in range(6)]
        _told(session, ids)
    now = utcnow()
    barrier = threading.Barrier(2)
    results: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        def sweep() -> None:
            results[i] += [m.voicemail_id for m in reassign_overdue(sm, settings, now)]

        try:
            sweeper = Sweeper(sm, [Sweep("reassign", 30.0, sweep)])
            if lease:
                sweeper.run_due(now)  # the rows, first due an interval later
            barrier.wait()
            if lease:
                sweeper.run_due(now + timedelta(seconds=31))
            else:
                sweep()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(results[0] + results[1]) == sorted(ids)  # each once, by one sweeper or the other
    with sm() as session:
        moved = session.scalars(
            select(VoicemailEvent.voicemail_id).where(VoicemailEvent.detail.like("reassigned from%"))
        ).all()
        assert sorted(moved) == sorted(ids)
        assert {session.get(Voicemail, i).escalations for i in ids} == {1}  # type: ignore[union-attr]
        assert _events(session) == sorted((i, "voicemail.reassigned.1") for i in ids)  # one notification each
