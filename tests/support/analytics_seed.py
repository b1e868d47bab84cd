"""The dashboard's seeded set (tests/unit/test_analytics.py says what it holds and the figures worked out by
hand; tests/api/test_analytics_api.py reads it through the API and the dashboard page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.seed import seed_voicemail

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
NOW = datetime(2026, 11, 20, tzinfo=UTC)  # every deadline has passed
PASSWORD = "correct horse battery"


def _vm(session: Session, mailbox: str, at: datetime, intent: str, number: str, **kw: object) -> str:
    from voice.storage.models import Summary, Voicemail

    vm_id = seed_voicemail(session, mailbox=mailbox, intent=intent, from_number=number, **kw)  # type: ignore[arg-type]
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.created_at, vm.agent_state = at, "new"
    if intent == "spam_robocall":
        summary = session.scalar(select(Summary).where(Summary.revision_id == vm.current_revision_id))
        assert summary is not None
        summary.flags = ["spam"]
    return vm_id


def _attempt(session: Session, vm_id: str, who: str, at: datetime, outcome: str | None) -> None:
    from voice.storage.models import CallbackAttempt

    session.add(CallbackAttempt(voicemail_id=vm_id, who=who, source="agent", started_at=at, outcome=outcome))


def _billing(session: Session, i: int) -> None:
    from voice.storage.models import Voicemail

    at = START + timedelta(days=i % 14, hours=9, minutes=30 * (i // 14))
    intent = "spam_robocall" if i % 7 == 0 else "billing" if i % 7 == 1 else "other"
    number = f"+1212555{i % 10:04d}" if i < 30 else f"+1313555{i:04d}"
    status = "no_speech" if i >= 100 and i % 4 == 0 else "done"
    vm_id = _vm(session, "accounts", at, intent, number, status=status)
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    if i < 20:
        vm.first_callback_at = at + timedelta(minutes=15 * (i + 1))
        outcome = {0: "reached", 1: "no_answer", 2: "left_message", 3: None}[i % 4]
        _attempt(session, vm_id, "alice" if i % 2 == 0 else "bob", vm.first_callback_at, outcome)
        if i < 4:
            _attempt(session, vm_id, "alice", vm.first_callback_at + timedelta(hours=1), "wrong_number")
    elif i < 35:
        vm.agent_state = "handled"
        vm.overdue_at = None if i < 30 else at + timedelta(hours=4)


def seed_dashboard_set(session: Session) -> None:
    """Teams billing (mailbox accounts, 4 h deadline; alice a member) and support (helpdesk; sam), and
    their 200 voicemails with callbacks."""
    from voice.storage import teams, users

    users.create_user(session, "alice", PASSWORD, "agent")
    users.create_user(session, "sam", PASSWORD, "agent")
    teams.create_team(session, "billing", ["accounts"], callback_hours=4)
    teams.create_team(session, "support", ["helpdesk"])
    teams.add_member(session, "billing", username="alice")
    teams.add_member(session, "support", username="sam")
    seed_dashboard_voicemails(session)


def seed_dashboard_voicemails(session: Session) -> None:
    """The 200 voicemails alone, for a database whose teams billing (mailbox accounts, 4 h deadline) and
    support (helpdesk) were made otherwise (by the admin API in tests/e2e/test_team_story_browser.py)."""
    for i in range(140):
        _billing(session, i)
    for i in range(60):
        at = START + timedelta(days=i % 14, hours=10, minutes=15)
        number = "+12125559000" if i < 5 else f"+1414555{i:04d}"
        vm_id = _vm(session, "helpdesk", at, "support", number)
        if i < 3:
            _attempt(session, vm_id, "sam", at + timedelta(hours=1), "reached")
    session.commit()
