"""Where a voicemail's audio lives on disk, and how an upload gets there (encrypted when a key is set)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import BinaryIO

from voice.core.config import Settings
from voice.core.errors import VoicemailError
from voice.storage import vault


def voicemail_dir(settings: Settings, vm_id: str) -> Path:
    # Paths come only from generated ids, never from client-supplied names.
    return settings.audio_dir / vm_id[:2] / vm_id


def make_voicemail_dir(settings: Settings, vm_id: str) -> Path:
    """The voicemail's folder, made 0700 at every level whatever the process's umask (an app run without the
    CLI, e.g. under another ASGI server, keeps the 022 default, and mkdir(parents=True) ignores mode)."""
    folder = voicemail_dir(settings, vm_id)
    vault.private_dir(settings.audio_dir)  # also closes one an older install left 0755
    for level in (folder.parent, folder):
        level.mkdir(mode=0o700, exist_ok=True)
    return folder


def save_stream(fileobj: BinaryIO, target: Path, max_bytes: int, keyring: vault.Keyring | None = None) -> str:
    """Copy ``fileobj`` to ``target`` (encrypted when ``keyring`` has a key); return the sha256 of what was
    read. Over ``max_bytes``, keep nothing and raise."""
    written = 0
    digest = hashlib.sha256()
    try:
        with vault.writer(target, keyring) as out:
            while chunk := fileobj.read(1 << 16):
                written += len(chunk)
                if written > max_bytes:
                    raise VoicemailError(f"the upload is larger than the {max_bytes} byte limit")
                digest.update(chunk)
                out.write(chunk)
    except VoicemailError:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def store_upload(settings: Settings, vm_id: str, fileobj: BinaryIO, max_bytes: int) -> tuple[Path, str]:
    """Copy an uploaded file under a generated name; return its path and sha256."""
    target_dir = voicemail_dir(settings, vm_id)
    target = target_dir / "source"
    try:
        make_voicemail_dir(settings, vm_id)
        return target, save_stream(fileobj, target, max_bytes, vault.keyring(settings.storage))
    except BaseException:  # too large, a full disk, anything: no partial file stays behind
        shutil.rmtree(target_dir, ignore_errors=True)
        raise
