"""Retention: audio deleted N days after processing (transcript and summary kept), everything of a voicemail
M days after it was received; per mailbox, with a global default (VOICE_RETENTION__*). Deleted means gone
from disk and database (voice/erasure.py), with an audit event per voicemail.

`voice serve` applies it every ``interval_s`` in each process (deleting twice is harmless); `voice retention
run [--dry-run]` applies it (or shows what it would delete) at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice import audit, erasure
from voice.config import Settings
from voice.models import CallRecord, Status, Voicemail, VoicemailEvent, utcnow

ACTOR = "system:retention"


@dataclass
class RetentionReport:
    audio: list[str] = field(default_factory=list)  # voicemails whose audio went (or would go)
    voicemails: list[str] = field(default_factory=list)  # voicemails deleted whole (or that would be)
    audio_files: int = 0
    dry_run: bool = False


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    # The shortest period of any mailbox bounds the query; each row is then held to its own mailbox's.
    own = list(r.mailboxes.values())
    shortest_audio = min((d for d in (r.audio_days, *(m.audio_days for m in own)) if d), default=0.0)
    shortest_delete = min((d for d in (r.delete_days, *(m.delete_days for m in own)) if d), default=0.0)
    with sm() as session:
        if shortest_delete:
            rows = session.execute(
                select(Voicemail.id, CallRecord.mailbox, Voicemail.created_at)
                .join(CallRecord, Voicemail.call_id == CallRecord.id)
                .where(
                    Voicemail.status.in_(Status.FINAL),
                    Voicemail.created_at < now - timedelta(days=shortest_delete),
                )
                .order_by(Voicemail.created_at)
                .limit(limit)
            ).all()
            for vm_id, mailbox, created in rows:
                days = r.days(mailbox)[1]
                if days and _aware(created) < now - timedelta(days=days):
                    report.voicemails.append(vm_id)
        if shortest_audio:
            finished_rows = session.execute(
                select(Voicemail.id, CallRecord.mailbox, Voicemail.finished_at)
                .join(CallRecord, Voicemail.call_id == CallRecord.id)
                .where(
                    Voicemail.status.in_(Status.FINAL),
                    Voicemail.audio_deleted_at.is_(None),
                    or_(Voicemail.source_path.is_not(None), Voicemail.audio_path.is_not(None)),
                    Voicemail.finished_at < now - timedelta(days=shortest_audio),
                )
                .order_by(Voicemail.finished_at)
                .limit(limit)
            ).all()
            whole = set(report.voicemails)
            for vm_id, mailbox, finished in finished_rows:
                days = r.days(mailbox)[0]
                if vm_id in whole or not days or finished is None:
                    continue
                if _aware(finished) < now - timedelta(days=days):
                    report.audio.append(vm_id)
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
