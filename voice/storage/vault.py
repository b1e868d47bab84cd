"""Encryption at rest for stored audio: AES-256-GCM in fixed-size chunks, so a file can be written as it
streams in and read back from any byte (the player's Range requests) without decrypting all of it.

File layout: header = MAGIC (8) + key id (8: the first bytes of the key's SHA-256) + chunk size (4, big
endian); then chunks of nonce (12) + ciphertext + tag (16). Each chunk's associated data is the header, its
index and whether it is the last, so chunks cannot be reordered, dropped or the file cut short unnoticed.
Files without the header are plaintext (written before a key was configured); `voice storage rekey`
encrypts them, and re-encrypts files under an old key after a rotation.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from voice.core.config import StorageSettings

MAGIC = b"VOICEAE1"
CHUNK = 64 * 1024
NONCE, TAG = 12, 16
HEADER = len(MAGIC) + 8 + 4
log = logging.getLogger(__name__)


class VaultError(ValueError):
    """A stored file cannot be decrypted: no key for it, or it was altered or cut short."""


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


def parse_key(text: str) -> bytes:
    """A key as configured: 32 bytes in base64 (`openssl rand -base64 32` makes one)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise ValueError("an audio encryption key must be base64") from exc
    if len(key) != 32:
        raise ValueError(f"an audio encryption key must be 32 bytes (256 bits), not {len(key)}")
    return key


class Keyring:
    """The current key (new files are written with it) and old ones (read only, after a rotation)."""

    def __init__(self, current: bytes | None = None, old: list[bytes] | None = None) -> None:
        self.current = current
        self._keys = {_key_id(k): k for k in [*(old or []), *([current] if current else [])]}

    @property
    def enabled(self) -> bool:
        return self.current is not None

    @property
    def current_id(self) -> bytes | None:
        return _key_id(self.current) if self.current else None

    def key(self, key_id: bytes) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise VaultError("the audio is encrypted with a key that is not configured") from None


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", index, last)


class EncryptingWriter:
    """A write-only file that encrypts as it goes; ``close()`` writes the last chunk."""

    def __init__(self, path: Path, keyring: Keyring) -> None:
        assert keyring.current is not None
        self._aes = AESGCM(keyring.current)
        self._out = private_file(path)
        self._header = MAGIC + _key_id(keyring.current) + struct.pack(">I", CHUNK)
        self._out.write(self._header)
        self._buffer = bytearray()
        self._index = 0

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last chunk is marked
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, last: bool) -> None:
        nonce = os.urandom(NONCE)
        self._out.write(nonce + self._aes.encrypt(nonce, plain, _aad(self._header, self._index, last)))
        self._index += 1

    def close(self) -> None:
        if not self._out.closed:
            self._seal(bytes(self._buffer), last=True)
            self._out.close()

    def abort(self) -> None:
        self._out.close()

    def __enter__(self) -> EncryptingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.abort()


def private_file(path: Path) -> BinaryIO:
    """``path`` opened for writing (truncated), created readable by this user only whatever the umask."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def private_dir(path: Path) -> Path:
    """``path`` made if missing, and closed to group and others (existing installs were 0755): the data
    folder holds callers' voices, and the SQLite database its transcripts and webhook secrets."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(0o700)
        except OSError as exc:  # not its owner (a volume mounted as root): say so, but serve
            log.warning("%s is open to other users (mode %o) and cannot be changed: %s", path, mode, exc)
    return path


def writer(path: Path, keyring: Keyring | None) -> BinaryIO | EncryptingWriter:
    """Where stored audio is written: encrypted when a key is configured, else a plain file."""
    if keyring is not None and keyring.enabled:
        return EncryptingWriter(path, keyring)
    return private_file(path)


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def _layout(f: BinaryIO, size: int) -> tuple[bytes, bytes, int, int]:
    """(header, key id, chunk size, number of chunks) of an encrypted file."""
    header = f.read(HEADER)
    if len(header) != HEADER or not header.startswith(MAGIC):
        raise VaultError("not an encrypted audio file")
    key_id, chunk = header[8:16], struct.unpack(">I", header[16:20])[0]
    body = size - HEADER
    count = max(1, -(-body // (chunk + NONCE + TAG)))
    return header, key_id, chunk, count


def plain_size(path: Path) -> int:
    """The decrypted size of an encrypted file (or the size of a plain one)."""
    size = path.stat().st_size
    if not is_encrypted(path):
        return size
    with path.open("rb") as f:
        _, _, _, count = _layout(f, size)
    return size - HEADER - count * (NONCE + TAG)


def iter_plain(path: Path, keyring: Keyring, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Decrypted bytes ``start`` to ``end`` (exclusive; None: to the end), chunk by chunk."""
    size = path.stat().st_size
    with path.open("rb") as f:
        header, key_id, chunk, count = _layout(f, size)
        aes = AESGCM(keyring.key(key_id))
        stop = size - HEADER - count * (NONCE + TAG) if end is None else end
        first = start // chunk
        for index in range(first, count):
            if index * chunk >= stop:
                break
            f.seek(HEADER + index * (chunk + NONCE + TAG))
            sealed = f.read(chunk + NONCE + TAG)
            try:
                plain = aes.decrypt(sealed[:NONCE], sealed[NONCE:], _aad(header, index, index == count - 1))
            except InvalidTag:
                raise VaultError("the encrypted audio was altered or cut short") from None
            lo = max(0, start - index * chunk)
            hi = min(len(plain), stop - index * chunk)
            yield plain[lo:hi]


def encrypt_file(path: Path, keyring: Keyring) -> bool:
    """Encrypt a stored file in place with the current key (plaintext, or under an old key); True if it
    was rewritten. The new file replaces the old one atomically."""
    if not keyring.enabled:
        return False
    encrypted = is_encrypted(path)
    if encrypted:
        with path.open("rb") as f:
            if f.read(HEADER)[8:16] == keyring.current_id:
                return False
    tmp = path.with_name(path.name + ".sealing")
    with EncryptingWriter(tmp, keyring) as out:
        if encrypted:
            for piece in iter_plain(path, keyring):
                out.write(piece)
        else:
            with path.open("rb") as src:
                while piece := src.read(CHUNK):
                    out.write(piece)
    os.replace(tmp, path)
    return True


@contextlib.contextmanager
def plain_path(path: Path, keyring: Keyring | None) -> Iterator[Path]:
    """A path ffmpeg can read the plaintext from: the file itself when it is not encrypted, else a memory
    file (memfd; never on disk) holding the decrypted bytes, closed afterwards."""
    if not is_encrypted(path):
        yield path
        return
    if keyring is None:
        raise VaultError("the audio is encrypted and no key is configured")
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("voicemail-audio")
        try:
            for piece in iter_plain(path, keyring):
                os.write(fd, piece)
            yield Path(f"/proc/{os.getpid()}/fd/{fd}")
        finally:
            os.close(fd)
        return
    with tempfile.NamedTemporaryFile(prefix="voice-plain-") as tmp:  # not Linux: a private temp file
        for piece in iter_plain(path, keyring):
            tmp.write(piece)
        tmp.flush()
        yield Path(tmp.name)


def keyring(settings: StorageSettings) -> Keyring:
    """The configured keys: the current one encrypts, every one of them decrypts."""
    current = parse_key(settings.encryption_key.get_secret_value()) if settings.encryption_key else None
    return Keyring(current, [parse_key(k.get_secret_value()) for k in settings.old_keys])
