"""Retention: audio deleted N days after processing (transcript and summary kept), everything of a voicemail
M days after it was received; per mailbox, with a global default (VOICE_RETENTION__*). Deleted means gone
from disk and database (voice/erasure.py), with an audit event per voicemail.

`voice serve` applies it every ``interval_s`` in each process (deleting twice is harmless); `voice retention
run [--dry-run]` applies it (or shows what it would delete) at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice import audit, erasure
from voice.config import Settings
from voice.models import CallRecord, Status, Voicemail, VoicemailEvent, as_utc, utcnow

ACTOR = "system:retention"


@dataclass
class RetentionReport:
    audio: list[str] = field(default_factory=list)  # voicemails whose audio went (or would go)
    voicemails: list[str] = field(default_factory=list)  # voicemails deleted whole (or that would be)
    audio_files: int = 0
    dry_run: bool = False


def _due(
    session: Session,
    settings: Settings,
    when: Any,
    which: int,
    shortest: float,
    now: datetime,
    limit: int,
    *conditions: Any,
) -> list[str]:
    """Voicemails whose ``when`` is older than their mailbox's period (``which``: 0 audio, 1 everything).
    The shortest period of any mailbox bounds the query; each row is then held to its own mailbox's."""
    if not shortest:
        return []
    rows = session.execute(
        select(Voicemail.id, CallRecord.mailbox, when)
        .join(CallRecord, Voicemail.call_id == CallRecord.id)
        .where(Voicemail.status.in_(Status.FINAL), when < now - timedelta(days=shortest), *conditions)
        .order_by(when)
        .limit(limit)
    ).all()
    due = []
    for vm_id, mailbox, at in rows:
        days = settings.retention.days(mailbox)[which]
        if days and at is not None and as_utc(at) < now - timedelta(days=days):
            due.append(vm_id)
    return due


def apply(
    sm: sessionmaker[Session],
    settings: Settings,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int = 500,
) -> RetentionReport:
    """Delete what the policy says is due (at most ``limit`` voicemails of each kind per call)."""
    now = now or utcnow()
    r = settings.retention
    report = RetentionReport(dry_run=dry_run)
    own = list(r.mailboxes.values())
    shortest_audio = min((d for d in (r.audio_days, *(m.audio_days for m in own)) if d), default=0.0)
    shortest_delete = min((d for d in (r.delete_days, *(m.delete_days for m in own)) if d), default=0.0)
    with sm() as session:
        report.voicemails = _due(session, settings, Voicemail.created_at, 1, shortest_delete, now, limit)
        stored = or_(Voicemail.source_path.is_not(None), Voicemail.audio_path.is_not(None))
        audio = _due(
            session, settings, Voicemail.finished_at, 0, shortest_audio, now, limit,
            Voicemail.audio_deleted_at.is_(None), stored,
        )  # fmt: skip
        whole = set(report.voicemails)
        report.audio = [vm_id for vm_id in audio if vm_id not in whole]
        if dry_run:
            return report
        for vm_id in report.voicemails:
            vm = session.get(Voicemail, vm_id)
            if vm is not None:
                counts = erasure.erase_voicemail(
                    session, settings, vm, ACTOR, "retention", deleted="voicemail"
                )
                report.audio_files += counts["audio_files"]
                session.commit()
        for vm_id in report.audio:
            report.audio_files += _drop_audio(session, settings, vm_id, now)
            session.commit()
        if report.voicemails or report.audio:
            erasure.purge(session)
    return report


def _drop_audio(session: Session, settings: Settings, vm_id: str, now: datetime) -> int:
    vm = session.get(Voicemail, vm_id)
    if vm is None:
        return 0
    removed = erasure.delete_audio(settings, vm)
    session.execute(
        update(Voicemail)
        .where(Voicemail.id == vm_id)
        .values(source_path=None, audio_path=None, audio_deleted_at=now, updated_at=now)
    )
    session.add(
        VoicemailEvent(voicemail_id=vm_id, status=vm.status, detail="audio deleted by the retention policy")
    )
    audit.record(session, ACTOR, "retention", vm_id, deleted="audio", audio_files=removed)
    return removed
