"""Rows written straight into a database, as an earlier processing would have left them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session


def seed_voicemail(
    session: Session,
    *,
    source: Path | None = None,
    text: str = "Hi, this is an old transcript.",
    model: str = "base",
    language: str = "en",
    confidence: float = 0.9,
    mailbox: str | None = None,
    status: str = "done",
    intent: str | None = "other",
    from_number: str | None = None,
) -> str:
    """A voicemail as an earlier processing left it: done, with one revision and its summary, an agent's
    state, assignee and note. ``source`` is its stored audio (the file is used where it is)."""
    from voice.storage import search
    from voice.storage.models import Summary, TranscriptRevision, Voicemail, VoicemailNote
    from voice.storage.revisions import add_revision
    from voice.storage.voicemails import CallInfo, create_voicemail

    vm_id = create_voicemail(
        session,
        CallInfo(mailbox=mailbox, from_number=from_number),
        source_path=str(source) if source else None,
        original_filename=source.name if source else None,
    ).id
    rev = TranscriptRevision(
        engine="faster-whisper", model=model, language=language, text=text, confidence=confidence
    )
    summary = Summary(text=f"summary of: {text[:40]}", intent=intent, priority=10.0)
    rev_id = add_revision(session, vm_id, rev, summary)
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.status, vm.current_revision_id, vm.priority = status, rev_id, 10.0
    vm.duration_s = 3.0
    vm.agent_state, vm.assignee = "in_progress", "dana"
    session.add(VoicemailNote(voicemail_id=vm_id, author="dana", text="called once, no answer"))
    session.flush()
    search.reindex(session, vm_id)
    return vm_id


def with_audio(session: Session, settings: Any, vm_id: str) -> Path:
    """Give a seeded voicemail audio files where the pipeline keeps them."""
    from voice.storage.files import voicemail_dir
    from voice.storage.models import Voicemail

    folder = voicemail_dir(settings, vm_id)
    folder.mkdir(parents=True)
    (folder / "source").write_bytes(b"RIFF....WAVE" + b"\0" * 100)
    (folder / "normalised.wav").write_bytes(b"RIFF....WAVE" + b"\0" * 100)
    vm = session.get(Voicemail, vm_id)
    assert vm is not None
    vm.source_path, vm.audio_path = str(folder / "source"), str(folder / "normalised.wav")
    return folder
