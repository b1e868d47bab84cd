"""What agents do to a voicemail: mark it, assign it, queue it again; each kept in its history."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voice.storage import crm
from voice.storage.models import (
    AgentState,
    CallRecord,
    Role,
    Status,
    Team,
    TeamMailbox,
    TeamMember,
    User,
    Voicemail,
    VoicemailEvent,
    utcnow,
)


class AssigneeError(ValueError):
    """The assignee cannot take this voicemail; the message says why (a 422 in the API)."""


def voicemail_team(session: Session, vm: Voicemail) -> str | None:
    """The id of the team the voicemail belongs to: the team routing chose, else its mailbox's team (the
    same rule voice/storage/access.py applies)."""
    if vm.team_id is not None:
        return vm.team_id
    mailbox = select(CallRecord.mailbox).where(CallRecord.id == vm.call_id).scalar_subquery()
    return session.scalar(select(TeamMailbox.team_id).where(TeamMailbox.mailbox == mailbox))


def assignees(session: Session, vm: Voicemail) -> list[str]:
    """Who may be assigned the voicemail, by user name, sorted: the active web users of its team (admins
    too, only if they are in it: an assignee outside the team would not see it in their list). A voicemail
    of no team is seen by admins and by agents in no team (voice/storage/access.py): any of them."""
    active = select(User.username).where(User.disabled_at.is_(None))
    team_id = voicemail_team(session, vm)
    if team_id is not None:
        members = select(TeamMember.user_id).where(TeamMember.team_id == team_id)
        return list(session.scalars(active.where(User.id.in_(members)).order_by(User.username)))
    in_a_team = select(TeamMember.user_id).where(TeamMember.user_id.is_not(None))
    sees = (User.role == Role.ADMIN) | User.id.not_in(in_a_team)
    return list(session.scalars(active.where(sees).order_by(User.username)))


def check_assignee(session: Session, vm: Voicemail, assignee: str, precise: bool = False) -> None:
    """Refuse (AssigneeError) an assignee who may not take the voicemail (``assignees``). The message says
    why (no such user, disabled, in another team) only when ``precise`` (an admin asks, who may list users
    anyway); to anyone else it is the same in all three cases, so that it does not tell an agent which user
    names exist or which accounts are disabled."""
    if assignee == vm.assignee:
        return  # no change: an assignee set before (by routing, or before teams) is kept, not refused
    if assignee in assignees(session, vm):
        return
    team = session.scalar(select(Team.name).where(Team.id == voicemail_team(session, vm)))
    if not precise:
        who = (
            f"active members of team {team!r}" if team is not None else "active admins and agents in no team"
        )
        raise AssigneeError(f"user {assignee!r} cannot be assigned this voicemail: only {who} can")
    known = session.scalar(select(User.disabled_at.is_(None)).where(User.username == assignee))
    if known is None:
        raise AssigneeError(f"no user {assignee!r}")
    if not known:
        raise AssigneeError(f"user {assignee!r} is disabled")
    if team is None:
        raise AssigneeError(f"user {assignee!r} is in a team and does not see voicemails of no team")
    raise AssigneeError(f"user {assignee!r} is not a member of team {team!r}, the voicemail's team")


def set_agent_state(
    session: Session,
    vm: Voicemail,
    who: str,
    state: str | None = None,
    assignee: str | None = None,
    unassign: bool = False,
    precise: bool = False,
) -> None:
    """An agent's change (handled, in progress, assigned), kept in the voicemail's history. An assignee who
    may not take it (``check_assignee``, ``precise`` for an admin) is refused before anything changes."""
    if assignee is not None and not unassign:
        check_assignee(session, vm, assignee, precise)
    changes = []
    if state is not None and state != vm.agent_state:
        vm.agent_state = state
        changes.append(f"marked {state}")
        if state == AgentState.HANDLED:  # a comment on its ticket, in this transaction (docs/crm.md)
            crm.enqueue_handled(session, vm.id)
    if unassign and vm.assignee is not None:
        vm.assignee = None
        changes.append("unassigned")
    elif assignee is not None and assignee != vm.assignee:
        vm.assignee = assignee
        changes.append(f"assigned to {assignee}")
    if changes:
        vm.updated_at = utcnow()
        vm.events.append(VoicemailEvent(status=vm.status, detail=f"{who}: {', '.join(changes)}"))


def requeue(session: Session, vm_id: str, who: str) -> bool:
    """Queue a finished voicemail again, to run the whole pipeline from the start: the retry of a voicemail
    whose audio was never stored (a reprocess is a run: voice/usecases/reprocess_one.py). False while it is
    queued or in flight."""
    result = session.execute(
        update(Voicemail)
        .where(Voicemail.id == vm_id, Voicemail.status.in_(Status.FINAL))
        .values(
            status=Status.QUEUED,
            status_reason=None,
            attempts=0,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=None,
            updated_at=utcnow(),
            dispatched_at=utcnow(),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.add(VoicemailEvent(voicemail_id=vm_id, status=Status.QUEUED, detail=f"retry requested by {who}"))
    return True
