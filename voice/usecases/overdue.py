"""Callback deadlines. A voicemail that is done but not handled within its deadline becomes overdue (the
deadline of the team routing gave it to, if it sets one; else of the team that owns its mailbox, if it sets
one; else settings.sla's for the mailbox, else its default): once, by a compare-and-set in the database,
its priority rises and a ``voicemail.overdue`` webhook is written in the same transaction. Every serving
process sweeps; only one wins each voicemail."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings, SlaSettings
from voice.storage import outbox, teams
from voice.storage.models import AgentState, CallRecord, Status, Voicemail, VoicemailEvent, utcnow
from voice.triage.priority import raise_overdue

log = logging.getLogger(__name__)


def deadline_groups(session: Session, sla: SlaSettings) -> list[tuple[float, ColumnElement[bool]]]:
    """(hours, condition on Voicemail joined with its CallRecord) for every deadline in force: per routed
    team with a deadline; then the rest per mailbox with its own deadline (a team's before the settings');
    then the rest with the default. The reassignment sweep (voice/usecases/reassign.py) uses the same."""
    per_team = teams.team_deadlines(session)
    groups: list[tuple[float, ColumnElement[bool]]] = [
        (hours, Voicemail.team_id == team) for team, hours in per_team.items()
    ]
    by_mailbox = or_(Voicemail.team_id.is_(None), Voicemail.team_id.not_in(list(per_team) or [""]))
    per_mailbox = {**sla.mailboxes, **teams.deadlines(session)}
    groups += [(hours, and_(by_mailbox, CallRecord.mailbox == m)) for m, hours in per_mailbox.items()]
    others = CallRecord.mailbox.is_(None) | CallRecord.mailbox.not_in(list(per_mailbox) or [""])
    groups.append((sla.default_hours, and_(by_mailbox, others)))
    return groups


def mark_overdue(sm: sessionmaker[Session], settings: Settings, now: datetime | None = None) -> list[str]:
    """Mark every voicemail past its deadline; return the ids this call marked."""
    now = now or utcnow()
    sla = settings.sla
    marked: list[str] = []
    with sm() as session:
        for hours, in_group in deadline_groups(session, sla):
            due = session.scalars(
                select(Voicemail.id)
                .join(CallRecord, Voicemail.call_id == CallRecord.id)
                .where(
                    in_group,
                    Voicemail.status == Status.DONE,
                    Voicemail.agent_state != AgentState.HANDLED,
                    Voicemail.overdue_at.is_(None),
                    Voicemail.created_at < now - timedelta(hours=hours),
                )
                .limit(500)
            ).all()
            for vm_id in due:
                won = session.execute(
                    update(Voicemail)
                    .where(Voicemail.id == vm_id, Voicemail.overdue_at.is_(None))
                    .values(overdue_at=now, priority=raise_overdue(Voicemail.priority, sla.priority_boost))
                )
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another process marked it first
                detail = f"not handled within the {hours:g} h callback deadline"
                session.add(VoicemailEvent(voicemail_id=vm_id, status=Status.DONE, detail=detail))
                outbox.enqueue_completion(session, vm_id, event="voicemail.overdue")
                marked.append(vm_id)
        session.commit()
    if marked:
        log.info("%d voicemail(s) went past their callback deadline", len(marked))
    return marked
