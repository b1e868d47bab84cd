"""What agents do to a voicemail: mark it, assign it, queue it again; each kept in its history."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from voice.storage.models import Status, Voicemail, VoicemailEvent, utcnow


def set_agent_state(
    session: Session,
    vm: Voicemail,
    who: str,
    state: str | None = None,
    assignee: str | None = None,
    unassign: bool = False,
) -> None:
    """An agent's change (handled, in progress, assigned), kept in the voicemail's history."""
    changes = []
    if state is not None and state != vm.agent_state:
        vm.agent_state = state
        changes.append(f"marked {state}")
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
