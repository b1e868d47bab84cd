"""A voicemail's processing as a job (kind VOICEMAIL): claimed fairly between API keys, moved through its
stages while its lease is held, and ended with its result in one transaction. A job taken over after a
crash can never write a second current revision: every write is a compare-and-set on the lease."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from voice.jobs import claiming
from voice.jobs.claiming import LeaseLost
from voice.jobs.kinds import VOICEMAIL
from voice.storage import results
from voice.storage.models import Summary, TranscriptRevision, VoicemailEvent, utcnow
from voice.storage.revisions import PriorityRule


def claim_next(sm: sessionmaker[Session], owner: str, lease_s: float) -> str | None:
    """Take a claimable voicemail, fair between API keys: first one of the key with the fewest held by
    workers, then of the key this process served least lately, then the oldest; so one client's backlog, or
    its slow audio server, cannot keep the workers from everyone else's. Its id, or None."""
    claimed = claiming.claim_next(sm, VOICEMAIL, owner, lease_s, fair=True)
    return None if claimed is None else str(claimed.id)


def advance(
    sm: sessionmaker[Session], vm_id: str, owner: str, status: str, detail: str | None = None, **fields: Any
) -> None:
    """Move a held voicemail to ``status`` (and set ``fields``), with a history event; LeaseLost if it is
    not held by ``owner`` any more."""
    with sm() as session:
        if not claiming.write_held(
            session, VOICEMAIL, vm_id, owner, status=status, updated_at=utcnow(), **fields
        ):
            session.rollback()
            raise LeaseLost(vm_id)
        session.add(VoicemailEvent(voicemail_id=vm_id, status=status, detail=detail))
        session.commit()


def finish(
    sm: sessionmaker[Session],
    vm_id: str,
    owner: str,
    status: str,
    reason: str | None = None,
    revision: TranscriptRevision | None = None,
    summary: Summary | None = None,
    priority_rule: PriorityRule | None = None,
    then: results.Then | None = None,
    **fields: Any,
) -> None:
    """End a held voicemail's job with its result (final status, fields, the new revision made current with
    ``priority_rule``, the completion webhook's row), in one transaction; LeaseLost if ``owner`` does not
    hold it. ``then(session, vm_id)`` runs in that transaction once the status is written, before the
    webhook's row (routing, from the layer above)."""
    with sm() as session:
        if not claiming.end(session, VOICEMAIL, vm_id, owner, updated_at=utcnow()):
            session.rollback()
            raise LeaseLost(vm_id)
        results.record_result(
            session, vm_id, status, reason, revision, summary, priority_rule, then=then, **fields
        )
        session.commit()
