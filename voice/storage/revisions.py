"""A voicemail's transcript revisions: each processing adds the next one (with its summary)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voice.storage.models import Summary, TranscriptRevision


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
