"""`voice storage`: stored audio files (encryption at rest)."""

from __future__ import annotations

from pathlib import Path

import typer

from voice.cli.common import open_session
from voice.core.config import get_settings

app = typer.Typer(help="Stored audio: encryption at rest.", no_args_is_help=True)


@app.command("rekey")
def storage_rekey() -> None:
    """Encrypt every stored audio file with the current key: plain files (written before a key was set)
    and files under an old key (after a rotation). Safe to run again; run it with the service up."""
    from sqlalchemy import select

    from voice.storage import vault
    from voice.storage.models import Voicemail

    settings = get_settings()
    keyring = vault.keyring(settings.storage)
    if not keyring.enabled:
        raise typer.BadParameter("no key: set VOICE_STORAGE__ENCRYPTION_KEY first")

    rewritten = kept = 0
    with open_session() as session:
        rows = session.execute(select(Voicemail.source_path, Voicemail.audio_path)).all()
    for row in rows:
        for name in row:
            path = Path(name) if name else None
            if path is None or not path.is_file():
                continue
            if vault.encrypt_file(path, keyring):
                rewritten += 1
            else:
                kept += 1
    print(f"encrypted {rewritten} audio files with the current key; {kept} already were")
