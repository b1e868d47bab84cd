"""The voicemail list as the inbox and the API show it: each voicemail carries the priority it is shown with
(voice.triage.priority: waiting time included), and the priority order sorts by exactly that value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from voice.storage import inbox
from voice.storage.models import AgentState, Voicemail
from voice.triage.priority import inbox_priority_sql


def inbox_rank(now: datetime) -> ColumnElement[float]:
    """The priority shown at ``now``, as SQL over the voicemail's columns."""
    return inbox_priority_sql(
        Voicemail.priority, Voicemail.created_at, Voicemail.agent_state == AgentState.HANDLED, now
    )


def list_voicemails(
    session: Session,
    f: inbox.VoicemailFilter,
    limit: int = 50,
    cursor: str | None = None,
    default_region: str = "US",
    now: datetime | None = None,
) -> tuple[list[Voicemail], str | None]:
    """One page and the cursor of the next (see voice.storage.inbox.list_voicemails)."""
    return inbox.list_voicemails(session, f, limit, cursor, default_region, rank=inbox_rank, now=now)
