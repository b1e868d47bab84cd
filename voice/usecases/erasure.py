"""Erasure: a voicemail, or every voicemail and call record of a caller, gone from disk and database.

What goes: the audio files (source and normalised), the voicemail row and with it (foreign keys, ON DELETE
CASCADE) its transcript revisions, summaries, notes, history, webhook deliveries (their payloads hold the
transcript) and reprocess items; its search-index entry; the call record with its last voicemail. What stays:
one audit event saying what was erased, when and by whom, in counts and ids, without the content; and an
erased caller's number as its SHA-256 on the opt-out list for every sender: never messaged again.
SQLite overwrites deleted rows (secure_delete), its full-text index is rewritten and the WAL checkpointed;
PostgreSQL leaves dead tuples until (auto)vacuum.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.core.phone import to_e164
from voice.storage import audit, opt_outs
from voice.storage.ack_models import AckOptOut
from voice.storage.crm import sent_where
from voice.storage.files import voicemail_dir
from voice.storage.models import CallRecord, Status, TranscriptRevision, Voicemail, VoicemailNote
from voice.storage.voicemails import delete_voicemail


def delete_audio(settings: Settings, vm: Voicemail) -> int:
    """Delete a voicemail's audio files under the audio folder; return how many there were. Files outside
    it (a path given to the CLI) are not Voice's to delete."""
    root = settings.audio_dir.resolve()
    removed = 0
    folder = voicemail_dir(settings, vm.id)
    if folder.exists():
        removed += sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
    for name in (vm.source_path, vm.audio_path):
        path = Path(name).resolve() if name else None
        if path is not None and path.is_relative_to(root) and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _counts(session: Session, vm_id: str) -> dict[str, int]:
    revisions = select(func.count()).where(TranscriptRevision.voicemail_id == vm_id)
    notes = select(func.count()).where(VoicemailNote.voicemail_id == vm_id)
    return {"revisions": int(session.scalar(revisions) or 0), "notes": int(session.scalar(notes) or 0)}


class StillProcessing(RuntimeError):
    """The voicemail is being processed; erase it when it has finished."""


def erase_voicemail(
    session: Session, settings: Settings, vm: Voicemail, actor: str, action: str = "delete", **why: object
) -> dict[str, int]:
    """Erase one voicemail (files now, rows in the caller's transaction) and audit it; return the counts."""
    if vm.status in Status.IN_FLIGHT:
        raise StillProcessing(f"voicemail {vm.id} is being processed; try again when it has finished")
    counts = _counts(session, vm.id)
    counts["audio_files"] = delete_audio(settings, vm)
    call_id = vm.call_id
    delete_voicemail(session, vm)
    session.flush()
    counts["call_records"] = int(session.get(CallRecord, call_id) is None)
    audit.record(session, actor, action, vm.id, **counts, **why)
    return counts


@dataclass
class Erasure:
    caller: str
    voicemails: list[str] = field(default_factory=list)
    call_records: int = 0
    revisions: int = 0
    notes: int = 0
    audio_files: int = 0
    skipped: list[str] = field(default_factory=list)  # still processing
    # What was sent to CRMs (connector, kind, its ids there): erasing here does not erase there (docs/crm.md).
    sent_to_crm: list[dict[str, object]] = field(default_factory=list)


def masked(number: str) -> str:
    """A number as the audit trail may keep it: the country code and last two digits."""
    e164 = number if number.startswith("+") else f"+{number}"
    return e164[:2] + "•" * max(0, len(e164) - 4) + e164[-2:]


def erase_caller(
    sm: sessionmaker[Session], settings: Settings, number: str, actor: str, dry_run: bool = False
) -> Erasure:
    """Every voicemail and call record of a calling number (as given and as E.164)."""
    e164 = to_e164(number, settings.summary.default_region) or number
    report = Erasure(caller=masked(e164))
    with sm() as session:
        calls = list(session.scalars(select(CallRecord).where(CallRecord.from_number.in_({number, e164}))))
        for call in calls:
            for vm in list(call.voicemails):
                if vm.status in Status.IN_FLIGHT:
                    report.skipped.append(vm.id)
                    continue
                report.voicemails.append(vm.id)
                report.sent_to_crm += [
                    asdict(sent) | {"voicemail": vm.id} for sent in sent_where(session, vm.id)
                ]
                counts = (
                    _counts(session, vm.id)
                    if dry_run
                    else erase_voicemail(session, settings, vm, actor, "erase", caller=report.caller)
                )
                report.revisions += counts["revisions"]
                report.notes += counts["notes"]
                report.audio_files += counts.get("audio_files", 0)
                report.call_records += counts.get("call_records", 0)
            if not call.voicemails and not dry_run and session.get(CallRecord, call.id) is not None:
                session.delete(call)  # a call record with no voicemail left
                report.call_records += 1
        if not dry_run:
            if to_e164(number, settings.summary.default_region):
                # Never messaged again by any sender: the list keeps only the number's SHA-256.
                opt_outs.add(session, e164, [opt_outs.EVERY_SENDER], AckOptOut.ERASURE)
            audit.record(
                session,
                actor,
                "erase",
                None,
                caller=report.caller,
                voicemails=len(report.voicemails),
                call_records=report.call_records,
                revisions=report.revisions,
                notes=report.notes,
                audio_files=report.audio_files,
            )
            session.commit()
            purge(session)
    return report


def purge(session: Session) -> None:
    """SQLite: rewrite the full-text index without the deleted entries (FTS5 keeps deleted terms in its
    segments until a merge), then fold the WAL into the database and truncate it, so erased words linger
    in neither. Freed pages are overwritten (secure_delete). Call after the erasure is committed."""
    if session.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL: dead tuples go at the next (auto)vacuum; see README, Privacy and security
    session.execute(text("INSERT INTO voicemail_search(voicemail_search) VALUES('optimize')"))
    session.commit()
    session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
