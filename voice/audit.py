"""The audit trail: who read, changed, reprocessed, exported or erased which voicemail, and when.

Events name the actor ("key:NAME", "user:NAME", "cli:USER", "system:retention"), the action and the
voicemail's id, with details that are ids, counts and field names only: the trail must not become a second
copy of the personal data it watches over, and it stays after the voicemail is erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.models import AuditEvent, utcnow

# What can be recorded. Reads of lists record the filters and how many came back, not the ids.
ACTIONS = (
    "read",  # one voicemail: API detail, revisions, the inbox page
    "list",  # a page of the list or inbox
    "listen",  # the audio
    "export",  # a transcript downloaded (txt, srt, vtt)
    "update",  # agent state, assignee
    "note",  # an agent's note added
    "reprocess",  # one voicemail again, or a batch run made or resumed
    "delete",  # one voicemail deleted (API, admin)
    "erase",  # erasure of a caller's data
    "retention",  # audio or voicemails deleted by the retention policy
)


def record(
    session: Session, actor: str, action: str, voicemail_id: str | None = None, **detail: Any
) -> None:
    """Add an event to the caller's transaction (it commits with the change it describes)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEvent(at=utcnow(), actor=actor[:150], action=action, voicemail_id=voicemail_id, detail=detail)
    )


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    action: str | None = None
    voicemail_id: str | None = None


def events(session: Session, f: AuditFilter, limit: int = 1000) -> list[AuditEvent]:
    """Oldest first, within the filter."""
    query = select(AuditEvent)
    if f.since:
        query = query.where(AuditEvent.at >= f.since)
    if f.until:
        query = query.where(AuditEvent.at < f.until)
    if f.actor:
        query = query.where(AuditEvent.actor == f.actor)
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.voicemail_id:
        query = query.where(AuditEvent.voicemail_id == f.voicemail_id)
    return list(session.scalars(query.order_by(AuditEvent.at, AuditEvent.id).limit(limit)))
