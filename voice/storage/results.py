"""A voicemail's processing result, written in the transaction that ends its job (voice/jobs/voicemails.py
holds the lease): the final status, the new revision made current, the history, and the outbox row that
tells the receiver. Nothing here checks the lease; the caller has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from voice.storage import outbox
from voice.storage.models import Summary, TranscriptRevision, Voicemail, VoicemailEvent, utcnow
from voice.storage.revisions import PriorityRule, make_current

# Runs once the final status is written, before the completion webhook's row (routing, from a layer above).
Then = Callable[[Session, str], object]


def finish_locked(
    session: Session, vm_id: str, status: str, reason: str | None, then: Then | None = None, **fields: Any
) -> None:
    """Final status and ``fields``, lease cleared, a history event, ``then(session, vm_id)`` (routing: so the
    webhook carries the team's assignee), and the completion webhook's row."""
    session.execute(
        update(Voicemail)
        .where(Voicemail.id == vm_id)
        .values(
            status=status,
            status_reason=reason,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=utcnow(),
            updated_at=utcnow(),
            **fields,
        )
    )
    session.add(VoicemailEvent(voicemail_id=vm_id, status=status, detail=reason))
    session.flush()
    if then is not None:
        then(session, vm_id)
    # The completion webhook is written in the same transaction (an outbox): never lost, never early.
    outbox.enqueue_completion(session, vm_id)


def record_result(
    session: Session,
    vm_id: str,
    status: str,
    reason: str | None = None,
    revision: TranscriptRevision | None = None,
    summary: Summary | None = None,
    priority_rule: PriorityRule | None = None,
    then: Then | None = None,
    **fields: Any,
) -> None:
    """End processing: final status, fields, and the new revision made current (``make_current``, with
    ``priority_rule``: required with a revision); not committed."""
    if revision is not None:
        if priority_rule is None:
            raise TypeError("a new revision needs the rule for its priority")
        make_current(session, vm_id, revision, summary, priority_rule)
    finish_locked(session, vm_id, status, reason, then, **fields)
