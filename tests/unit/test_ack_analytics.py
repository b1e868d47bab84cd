"""The dashboard's acknowledgement figure on SQLite and PostgreSQL: the range's voicemails by the status of
their caller's acknowledgement, counted only for what the viewer may see."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail
from voice.core.config import SlaSettings
from voice.storage import access, teams
from voice.storage.models import AckMessage, Voicemail
from voice.usecases.analytics import Count, Filter, analytics

pytestmark = pytest.mark.parametrize("sm", ["sqlite", "postgresql"], indirect=True)
AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def test_acknowledgements_are_counted_by_status_per_team(sm: sessionmaker[Session]) -> None:
    with sm() as session:
        billing = teams.create_team(session, "billing", ["billing"])
        support = teams.create_team(session, "support", ["support"])
        plan = [("billing", "delivered"), ("billing", "delivered"), ("billing", "sent"),
                ("billing", "skipped"), ("billing", None), ("support", "failed")]  # fmt: skip
        for mailbox, status in plan:
            vm_id = seed_voicemail(session, mailbox=mailbox, from_number="+447700900123")
            session.execute(update(Voicemail).where(Voicemail.id == vm_id).values(created_at=AT))
            if status:
                team = billing if mailbox == "billing" else support
                session.add(AckMessage(voicemail_id=vm_id, team_id=team.id, status=status, created_at=AT))
        session.commit()
        days = Filter(since=date(2026, 11, 1), until=date(2026, 11, 5))
        every = analytics(session, days, access.EVERYTHING, SlaSettings(), now=AT)
        assert every.acknowledgements == (
            Count("delivered", 2),
            Count("failed", 1),
            Count("sent", 1),
            Count("skipped", 1),
        )
        assert every.acknowledged == 3
        f = Filter(since=date(2026, 11, 1), until=date(2026, 11, 5), team="support")
        assert analytics(session, f, access.EVERYTHING, SlaSettings(), now=AT).acknowledgements == (
            Count("failed", 1),
        )
