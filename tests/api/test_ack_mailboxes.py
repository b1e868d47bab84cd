"""Acknowledgements per mailbox (a mailbox's override of its team's settings), on SQLite and PostgreSQL,
through the outbox against the local Twilio Messages server, on the test's clock as in test_acks.py: team
billing owns the mailboxes billing and sales, and is switched on with SENDER."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.http_servers import TWILIO_SID, TWILIO_TOKEN
from tests.support.seed import seed_voicemail
from tests.support.twilio_server import FakeTwilio, serve
from voice.acks import enqueue
from voice.core.config import Settings, TwilioAccount, TwilioSettings, WorkerSettings
from voice.integrations import acks as sender
from voice.storage import ack_mailboxes, acks, teams
from voice.storage.models import AckMessage, CallRecord, Voicemail

pytestmark = pytest.mark.parametrize("sm", ["sqlite", "postgresql"], indirect=True)

CALLER, OTHER_CALLER = "+447700900123", "+447700900124"
SENDER, SALES_SENDER = "+447700900000", "+447700900001"
OTHER_SID = "AC" + "2" * 32
MONDAY_2PM = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Europe/London is UTC in December


@dataclass
class World:
    sm: sessionmaker[Session]
    settings: Settings
    twilio: FakeTwilio

    def voicemail(self, at: datetime, number: str, mailbox: str) -> str:
        """A billing voicemail left in ``mailbox``, processed at ``at``; its acknowledgement decided then."""
        with self.sm() as session:
            vm_id = seed_voicemail(session, mailbox=mailbox, from_number=number, intent="billing")
            vm = session.get(Voicemail, vm_id)
            assert vm is not None
            session.execute(update(CallRecord).where(CallRecord.id == vm.call_id).values(started_at=at))
            enqueue.after_processing(session, vm_id, "GB", now=at)
            session.commit()
        return vm_id

    def ack(self, vm_id: str) -> AckMessage | None:
        with self.sm() as session:
            row = acks.of_voicemail(session, vm_id)
            if row is not None:
                session.expunge(row)
            return row

    def send_due(self, at: datetime) -> None:
        self.twilio.now = at
        sender.run_due(self.sm, self.settings, now=at)

    def mailbox(self, mailbox: str, team: str = "billing", **change: object) -> None:
        with self.sm() as session:
            ack_mailboxes.configure_mailbox(session, team, mailbox, change)
            session.commit()


@pytest.fixture
def world(sm: sessionmaker[Session], tmp_path: Path) -> Iterator[World]:
    with serve(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        twilio = TwilioSettings(
            accounts=[TwilioAccount(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)],
            api_base_url=fake.url,
            public_url="http://testserver",
        )
        settings = Settings(data_dir=tmp_path, twilio=twilio, worker=WorkerSettings(enabled=False))
        with sm() as session:
            teams.create_team(session, "billing", ["billing", "sales"], "Europe/London")
            acks.configure(session, "billing", acks.SettingsIn(enabled=True, sender=SENDER, channel="sms"))
            acks.set_template(session, "billing", "Thanks, we got your message.")
            session.commit()
        yield World(sm, settings, fake)


def test_a_mailbox_switched_off_gets_nothing_while_the_teams_other_mailbox_gets_one(world: World) -> None:
    world.mailbox("sales", enabled=False)
    silenced = world.voicemail(MONDAY_2PM, CALLER, "sales")
    heard = world.voicemail(MONDAY_2PM, OTHER_CALLER, "billing")
    world.send_due(MONDAY_2PM)
    assert world.ack(silenced) is None  # as for a team switched off: no row
    assert world.twilio.sent_to(CALLER) == []
    assert [m["from"] for m in world.twilio.sent_to(OTHER_CALLER)] == [SENDER]
    row = world.ack(heard)
    assert row is not None and row.status == "sent"
    # Following the team again, the mailbox is heard.
    with world.sm() as session:
        assert ack_mailboxes.clear_mailbox(session, "billing", "sales")
        session.commit()
    later = world.voicemail(MONDAY_2PM + timedelta(minutes=5), CALLER, "sales")
    row = world.ack(later)
    assert row is not None and row.status == "queued"


def test_a_mailbox_with_its_own_sender_sends_from_it(world: World) -> None:
    world.mailbox("sales", sender=SALES_SENDER)
    vm_id = world.voicemail(MONDAY_2PM, CALLER, "sales")
    world.send_due(MONDAY_2PM)
    assert [m["from"] for m in world.twilio.sent_to(CALLER)] == [SALES_SENDER]
    row = world.ack(vm_id)
    assert row is not None and (row.status, row.sender, row.channel) == ("sent", SALES_SENDER, "sms")
    team = world.voicemail(MONDAY_2PM, OTHER_CALLER, "billing")
    row = world.ack(team)
    assert row is not None and row.sender == SENDER


def test_a_mailbox_with_a_one_hour_repeat_window_acknowledges_the_same_caller_again_after_two_hours(
    world: World,
) -> None:
    world.mailbox("sales", repeat_hours=1)
    two_hours_later = MONDAY_2PM + timedelta(hours=2)
    # The team's 24 h: the second voicemail of OTHER_CALLER to billing two hours later gets nothing.
    world.voicemail(MONDAY_2PM, OTHER_CALLER, "billing")
    again = world.ack(world.voicemail(two_hours_later, OTHER_CALLER, "billing"))
    assert again is not None and (again.status, again.reason) == (
        "skipped",
        "the caller was acknowledged within the team's repeat window",
    )
    # The mailbox's 1 h: CALLER's second voicemail to sales two hours later gets its own.
    world.voicemail(MONDAY_2PM, CALLER, "sales")
    world.send_due(MONDAY_2PM)
    second = world.ack(world.voicemail(two_hours_later, CALLER, "sales"))
    assert second is not None and second.status == "queued", second.reason
    world.send_due(two_hours_later)
    assert len(world.twilio.sent_to(CALLER)) == 2 and len(world.twilio.sent_to(OTHER_CALLER)) == 1
    # Within its hour, still one.
    soon = world.ack(world.voicemail(two_hours_later + timedelta(minutes=30), CALLER, "sales"))
    assert soon is not None and soon.status == "skipped"


def test_a_mailbox_switched_off_before_its_message_went_skips_it(world: World) -> None:
    night = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    vm_id = world.voicemail(night, CALLER, "sales")
    row = world.ack(vm_id)
    assert row is not None and row.status == "waiting"
    world.mailbox("sales", enabled=False)
    world.send_due(datetime(2026, 12, 8, 8, 0, tzinfo=UTC))
    row = world.ack(vm_id)
    assert row is not None and (row.status, row.reason) == (
        "skipped",
        "acknowledgements were switched off for the team or mailbox before it went",
    )
    assert world.twilio.posts == 0


def test_a_mailbox_switched_on_in_a_team_without_settings_needs_its_own_sender(world: World) -> None:
    with world.sm() as session:
        teams.create_team(session, "support", ["support"], "Europe/London")
        acks.set_template(session, "support", "Support got your message.")
        session.commit()
        with pytest.raises(acks.AckError, match="switching a mailbox on needs a sender"):
            ack_mailboxes.configure_mailbox(session, "support", "support", {"enabled": True})
        session.rollback()
        with pytest.raises(ack_mailboxes.MailboxNotFound, match="has no mailbox 'sales'"):
            ack_mailboxes.configure_mailbox(session, "support", "sales", {"enabled": False})
    nothing = world.voicemail(MONDAY_2PM, OTHER_CALLER, "support")
    assert world.ack(nothing) is None
    world.mailbox("support", team="support", enabled=True, sender=SALES_SENDER)
    world.voicemail(MONDAY_2PM, CALLER, "support")
    world.send_due(MONDAY_2PM)
    assert [(m["from"], m["body"]) for m in world.twilio.sent_to(CALLER)] == [
        (SALES_SENDER, "Support got your message.")
    ]


def test_a_change_of_the_team_that_leaves_a_mailbox_unusable_is_refused(world: World) -> None:
    world.mailbox("sales", channel="whatsapp", sender=f"whatsapp:{SALES_SENDER}")
    with world.sm() as session, pytest.raises(acks.AckError, match="mailbox 'sales': channel sms needs"):
        # The team's channel stays sms; a mailbox following it with a WhatsApp sender could not send.
        ack_mailboxes.configure_mailbox(session, "billing", "sales", {"channel": None})
    with world.sm() as session, pytest.raises(acks.AckError, match="its own account needs its own sender"):
        ack_mailboxes.configure_mailbox(session, "billing", "billing", {"account_sid": OTHER_SID})


def test_a_mailboxs_own_sender_binds_inbound_messages_to_its_account(world: World) -> None:
    world.mailbox("sales", sender=SALES_SENDER, account_sid=OTHER_SID)
    with world.sm() as session:
        assert acks.owning_accounts(session, [SALES_SENDER], None) == {OTHER_SID}
        assert acks.owning_accounts(session, [SENDER], None) == {None}  # the team's, the only account
        # A message to the sales mailbox: the account its own sender sends with, not also the team's.
        assert acks.owning_accounts(session, [], "sales") == {OTHER_SID}
        assert acks.owning_accounts(session, [], "billing") == {None}  # no sender of its own: the team's
        # Gone with the override.
        ack_mailboxes.clear_mailbox(session, "billing", "sales")
        session.commit()
        assert acks.owning_accounts(session, [SALES_SENDER], None) == set()
