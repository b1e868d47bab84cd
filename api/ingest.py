"""The HTTP side of ingest for POST /v1/voicemails: a JSON post (the hot path: key check, validation and
insert in one thread-pool call and one short transaction) and a multipart upload (fields checked before the
file is written). Each checks its input, calls the ingest use case (voice.usecases.ingest) and shapes the
answer; its refusals become 413 (an upload or call metadata over its limit), 422, 429 (the key's pending
voicemails) and 507 (a full disk)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import schemas
from api.auth import check_key
from api.schemas import CallIn, UploadFields, VoicemailIn
from voice.audio import urlguard
from voice.audio.fetch import check_audio_url
from voice.core import inputs
from voice.core.config import Settings
from voice.core.errors import VoicemailError
from voice.core.phone import to_e164
from voice.core.rate_limits import RateLimiter
from voice.storage import db
from voice.storage.keys import Principal
from voice.storage.models import Role
from voice.storage.voicemails import Accepted, CallInfo, IdempotencyConflict, TooManyPending
from voice.usecases import ingest


def call_info(call: CallIn, settings: Settings) -> CallInfo:
    """The call to store; 413 when its metadata is over limits.max_metadata_bytes (every ingest path comes
    here: metadata is shown on every list page, so the body limit alone is far too much)."""
    # CallIn's field names are CallInfo's (the aliases "from"/"to" exist only on the wire).
    info = call.model_dump()
    raw = info["from_number"]
    e164 = to_e164(raw, settings.summary.default_region)
    if e164 and e164 != raw:  # one form for every caller, so filters and repeat-caller checks match
        info["from_number"] = e164
        info["metadata"] = {**info["metadata"], "from_as_received": raw}
    cap = settings.limits.max_metadata_bytes
    size = len(json.dumps(info["metadata"], separators=(",", ":"), ensure_ascii=False).encode())
    if size > cap:
        raise HTTPException(413, f"the call's metadata is {size} bytes as JSON; the limit is {cap} bytes")
    return CallInfo(**info)


def too_many(exc: TooManyPending) -> HTTPException:
    return HTTPException(429, str(exc), {"Retry-After": "30"})


def disk_full(exc: OSError) -> HTTPException | None:
    """507 with Retry-After for a full disk or quota; None for other OS errors (a 500: a fault to fix)."""
    if ingest.disk_full(exc):
        return HTTPException(507, "the server's disk is full; try again later", {"Retry-After": "300"})
    return None


def refused(exc: Exception) -> HTTPException | None:
    """The answer to a refusal of the ingest use case; None for an error that is a fault (a 500)."""
    if isinstance(exc, VoicemailError):  # only an upload over its limit gets this far
        return HTTPException(413, str(exc))
    if isinstance(exc, IdempotencyConflict):
        return HTTPException(422, str(exc))
    if isinstance(exc, TooManyPending):
        return too_many(exc)
    if isinstance(exc, OSError):
        return disk_full(exc)
    return None


def answer(response: Response, stored: Accepted, location: bool = True) -> schemas.Accepted:
    """The answer to a post: a replay says so, and where the voicemail is."""
    if not stored.created:
        response.headers["Idempotent-Replayed"] = "true"
    if location:
        response.headers["Location"] = f"/v1/voicemails/{stored.id}"
    return schemas.Accepted(id=stored.id, status=stored.status)


def upload_fields(form: Any) -> UploadFields:
    """The form's fields other than the file, checked as a JSON post's are (422 with the reason)."""
    values: dict[str, Any] = {}
    try:
        for name in ("call", "language", "recording_id", "callback_url"):
            value = form.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise inputs.InputError(f"'{name}' must be a form field, not a file")
            if name == "call":
                values[name] = inputs.loads(value, "'call'")
            else:
                values[name] = inputs.check_text(value, f"'{name}'", one_line=True)
    except inputs.InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        return UploadFields.model_validate(values)
    except ValidationError as exc:
        raise HTTPException(422, json.loads(exc.json(include_url=False))) from exc


def check_callback(url: str | None, settings: Settings) -> None:
    if url:
        try:
            urlguard.check_url(url, settings.fetch.allow_networks, what="callback_url")
        except VoicemailError as exc:
            raise HTTPException(422, str(exc)) from exc


_MAX_FORM_FIELDS = 16  # four are read; more are refused before they take memory


async def post_upload(
    request: Request,
    who: Principal,
    settings: Settings,
    sm: sessionmaker[Session],
    idempotency_key: str | None,
) -> Accepted:
    """A multipart upload: fields checked before the file is written, then the ingest use case (which
    writes the file, and removes it again on any failure after)."""
    field_cap = settings.limits.max_body_bytes
    try:
        # Form fields are held in memory (files are spooled to disk): cap each one, and how many.
        form = await request.form(max_part_size=field_cap, max_fields=_MAX_FORM_FIELDS)
    except StarletteHTTPException as exc:  # Starlette's 400 for a form it will not parse
        if "exceeded maximum size" in str(exc.detail):
            raise HTTPException(
                413, f"a form field other than 'file' is larger than {field_cap} bytes"
            ) from exc
        raise HTTPException(422, f"the multipart body is not valid: {exc.detail}") from exc
    except OSError as exc:  # the upload is spooled to the temporary folder first, which can be full too
        if (full := disk_full(exc)) is not None:
            raise full from exc
        raise
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise HTTPException(422, "multipart upload needs a 'file' part")
    fields = upload_fields(form)
    arrival = ingest.Arrival(
        call_info(fields.call, settings),
        api_key_id=who.key_id,
        language_hint=fields.language,
        recording_id=fields.recording_id,
        callback_url=fields.callback_url,
        idempotency_key=idempotency_key,
        pending_limit=settings.limits.pending_per_key,
    )
    check_callback(fields.callback_url, settings)
    try:
        return await run_in_threadpool(
            ingest.ingest_upload,
            sm,
            settings,
            arrival,
            upload.file,
            inputs.printable(upload.filename or "")[:255],
            fields.model_dump(mode="json"),
            request.app.state.dispatch.voicemail,
        )
    except Exception as exc:
        if (http := refused(exc)) is not None:
            raise http from exc
        raise


@db.retry_on_disconnect
def post_json(
    sm: sessionmaker[Session],
    settings: Settings,
    credentials: HTTPAuthorizationCredentials | None,
    raw: bytes,
    idempotency_key: str | None,
    limiter: RateLimiter | None,
    notify: ingest.Notify,
) -> Accepted:
    """A JSON post, the ingest hot path: key check, validation and insert in one thread-pool call and
    one short session (no connection held while the request waits for a thread; one pool checkout)."""
    with sm() as session:
        who = check_key(session, credentials, Role.INGEST, limiter)
        try:
            body = VoicemailIn.model_validate_json(raw)
        except ValidationError as exc:
            raise HTTPException(422, json.loads(exc.json(include_url=False))) from exc
        try:
            check_audio_url(body.audio_url, settings.fetch)
        except VoicemailError as exc:
            raise HTTPException(422, str(exc)) from exc
        check_callback(body.callback_url, settings)
        arrival = ingest.Arrival(
            call_info(body.call, settings),
            api_key_id=who.key_id,
            audio_url=body.audio_url,
            language_hint=body.language,
            recording_id=body.recording_id,
            callback_url=body.callback_url,
            idempotency_key=idempotency_key,
            request_hash=hashlib.sha256(body.model_dump_json().encode()).hexdigest(),
            # Counted under a lock on the key, in the insert's transaction: concurrent posts cannot all pass.
            pending_limit=settings.limits.pending_per_key,
        )
        try:
            return ingest.ingest(session, arrival, notify)
        except IdempotencyConflict as exc:
            raise HTTPException(422, str(exc)) from exc
        except TooManyPending as exc:
            raise too_many(exc) from exc


def check_pending_in(sm: sessionmaker[Session], who: Principal, settings: Settings) -> None:
    """429 before an upload is read when the key is at its limit already (the insert counts again)."""
    with sm() as session:
        try:
            ingest.check_room(session, who.key_id, settings.limits.pending_per_key)
        except TooManyPending as exc:
            raise too_many(exc) from exc
