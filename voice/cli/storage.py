"""`voice storage`: encryption at rest of stored audio files and of channels' secrets."""

from __future__ import annotations

from pathlib import Path

import typer

from voice.cli.common import err, session_factory
from voice.core.config import get_settings

app = typer.Typer(help="Stored audio and channels' secrets: encryption at rest.", no_args_is_help=True)


@app.command("rekey")
def storage_rekey() -> None:
    """Encrypt every stored audio file with the current key: plain files (written before a key was set)
    and files under an old key (after a rotation); and seal notification channels' secrets (SMTP passwords,
    webhook URLs, signing secrets) with it the same way. Safe to run again; run it with the service up."""
    from sqlalchemy import select

    from voice.storage import channels, vault
    from voice.storage.models import CrmConnector, Voicemail

    settings = get_settings()
    keyring = vault.keyring(settings.storage)
    if not keyring.enabled:
        raise typer.BadParameter("no key: set VOICE_STORAGE__ENCRYPTION_KEY first")

    rewritten = kept = 0
    sessions = session_factory()
    with sessions() as session:
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
    with sessions() as session:
        done = channels.reseal_all(session, keyring)
        session.commit()
    print(f"sealed {done.resealed} channels' secrets with the current key; {done.current} already were")
    with sessions() as session:
        crm = channels.reseal_all(session, keyring, CrmConnector)
        session.commit()
    print(f"sealed {crm.resealed} CRM connectors' secrets with the current key; {crm.current} already were")
    if done.unreadable or crm.unreadable:  # a key missing from old_keys: the rest is done, these wait for it
        names = ", ".join((*done.unreadable, *crm.unreadable))
        err.print(f"cannot open the secrets of {names}: no configured key opens them", markup=False)
        raise typer.Exit(1)
