"""The assignee is told, at their own address: an e-mail channel with ``assignees`` on writes to the user a
voicemail was assigned to (by routing, or by the reassignment sweep after a missed deadline) and to nobody
else; once per assignment however often the sweep runs; nothing when the user has no address. A real SMTP
server (aiosmtpd, STARTTLS and AUTH) receives the mail; on SQLite and PostgreSQL (the `sm` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.mail import PASSWORD, USER, MailServer, smtp_server
from tests.support.seed import seed_voicemail

LOGIN = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from voice.core.config import Settings

    return Settings(
        data_dir=tmp_path,
        public_url="https://voice.example.com/",
        notifications={"backoff_s": 0.0, "max_attempts": 3, "timeout_s": 5.0},
    )


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[MailServer]:
    with smtp_server(tmp_path) as server:
        yield server


def _drain(sm: sessionmaker[Session], settings: Any) -> list[Any]:
    from voice.integrations import notifications

    results = []
    for _ in range(20):
        claimed = notifications.claim_due(sm, settings)
        if claimed is None:
            break
        results.append(notifications.deliver_one(sm, claimed, settings))
    return results


def _world(session: Session, mail: MailServer, assignees: bool = True) -> None:
    """Team billing (deadline 4 h): alice and bob available, bob with an address; an e-mail channel."""
    from voice.storage import channels, teams, users

    users.create_user(session, "alice", LOGIN, "agent")
    users.create_user(session, "bob", LOGIN, "agent", email="bob@example.com")
    teams.create_team(session, "billing", ["accounts"], callback_hours=4)
    for name in ("alice", "bob"):
        teams.add_member(session, "billing", username=name)
    settings = {"host": mail.host, "port": mail.port, "username": USER, "sender": "voice@example.com"}
    settings |= {"to": ["billing@example.com"], "ca_file": str(mail.ca_file), "assignees": assignees}
    channels.add(session, None, "mail", "email", settings, {"password": PASSWORD})
    session.commit()


def _late_voicemail(session: Session, assignee: str) -> str:
    from voice.storage.models import Voicemail, utcnow

    vm_id = seed_voicemail(session, mailbox="accounts", from_number="+1 415 555 0100", intent="billing")
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.agent_state, vm.assignee = "new", assignee
    vm.created_at = utcnow() - timedelta(hours=5)
    session.commit()
    return vm_id


def _fresh(session: Session) -> str:
    """A new voicemail nobody has touched (the seed marks its voicemails in progress with dana)."""
    from voice.storage.models import Voicemail

    vm_id = seed_voicemail(session, mailbox="accounts", from_number="+1 415 555 0100", intent="billing")
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.agent_state, vm.assignee = "new", None
    session.flush()
    return vm_id


def test_the_new_assignee_alone_is_told_of_a_reassignment_once(
    sm: sessionmaker[Session], settings: Any, mail: MailServer
) -> None:
    from voice.storage.models import Notification, utcnow
    from voice.usecases.reassign import reassign_overdue

    with sm() as session:
        _world(session, mail)
        vm_id = _late_voicemail(session, "alice")
    now = utcnow()
    assert [(m.old, m.new) for m in reassign_overdue(sm, settings, now)] == [("alice", "bob")]
    assert reassign_overdue(sm, settings, now + timedelta(minutes=5)) == []
    assert [r.ok for r in _drain(sm, settings)] == [True]
    [message] = mail.received
    assert mail.envelopes[0][1] == ["bob@example.com"]  # not the channel's list
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "Reassigned to you: voicemail from +1 415 555 0100"
    assert f"https://voice.example.com/voicemails/{vm_id}" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    with sm() as session:
        rows = session.execute(select(Notification.event, Notification.recipient, Notification.status)).all()
    assert [tuple(r) for r in rows] == [("voicemail.assigned.1", "bob@example.com", "sent")]


def test_routing_tells_its_assignee_and_nobody_without_an_address_or_channel(
    sm: sessionmaker[Session], settings: Any, mail: MailServer
) -> None:
    from voice.routing import route
    from voice.storage import channels
    from voice.storage.models import Notification
    from voice.usecases import routing

    with sm() as session:
        _world(session, mail)
        rule = {"name": "billing", "default": True, "then": {"team": "billing", "assign": "round_robin"}}
        routing.add_rule(session, rule)
        session.commit()
        to_alice, to_bob = _fresh(session), _fresh(session)
        got = [route.after_processing(session, vm_id) for vm_id in (to_alice, to_bob)]
        assert [d.assignee if d else None for d in got] == ["alice", "bob"]  # round robin, by name first
        session.commit()
        routed_again = route.after_processing(session, to_bob)  # a reprocess: routed, not told again
        session.commit()
    assert routed_again is not None and routed_again.assignee == "bob"  # not alice's turn: it stays
    assert "kept with bob, its assignee since first routed" in routed_again.text
    assert [r.ok for r in _drain(sm, settings)] == [True]  # alice has no address: nothing for her
    [message] = mail.received
    assert mail.envelopes[0][1] == ["bob@example.com"]
    assert message["Subject"] == "Assigned to you: voicemail from +1 415 555 0100"
    with sm() as session:
        channels.update(session, None, "mail", {"assignees": False})
        session.commit()
        third = _fresh(session)
        route.after_processing(session, third)
        session.commit()
        assert session.scalar(select(Notification.id).where(Notification.voicemail_id == third)) is None


def test_an_address_is_checked_and_can_be_removed(sm: sessionmaker[Session]) -> None:
    from voice.storage import users

    with sm() as session:
        users.create_user(session, "carol", LOGIN, "agent")
        for bad in ("carol", "carol@localhost", "a b@example.com", "<carol@example.com>"):
            with pytest.raises(users.UserError, match="is not an e-mail address"):
                users.set_email(session, "carol", bad)
        assert users.set_email(session, "carol", " carol@example.com ").email == "carol@example.com"
        assert users.set_email(session, "carol", "").email is None
        with pytest.raises(users.UserError, match="no user 'nobody'"):
            users.set_email(session, "nobody", "x@example.com")


def test_routed_again_to_someone_else_tells_them_and_drops_the_first_notice(
    sm: sessionmaker[Session], settings: Any, mail: MailServer
) -> None:
    """alice leaves billing before her notice went out; a reprocess routes the voicemail to bob: bob is told
    (his own event), alice's notice is given up rather than sent to someone it no longer concerns."""
    from voice.routing import route
    from voice.storage import teams, users
    from voice.storage.models import Notification
    from voice.usecases import routing

    with sm() as session:
        _world(session, mail)
        users.set_email(session, "alice", "alice@example.com")
        rule = {"name": "billing", "default": True, "then": {"team": "billing", "assign": "round_robin"}}
        routing.add_rule(session, rule)
        session.commit()
        vm_id = _fresh(session)
        first = route.after_processing(session, vm_id)
        session.commit()
        assert first is not None and first.assignee == "alice"
        teams.remove_member(session, "billing", username="alice")
        session.commit()
        again = route.after_processing(session, vm_id)
        session.commit()
        assert again is not None and again.assignee == "bob"
    assert [r for r in _drain(sm, settings) if r is not None] != []
    assert [rcpt for _, rcpt in mail.envelopes] == [["bob@example.com"]]
    with sm() as session:
        rows = session.execute(
            select(
                Notification.event, Notification.recipient, Notification.status, Notification.last_error
            ).order_by(Notification.created_at, Notification.event)
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "voicemail.assigned.0",
            "alice@example.com",
            "failed",
            "the voicemail is no longer assigned to this person",
        ),
        ("voicemail.assigned.0.2", "bob@example.com", "sent", None),
    ]
