"""Reassignment (docs/callbacks.md): an assigned voicemail that passes its deadline with no callback attempt
goes to the next available member of its team (round robin: the one whose last assignment is oldest, never
the current assignee), or to the team's lead when nobody else is available; the history says so and the new
assignee is told.

At most once per deadline: the deadline runs from the voicemail's arrival, and after a reassignment from
that reassignment; ``escalations`` is compared and set in the same UPDATE that moves the assignee, so two
sweepers (replicas, workers) never move the same voicemail twice for one deadline. At most
``sla.max_reassignments`` times in all, so nothing bounces forever. It runs as the "reassign" sweep, whose
lease elects one process per interval (voice/jobs/sweeps.py), like the overdue check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.routing.rules import ROUND_ROBIN, CannotApply, Member, TeamFacts, pick
from voice.storage import assignee_notices, notifications
from voice.storage.models import (
    AgentState,
    CallRecord,
    Status,
    Team,
    TeamMailbox,
    TeamMember,
    User,
    Voicemail,
    VoicemailEvent,
    utcnow,
)
from voice.usecases.overdue import deadline_groups

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reassigned:
    voicemail_id: str
    old: str
    new: str | None  # None: nobody else to give it to (the deadline still counts as escalated)
    team: str
    detail: str
    escalation: int  # this voicemail's how-many-th reassignment (1, 2, ...)


# Told about each reassignment (the new assignee's notification), in the reassignment's transaction.
Notify = Callable[[Session, Reassigned], None]


def notify_channels(session: Session, moved: Reassigned) -> None:
    """The default Notify: the notification outbox (voice/storage/notifications.py), to the channels
    routing named for the voicemail, as event ``voicemail.reassigned.N`` (the N-th reassignment), and to the
    new assignee at their own address (voice/storage/assignee_notices.py), so each reassignment is told once
    per channel and once to its new assignee however often the sweep runs."""
    vm = session.get(Voicemail, moved.voicemail_id)
    if vm is None or moved.new is None:
        return
    revision = vm.current_revision
    urgency = revision.summary.urgency if revision is not None and revision.summary is not None else None
    channels = list((vm.routing or {}).get("notify") or [])
    notifications.enqueue(session, vm.id, channels, urgency, event=f"voicemail.reassigned.{moved.escalation}")
    assignee_notices.enqueue(session, vm.id, moved.new, urgency, moved.escalation)


def next_member(session: Session, team_id: str, current: str | None) -> tuple[str, str] | None:
    """(user name, why) of who gets it next: the available member whose last assignment is oldest (never
    assigned first), not ``current``; else the team's lead (available or not); None if neither exists."""
    rows = session.execute(
        select(User.username, TeamMember.available, TeamMember.lead, TeamMember.last_assigned_at)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team_id, User.disabled_at.is_(None), User.username != (current or ""))
    ).all()
    members = tuple(Member(r.username, bool(r.available), r.last_assigned_at) for r in rows)
    try:  # whose turn it is: routing's round robin, the one rule for it
        return pick(TeamFacts(team_id, members=members), ROUND_ROBIN).name, "next available member"
    except CannotApply:
        pass  # nobody available
    leads = sorted(r.username for r in rows if r.lead)
    return (leads[0], "team lead, nobody else available") if leads else None


Due = tuple[str, str, int, str, float]  # voicemail id, assignee, escalations, team id, deadline hours


def _candidates(session: Session, settings: Settings, now: datetime) -> list[Due]:
    """(id, assignee, escalations, team id, deadline hours) of every voicemail due for reassignment."""
    sla = settings.sla
    team = func.coalesce(Voicemail.team_id, TeamMailbox.team_id)  # routed team, else the mailbox's
    since = func.coalesce(Voicemail.escalated_at, Voicemail.created_at)
    found: list[Due] = []
    for hours, in_group in deadline_groups(session, sla):
        rows = session.execute(
            select(Voicemail.id, Voicemail.assignee, Voicemail.escalations, team)
            .join(CallRecord, Voicemail.call_id == CallRecord.id)
            .outerjoin(TeamMailbox, TeamMailbox.mailbox == CallRecord.mailbox)
            .where(
                in_group,
                Voicemail.status == Status.DONE,
                Voicemail.agent_state != AgentState.HANDLED,
                Voicemail.assignee.is_not(None),
                Voicemail.first_callback_at.is_(None),
                Voicemail.escalations < sla.max_reassignments,
                team.is_not(None),
                since < now - timedelta(hours=hours),
            )
            .order_by(Voicemail.created_at)
            .limit(500)
        ).all()
        found += [(r[0], r[1] or "", r[2], r[3], hours) for r in rows]
    return found


def _move(
    session: Session, vm_id: str, old: str, escalations: int, team_id: str, hours: float, now: datetime
) -> Reassigned | None:
    """Reassign one voicemail if nobody did since it was read; None when another sweeper won."""
    team_name = session.scalar(select(Team.name).where(Team.id == team_id)) or "?"
    chosen = next_member(session, team_id, old)
    new = chosen[0] if chosen else None
    won = session.execute(
        update(Voicemail)
        .where(
            Voicemail.id == vm_id,
            Voicemail.escalations == escalations,
            Voicemail.assignee == old,
            Voicemail.first_callback_at.is_(None),
            Voicemail.agent_state != AgentState.HANDLED,
        )
        .values(escalations=escalations + 1, escalated_at=now, assignee=new or old, updated_at=now)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    if chosen is None:
        detail = f"not reassigned: no callback within {hours:g} h, and nobody else in {team_name} to take it"
    else:
        member = select(User.id).where(User.username == new)
        session.execute(
            update(TeamMember)
            .where(
                TeamMember.team_id == team_id,
                TeamMember.user_id.in_(member),
            )
            .values(last_assigned_at=now)
        )
        detail = f"reassigned from {old} to {new} ({chosen[1]}): no callback within {hours:g} h"
    session.add(VoicemailEvent(voicemail_id=vm_id, status=Status.DONE, detail=detail))
    return Reassigned(vm_id, old, new, team_name, detail, escalations + 1)


def reassign_overdue(
    sm: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    notify: Notify | None = notify_channels,
) -> list[Reassigned]:
    """One sweep: reassign every voicemail due (see the module's docstring); what this call did. Each
    voicemail in its own short transaction, with its notification."""
    if not settings.sla.reassign or settings.sla.max_reassignments <= 0:
        return []
    now = now or utcnow()
    done: list[Reassigned] = []
    with sm() as session:
        due = _candidates(session, settings, now)
        session.rollback()  # no read transaction held while writing (SQLite)
        for vm_id, old, escalations, team_id, hours in due:
            moved = _move(session, vm_id, old, escalations, team_id, hours, now)
            if moved is not None and moved.new is not None and notify is not None:
                notify(session, moved)
            session.commit()
            if moved is not None:
                done.append(moved)
    if done:
        log.info("%d voicemail(s) reassigned for want of a callback", len(done))
    return done
