"""Encryption at rest (voice/storage/vault.py): round trips at every chunk boundary, ranges, tampering,
truncation, wrong keys, rotation, and plaintext for ffmpeg that never touches the disk."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from voice.audio.normalise import ffmpeg_binary
from voice.storage import vault

C = vault.CHUNK


def _write(path: Path, data: bytes, keyring: vault.Keyring) -> None:
    with vault.writer(path, keyring) as out:
        for i in range(0, len(data), 10_000):  # in pieces, as a download arrives
            out.write(data[i : i + 10_000])


@pytest.mark.parametrize("size", [0, 1, C - 1, C, C + 1, 3 * C + 5])
def test_round_trip_and_ranges(tmp_path: Path, size: int) -> None:
    keyring = vault.Keyring(os.urandom(32))
    data = os.urandom(size)
    path = tmp_path / "a"
    _write(path, data, keyring)
    raw = path.read_bytes()
    assert vault.is_encrypted(path) and (size < 64 or data[:64] not in raw)
    assert vault.plain_size(path) == size
    assert b"".join(vault.iter_plain(path, keyring)) == data
    rng = random.Random(size)
    for _ in range(20):
        start = rng.randint(0, size)
        end = rng.randint(start, size)
        assert b"".join(vault.iter_plain(path, keyring, start, end)) == data[start:end]


def test_tampering_truncation_and_wrong_keys_are_refused(tmp_path: Path) -> None:
    keyring = vault.Keyring(os.urandom(32))
    path = tmp_path / "a"
    _write(path, os.urandom(3 * C), keyring)
    good = path.read_bytes()
    flipped = bytearray(good)
    flipped[vault.HEADER + C + 100] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(vault.VaultError, match="altered or cut short"):
        b"".join(vault.iter_plain(path, keyring))
    path.write_bytes(good[: vault.HEADER + 2 * (C + vault.NONCE + vault.TAG)])  # the last chunk dropped
    with pytest.raises(vault.VaultError, match="altered or cut short"):
        b"".join(vault.iter_plain(path, keyring))
    path.write_bytes(good)
    with pytest.raises(vault.VaultError, match="not configured"):
        b"".join(vault.iter_plain(path, vault.Keyring(os.urandom(32))))


def test_rotation_and_encrypting_old_plaintext(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    data = os.urandom(2 * C + 7)
    under_old, plain = tmp_path / "old", tmp_path / "plain"
    _write(under_old, data, vault.Keyring(old))
    plain.write_bytes(data)
    rotated = vault.Keyring(new, [old])
    assert vault.encrypt_file(under_old, rotated) and vault.encrypt_file(plain, rotated)
    assert not vault.encrypt_file(plain, rotated)  # already under the current key
    only_new = vault.Keyring(new)
    assert b"".join(vault.iter_plain(under_old, only_new)) == data
    assert b"".join(vault.iter_plain(plain, only_new)) == data


def test_ffmpeg_reads_the_plaintext_from_memory(tmp_path: Path) -> None:
    keyring = vault.Keyring(os.urandom(32))
    wav = tmp_path / "tone.wav"
    tone = ["-f", "lavfi", "-i", "sine=r=8000", "-t", "1"]
    subprocess.run([ffmpeg_binary(None), "-nostdin", "-y", "-loglevel", "error", *tone, str(wav)], check=True)
    stored = tmp_path / "stored"
    _write(stored, wav.read_bytes(), keyring)
    with vault.plain_path(stored, keyring) as readable:
        assert str(readable).startswith("/proc/")  # a memfd: the plaintext is never written to disk
        command = [ffmpeg_binary(None), "-nostdin", "-i", str(readable), "-f", "null", "-"]
        probe = subprocess.run(command, capture_output=True, text=True)
    assert probe.returncode == 0 and "pcm_s16le" in probe.stderr
    assert vault.parse_key("A" * 43 + "=") and len(vault.parse_key("A" * 43 + "=")) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        vault.parse_key("AAAA")


@pytest.mark.e2e
def test_encrypted_service_end_to_end(tmp_path: Path) -> None:
    """A server with a key: what lands on disk is ciphertext, the pipeline and the player still work, a
    re-run reads it, and a rotation re-encrypts it."""
    import base64
    import json
    import re

    import httpx

    from tests.support.audio import encode
    from tests.support.paths import VOICE
    from tests.support.serve import make_server
    from tests.support.speech import clip_path, reference, wer

    key, new_key = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    server = make_server(tmp_path, VOICE_STORAGE__ENCRYPTION_KEY=key)
    wav = encode(clip_path("en_arctic_a0010"), tmp_path / "call.wav", "-ar", "8000")
    server.start()
    try:
        with wav.open("rb") as f:
            upload = {"file": ("call.wav", f)}
            r = httpx.post(f"{server.url}/v1/voicemails", files=upload, headers=server.headers())
        vm_id = r.json()["id"]
        vm = server.wait(vm_id)
        assert vm["status"] == "done" and wer(reference("en_arctic_a0010"), vm["text"]) < 0.3
        folder = server.data_dir / "audio" / vm_id[:2] / vm_id
        stored = {p.name: p.read_bytes() for p in folder.iterdir()}
        assert set(stored) == {"source", "normalised.wav"}
        for blob in stored.values():  # ciphertext only: no WAV header anywhere
            assert blob.startswith(vault.MAGIC) and b"RIFF" not in blob and b"WAVE" not in blob

        password = "long enough password"
        server.cli("users", "create", "eve", "--role", "agent", "--password-stdin", input=password + "\n")
        with httpx.Client(base_url=server.url, timeout=30) as web:
            page = web.get("/login")
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert found is not None
            web.post("/login", data={"username": "eve", "password": password, "csrf_token": found.group(1)})
            whole = web.get(f"/voicemails/{vm_id}/audio")
            part = web.get(f"/voicemails/{vm_id}/audio", headers={"Range": "bytes=100-4195"})
        plain = b"".join(vault.iter_plain(folder / "normalised.wav", vault.Keyring(vault.parse_key(key))))
        assert whole.status_code == 200 and whole.content == plain and plain.startswith(b"RIFF")
        assert part.status_code == 206 and part.content == plain[100:4196]
        assert part.headers["content-range"] == f"bytes 100-4195/{len(plain)}"

        rerun = server.cli("reprocess", vm_id, "--model", "tiny.en").stdout  # reads the encrypted source
        assert "done: 1/1 ended (done 1" in rerun, rerun
    finally:
        server.stop()

    rotated = {**server.env, "VOICE_STORAGE__ENCRYPTION_KEY": new_key}
    rotated["VOICE_STORAGE__OLD_KEYS"] = json.dumps([key])
    command = [VOICE, "storage", "rekey"]
    out = subprocess.run(command, env=rotated, cwd=server.data_dir, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("encrypted 2 audio files with the current key"), out.stdout
    only_new = vault.Keyring(vault.parse_key(new_key))
    assert b"".join(vault.iter_plain(folder / "normalised.wav", only_new)) == plain


def test_voicemail_folders_are_private_whatever_the_umask(tmp_path: Path) -> None:
    """An app run without the CLI (another ASGI server) keeps umask 022; its audio folders are 0700 anyway,
    and an audio folder an older install left 0755 is closed."""
    from voice.core.config import Settings
    from voice.storage.files import make_voicemail_dir

    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    settings.audio_dir.mkdir(mode=0o755)
    settings.audio_dir.chmod(0o755)
    old = os.umask(0o022)
    try:
        folder = make_voicemail_dir(settings, "ab" + "0" * 30)
    finally:
        os.umask(old)
    for level in (settings.audio_dir, folder.parent, folder):
        assert oct(level.stat().st_mode & 0o777) == "0o700", level
