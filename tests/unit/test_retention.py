"""Retention (voice/usecases/retention.py): audio after N days, everything after M days, per mailbox;
dry run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.seed import seed_voicemail, with_audio
from voice.core.config import Settings
from voice.storage.models import AuditEvent, CallRecord, Voicemail, utcnow
from voice.usecases import retention


def test_audio_then_everything_per_mailbox(sm: sessionmaker[Session], tmp_path: Path) -> None:
    mailboxes = {"sales": {"audio_days": 1}, "legal": {"delete_days": 0, "audio_days": 0}}
    settings = Settings(
        data_dir=tmp_path, retention={"audio_days": 30, "delete_days": 60, "mailboxes": mailboxes}
    )
    now = utcnow()
    ages = {  # name: (mailbox, days since received and processed)
        "old_audio": (None, 40),
        "recent": (None, 10),
        "sales_2d": ("sales", 2),
        "expired": (None, 70),
        "legal_hold": ("legal", 400),
    }
    ids, folders = {}, {}
    with sm() as session:
        for name, (mailbox, days) in ages.items():
            vm_id = seed_voicemail(session, mailbox=mailbox, text=f"transcript of {name}")
            folders[name] = with_audio(session, settings, vm_id)
            when = now - timedelta(days=days)
            session.execute(
                update(Voicemail).where(Voicemail.id == vm_id).values(created_at=when, finished_at=when)
            )
            ids[name] = vm_id
        session.commit()

    planned = retention.apply(sm, settings, now=now, dry_run=True)
    assert sorted(planned.audio) == sorted([ids["old_audio"], ids["sales_2d"]])
    assert planned.voicemails == [ids["expired"]]
    assert all(f.exists() for f in folders.values())  # a dry run deletes nothing

    done = retention.apply(sm, settings, now=now)
    assert sorted(done.audio) == sorted(planned.audio) and done.voicemails == planned.voicemails
    assert done.audio_files == 6  # two files each for three voicemails
    assert {name for name, f in folders.items() if f.exists()} == {"recent", "legal_hold"}
    with sm() as session:
        for name in ("old_audio", "sales_2d"):  # audio gone, transcript and summary kept
            vm = session.get(Voicemail, ids[name])
            assert vm is not None and vm.source_path is None and vm.audio_path is None
            assert vm.audio_deleted_at is not None and vm.status == "done"
            assert vm.current_revision is not None and vm.current_revision.text == f"transcript of {name}"
            assert vm.current_revision.summary is not None
            assert any("retention" in (e.detail or "") for e in vm.events)
        assert session.get(Voicemail, ids["expired"]) is None
        assert session.get(Voicemail, ids["legal_hold"]) is not None  # 0 keeps forever
        assert session.scalar(select(CallRecord.id).where(CallRecord.mailbox == "legal")) is not None
        trail = {(e.voicemail_id, e.detail.get("deleted")) for e in session.scalars(select(AuditEvent))}
        assert trail == {
            (ids["old_audio"], "audio"), (ids["sales_2d"], "audio"), (ids["expired"], "voicemail"),
        }  # fmt: skip
        assert all(e.actor == "system:retention" for e in session.scalars(select(AuditEvent)))

    again = retention.apply(sm, settings, now=now)
    assert again.audio == [] and again.voicemails == []  # nothing twice
