"""Retention: audio deleted N days after processing (transcript and summary kept), everything of a voicemail
M days after it was received; per mailbox, with a global default (VOICE_RETENTION__*). Deleted means gone
from disk and database (voice/usecases/erasure.py), with an audit event per voicemail.

`voice serve` applies it every ``interval_s`` in each process (deleting twice is harmless); `voice retention
run [--dry-run]` applies it (or shows what it would delete) at once. Both also sweep orphaned audio: a
voicemail folder with no voicemail row (an upload whose insert failed, a crash between the two), once it is
older than ``orphan_after_s`` (an upload in progress has its folder before its row).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.storage import audit
from voice.storage.models import (
    VOICEMAIL_ID_PATTERN,
    CallRecord,
    Status,
    Voicemail,
    VoicemailEvent,
    as_utc,
    utcnow,
)
from voice.usecases import erasure

ACTOR = "system:retention"
log = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    audio: list[str] = field(default_factory=list)  # voicemails whose audio went (or would go)
    voicemails: list[str] = field(default_factory=list)  # voicemails deleted whole (or that would be)
    audio_files: int = 0
    dry_run: bool = False
    orphans: list[str] = field(default_factory=list)  # folders with no voicemail row, removed (or would be)


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
            report.orphans = _sweep_orphans(sm, settings, now, dry_run)
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
    report.orphans = _sweep_orphans(sm, settings, now, dry_run)
    return report


_VM_ID = re.compile(VOICEMAIL_ID_PATTERN)
_BATCH = 500
_SWEEP_SANITY = 10  # orphans at once that are always believable, whatever the share


def _newest(folder: Path) -> float:
    """The latest change in a voicemail folder (the folder or any file in it), as a timestamp."""
    times = [folder.stat().st_mtime]
    times += [p.stat().st_mtime for p in folder.rglob("*")]
    return max(times)


def _sweep_orphans(sm: sessionmaker[Session], settings: Settings, now: datetime, dry_run: bool) -> list[str]:
    """Remove voicemail folders (audio/<2>/<id>) that no voicemail row names and nothing touched for
    ``orphan_after_s``; return their ids. Names come from a directory scan (no stat per folder); only
    folders without a row are stat-ed."""
    root = settings.audio_dir
    if not root.is_dir():
        return []
    found = _voicemail_folders(root)
    names = sorted(found)
    known = _with_rows(sm, names)
    cutoff = now.timestamp() - settings.retention.orphan_after_s
    swept = [name for name in names if name not in known and _untouched_since(found[name], cutoff)]
    if len(swept) > max(_SWEEP_SANITY, len(names) // 2):
        # Orphans are the odd crashed upload. Most folders without a row means this process is looking at
        # another database than the one that owns these files (VOICE_DATABASE_URL unset in a shell, an old
        # SQLite file beside a PostgreSQL install): deleting would erase real voicemails' audio.
        log.warning(
            "not sweeping: %d of %d audio folders have no voicemail in this database; is VOICE_DATABASE_URL "
            "the one that owns %s?",
            len(swept),
            len(names),
            root,
        )
        return []
    if not dry_run:
        _remove_orphans(sm, found, swept)
    return swept


def _voicemail_folders(root: Path) -> dict[str, Path]:
    """Every folder audio/<2>/<id> whose name is a voicemail id in its own shard, by id."""
    found: dict[str, Path] = {}
    with os.scandir(root) as shards:
        for shard in shards:
            if not (shard.is_dir(follow_symlinks=False) and len(shard.name) == 2):
                continue
            with os.scandir(shard.path) as folders:
                for entry in folders:
                    if (
                        entry.name[:2] == shard.name
                        and _VM_ID.fullmatch(entry.name)
                        and entry.is_dir(follow_symlinks=False)
                    ):
                        found[entry.name] = Path(entry.path)
    return found


def _with_rows(sm: sessionmaker[Session], names: list[str]) -> set[str]:
    """The ids in ``names`` that have a voicemail row, asked in batches."""
    known: set[str] = set()
    with sm() as session:
        for i in range(0, len(names), _BATCH):
            batch = names[i : i + _BATCH]
            known.update(session.scalars(select(Voicemail.id).where(Voicemail.id.in_(batch))))
    return known


def _untouched_since(folder: Path, cutoff: float) -> bool:
    try:
        return _newest(folder) < cutoff
    except FileNotFoundError:  # removed meanwhile (erased, or another replica swept it)
        return False


def _remove_orphans(sm: sessionmaker[Session], found: dict[str, Path], swept: list[str]) -> None:
    for name in swept:
        shutil.rmtree(found[name], ignore_errors=True)
    if swept:
        with sm() as session:
            for name in swept:
                audit.record(session, ACTOR, "retention", name, deleted="orphaned audio")
            session.commit()


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
