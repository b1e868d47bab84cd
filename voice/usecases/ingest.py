"""Ingest: every way a voicemail arrives ends here. A JSON post, a multipart upload (``voice ingest asterisk``
posts those), and a Twilio recording callback each check their own input, then call ``ingest`` (or
``ingest_upload`` when the audio comes with the request), and shape the answer.

One place for what they share: the duplicate and Idempotency-Key checks and the per-key pending limit (both
in voice.storage.voicemails, in the insert's transaction), the uploaded audio on disk (written before the
row, removed again when no row will point at it), the commit, and telling the workers. Refusals are raised,
not answered: IdempotencyConflict, TooManyPending, VoicemailError (an upload over its limit), OSError (a full
disk: see ``disk_full``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.core.errors import VoicemailError
from voice.storage import db
from voice.storage.files import store_upload, voicemail_dir
from voice.storage.models import Status, Voicemail, new_id
from voice.storage.voicemails import (
    Accepted,
    CallInfo,
    IdempotencyConflict,
    TooManyPending,
    create_voicemail,
    pending_for_key,
)

# Tells the workers a voicemail was queued (the dispatcher's ``voicemail``); called after the commit.
Notify = Callable[[str], None]


@dataclass(frozen=True)
class Arrival:
    """A voicemail as its adapter checked it: the call, where the audio is, and who sent it."""

    call: CallInfo
    api_key_id: str | None = None
    audio_url: str | None = None
    fetch_auth: str | None = None  # how the worker authenticates to audio_url (a Twilio account)
    language_hint: str | None = None
    recording_id: str | None = None
    callback_url: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None  # tells a replay from another request under the same Idempotency-Key
    # A source may report the recording as absent or failed: the voicemail is stored already ended.
    status: str = Status.QUEUED
    status_reason: str | None = None
    pending_limit: int | None = None  # the key's limit of voicemails queued or in flight; None: no limit


def ingest(
    session: Session,
    arrival: Arrival,
    notify: Notify,
    *,
    voicemail_id: str | None = None,
    source_path: str | None = None,
    original_filename: str | None = None,
) -> Accepted:
    """Store the voicemail, or find the one this request already made, and commit; a new queued voicemail
    is announced to the workers. The JSON post's hot path: one insert statement group, no extra query."""
    stored = create_voicemail(
        session,
        arrival.call,
        audio_url=arrival.audio_url,
        original_filename=original_filename,
        language_hint=arrival.language_hint,
        voicemail_id=voicemail_id,
        source_path=source_path,
        recording_id=arrival.recording_id,
        callback_url=arrival.callback_url,
        fetch_auth=arrival.fetch_auth,
        api_key_id=arrival.api_key_id,
        idempotency_key=arrival.idempotency_key,
        request_hash=arrival.request_hash,
        status=arrival.status,
        status_reason=arrival.status_reason,
        pending_limit=arrival.pending_limit,
    )
    session.commit()
    if stored.created and stored.status == Status.QUEUED:
        notify(stored.id)
    return stored


def check_room(session: Session, api_key_id: str, limit: int) -> None:
    """TooManyPending when the key is at its limit already: an upload is refused before it is read (the
    insert counts again, in its transaction)."""
    if pending_for_key(session, api_key_id, limit) >= limit:
        raise TooManyPending(limit)


def disk_full(exc: BaseException) -> bool:
    """A full disk or quota: the client may try again later (any other OS error is a fault to fix)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def ingest_upload(
    sm: sessionmaker[Session],
    settings: Settings,
    arrival: Arrival,
    upload: BinaryIO,
    filename: str,
    described: dict[str, Any],
    notify: Notify,
) -> Accepted:
    """An upload: the audio is written under a new voicemail id, then the voicemail is stored (``ingest``,
    in its own session). Once the file is written, every failure (database error, idempotency conflict,
    pending limit, full disk) removes it again; a replay keeps the first post's file, not this one.
    ``described`` is the upload's checked fields as JSON: with the audio's digest, the request's hash."""
    vm_id = new_id()
    folder = voicemail_dir(settings, vm_id)
    try:
        path, digest = store_upload(settings, vm_id, upload, settings.api.max_upload_bytes)
        request_hash = hashlib.sha256(json.dumps([digest, described], sort_keys=True).encode()).hexdigest()
        stored = _save(sm, replace(arrival, request_hash=request_hash), notify, vm_id, str(path), filename)
    except Exception as exc:
        # No row points at the file (or the insert was rolled back): it would lie outside retention and
        # erasure. But a retried save may have committed before it failed, so an unexpected error removes the
        # file only once the database says there is no row; if it cannot say, the orphan sweep decides later.
        # (A cancelled request, a BaseException, leaves it to the sweep too: its save may have committed.)
        expected = isinstance(exc, VoicemailError | IdempotencyConflict | TooManyPending) or disk_full(exc)
        if expected or not _stored(sm, vm_id):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    if not stored.created:  # a replay: the first post's file is the one we keep
        shutil.rmtree(folder, True)
    return stored


@db.retry_on_disconnect
def _save(
    sm: sessionmaker[Session], arrival: Arrival, notify: Notify, vm_id: str, path: str, filename: str
) -> Accepted:
    """The database part of an upload, with its own session (run again once if the connection died)."""
    with sm() as session:
        return ingest(
            session, arrival, notify, voicemail_id=vm_id, source_path=path, original_filename=filename
        )


def _stored(sm: sessionmaker[Session], vm_id: str) -> bool:
    """Whether the voicemail's row exists; True when the database cannot tell (keep the file)."""
    try:
        with sm() as session:
            return session.scalar(select(Voicemail.id).where(Voicemail.id == vm_id)) is not None
    except Exception:  # noqa: BLE001 - unknown means keep: the orphan sweep removes it if no row appears
        return True
