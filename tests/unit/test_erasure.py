"""Erasure (voice/usecases/erasure.py): a caller's voicemails gone from disk and database, an audit
event without the content, and on SQLite not even left in the file's free pages."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail, with_audio
from voice.core.config import Settings
from voice.storage.models import (
    AuditEvent,
    CallRecord,
    Summary,
    TranscriptRevision,
    Voicemail,
    VoicemailEvent,
    VoicemailNote,
)
from voice.usecases import erasure

SECRET = "zebra quartz seventy seven thirty one"  # words that must not survive the erasure anywhere


def test_erase_a_caller(sm: sessionmaker[Session], tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with sm() as session:
        theirs = [
            seed_voicemail(session, from_number="+12125550134", text=f"{SECRET} number {i}") for i in range(3)
        ]
        other = seed_voicemail(session, from_number="+12125550199", text="someone else")
        folders = [with_audio(session, settings, vm_id) for vm_id in [*theirs, other]]
        session.commit()

    found = erasure.erase_caller(sm, settings, "(212) 555-0134", "cli:test", dry_run=True)
    assert sorted(found.voicemails) == sorted(theirs) and found.revisions == 3 and found.notes == 3
    assert all(f.exists() for f in folders)  # a dry run changes nothing

    done = erasure.erase_caller(sm, settings, "(212) 555-0134", "cli:test")
    assert sorted(done.voicemails) == sorted(theirs)
    assert (done.call_records, done.revisions, done.notes, done.audio_files) == (3, 3, 3, 6)
    assert done.caller == "+1••••••••34"
    assert [f.exists() for f in folders] == [False, False, False, True]
    with sm() as session:
        for model, column in (
            (Voicemail, Voicemail.id),
            (TranscriptRevision, TranscriptRevision.voicemail_id),
            (VoicemailNote, VoicemailNote.voicemail_id),
            (VoicemailEvent, VoicemailEvent.voicemail_id),
        ):
            assert session.scalar(select(func.count()).select_from(model).where(column.in_(theirs))) == 0
        assert session.scalar(select(func.count()).select_from(Summary)) == 1  # the other caller's
        numbers = set(session.scalars(select(CallRecord.from_number)))
        assert numbers == {"+12125550199"}
        indexed = set(session.scalars(text("SELECT voicemail_id FROM voicemail_search")))
        assert indexed == {other}
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        expected = [*(("erase", v) for v in theirs), ("erase", None)]
        assert [(e.action, e.voicemail_id) for e in events] == expected
        assert events[-1].detail == {
            "caller": "+1••••••••34", "voicemails": 3, "call_records": 3, "revisions": 3, "notes": 3,
            "audio_files": 6,
        }  # fmt: skip
        assert all(e.actor == "cli:test" for e in events)
        trail = json.dumps([e.detail for e in events])
        assert "5550134" not in trail and "zebra" not in trail  # what was erased, not the erased content

    if sm.kw["bind"].dialect.name == "sqlite":  # type: ignore[union-attr]
        # Gone from the file too: rows overwritten, the full-text index rewritten (FTS5 keeps deleted terms
        # in its segments until a merge), the WAL folded in and truncated.
        db_file = tmp_path / "voice.db"
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("voice.db*"))
        assert db_file.exists() and b"zebra" not in raw and b"quartz" not in raw and b"someone else" in raw


def test_a_voicemail_being_processed_is_not_erased(sm: sessionmaker[Session], tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with sm() as session:
        vm_id = seed_voicemail(session, from_number="+12125550111")
        session.get(Voicemail, vm_id).status = "transcribing"  # type: ignore[union-attr]
        session.commit()
    done = erasure.erase_caller(sm, settings, "+12125550111", "cli:test")
    assert done.voicemails == [] and done.skipped == [vm_id]
    with sm() as session:
        assert session.get(Voicemail, vm_id) is not None
