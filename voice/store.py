"""Reading and writing voicemails. The database is the source of truth for every job's state.

A worker owns a voicemail through a lease (owner token + expiry). Every state change is a
compare-and-set on that token, so a job that was taken over after a crash can never write a
second current revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from voice.models import CallRecord, Status, Summary, TranscriptRevision, Voicemail, VoicemailEvent, utcnow


class LeaseLost(RuntimeError):
    """Another worker took this voicemail over (our lease expired); stop without writing."""


@dataclass(frozen=True)
class CallInfo:
    external_id: str | None = None
    source: str = "api"
    from_number: str | None = None
    to_number: str | None = None
    mailbox: str | None = None
    started_at: datetime | None = None
    duration_s: float | None = None
    metadata: dict[str, Any] | None = None


def create_voicemail(
    session: Session,
    call: CallInfo,
    *,
    audio_url: str | None = None,
    original_filename: str | None = None,
    language_hint: str | None = None,
    voicemail_id: str | None = None,
) -> Voicemail:
    record = CallRecord(
        external_id=call.external_id,
        source=call.source,
        from_number=call.from_number,
        to_number=call.to_number,
        mailbox=call.mailbox,
        started_at=call.started_at,
        duration_s=call.duration_s,
        meta=call.metadata or {},
    )
    vm = Voicemail(
        call=record,
        audio_url=audio_url,
        original_filename=original_filename,
        language_hint=language_hint,
        status=Status.QUEUED,
    )
    if voicemail_id:
        vm.id = voicemail_id
    session.add_all([record, vm])
    session.flush()
    session.add(VoicemailEvent(voicemail_id=vm.id, status=Status.QUEUED, detail="received"))
    return vm


def _claimable(now: datetime) -> Any:
    return or_(
        Voicemail.status == Status.QUEUED,
        # In flight with an expired lease: its worker died (kill -9, power loss); take it over.
        Voicemail.status.in_(Status.IN_FLIGHT) & (Voicemail.lease_expires_at < now),
    )


def claim_next(sm: sessionmaker[Session], owner: str, lease_s: float, max_attempts: int) -> str | None:
    """Take the oldest claimable voicemail; return its id, or None when there is nothing to do."""
    with sm() as session:
        for _ in range(5):
            now = utcnow()
            vm_id = session.scalar(
                select(Voicemail.id).where(_claimable(now)).order_by(Voicemail.created_at).limit(1)
            )
            if vm_id is None:
                return None
            result = session.execute(
                update(Voicemail)
                .where(Voicemail.id == vm_id, _claimable(now))
                .values(
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=Voicemail.attempts + 1,
                )
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                attempts = session.scalar(select(Voicemail.attempts).where(Voicemail.id == vm_id)) or 0
                if attempts > max_attempts:
                    _finish_locked(
                        session,
                        vm_id,
                        Status.FAILED,
                        f"processing was interrupted {attempts - 1} times; giving up on this voicemail",
                    )
                    session.commit()
                    continue
                session.commit()
                return vm_id
            session.rollback()  # someone else won the race; try the next one
    return None


def renew_lease(sm: sessionmaker[Session], vm_id: str, owner: str, lease_s: float) -> bool:
    with sm() as session:
        result = session.execute(
            update(Voicemail)
            .where(Voicemail.id == vm_id, Voicemail.lease_owner == owner)
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
        )
        session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def advance(
    sm: sessionmaker[Session], vm_id: str, owner: str, status: str, detail: str | None = None, **fields: Any
) -> None:
    """Move an owned voicemail to ``status`` (and set ``fields``) or raise LeaseLost."""
    with sm() as session:
        result = session.execute(
            update(Voicemail)
            .where(Voicemail.id == vm_id, Voicemail.lease_owner == owner)
            .values(status=status, updated_at=utcnow(), **fields)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(vm_id)
        session.add(VoicemailEvent(voicemail_id=vm_id, status=status, detail=detail))
        session.commit()


def _finish_locked(session: Session, vm_id: str, status: str, reason: str | None, **fields: Any) -> None:
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


def finish(
    sm: sessionmaker[Session],
    vm_id: str,
    owner: str,
    status: str,
    reason: str | None = None,
    revision: TranscriptRevision | None = None,
    summary: Summary | None = None,
    **fields: Any,
) -> None:
    """End processing: final status, fields, and the new revision made current, in one transaction."""
    with sm() as session:
        owned = session.execute(
            update(Voicemail)
            .where(Voicemail.id == vm_id, Voicemail.lease_owner == owner)
            .values(updated_at=utcnow())
        )
        if owned.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise LeaseLost(vm_id)
        if revision is not None:
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
            fields["current_revision_id"] = revision.id
        _finish_locked(session, vm_id, status, reason, **fields)
        session.commit()


def get_voicemail(session: Session, vm_id: str) -> Voicemail | None:
    return session.scalar(
        select(Voicemail)
        .where(Voicemail.id == vm_id)
        .options(
            selectinload(Voicemail.call),
            selectinload(Voicemail.events),
            selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
        )
    )


def list_voicemails(
    session: Session, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[Voicemail]:
    query = select(Voicemail).options(
        selectinload(Voicemail.call),
        selectinload(Voicemail.current_revision).selectinload(TranscriptRevision.summary),
    )
    if status:
        query = query.where(Voicemail.status == status)
    query = query.order_by(Voicemail.created_at.desc(), Voicemail.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Voicemail.status, func.count()).group_by(Voicemail.status))
    return {status: int(n) for status, n in rows}
