"""A voicemail's transcript revisions: each processing adds the next one (with its summary), and
``make_current`` is the one way a new revision becomes the one agents see."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from voice.storage import search
from voice.storage.models import Summary, TranscriptRevision, Voicemail, utcnow

# (triage priority, overdue?) -> the priority to store: voice.triage.priority's rule (with_overdue_boost),
# handed in because storage does not import triage.
PriorityRule = Callable[[float | None, bool], float | None]


def add_revision(session: Session, vm_id: str, revision: TranscriptRevision, summary: Summary | None) -> str:
    """Add the voicemail's next revision (and its summary), in the caller's transaction; return its id.
    It is not made current here."""
    number = session.scalar(
        select(func.coalesce(func.max(TranscriptRevision.number), 0)).where(
            TranscriptRevision.voicemail_id == vm_id
        )
    )
    revision.voicemail_id = vm_id
    revision.number = int(number or 0) + 1
    session.add(revision)
    session.flush()
    if summary is not None:
        summary.revision_id = revision.id
        session.add(summary)
    return revision.id


def make_current(
    session: Session,
    vm_id: str,
    revision: TranscriptRevision,
    summary: Summary | None,
    priority_rule: PriorityRule,
) -> str:
    """Add the revision (and its summary) and make it current, in the caller's transaction; return its id.

    The pipeline's end and a reprocess run's item both come here, so the new text is searchable and the
    voicemail's priority is its new triage's (plus routing's points), raised when it is already overdue, the
    same way. The priority is chosen by ``overdue_at`` inside the UPDATE itself, so an overdue mark committed
    at the same moment is never lost. Status, history and webhooks are the caller's: they depend on which
    job ended."""
    revision_id = add_revision(session, vm_id, revision, summary)
    values: dict[str, object] = {"current_revision_id": revision_id, "updated_at": utcnow()}
    if summary is not None:
        plain, overdue = priority_rule(summary.priority, False), priority_rule(summary.priority, True)
        # Routing's points (voice/routing) stay on top of the new triage's priority.
        triaged = case((Voicemail.overdue_at.is_(None), plain), else_=overdue)
        values["priority"] = triaged + Voicemail.routing_points
    session.execute(update(Voicemail).where(Voicemail.id == vm_id).values(**values))
    search.reindex(session, vm_id)
    return revision_id
