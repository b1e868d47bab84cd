"""POST /v1/voicemails (URL or upload), GET list and detail."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import get_session, get_settings
from api.schemas import (
    Accepted,
    CallIn,
    CallOut,
    EventOut,
    SegmentOut,
    SummaryOut,
    TranscriptOut,
    VoicemailDetail,
    VoicemailIn,
    VoicemailList,
    VoicemailOut,
)
from voice import store
from voice.config import Settings
from voice.errors import VoicemailError
from voice.fetch import check_url
from voice.models import Status, Voicemail, new_id
from voice.pipeline import store_upload

StatusName = Literal[
    "queued", "fetching", "normalising", "transcribing", "summarising", "done", "no_speech", "failed"
]

router = APIRouter(prefix="/v1/voicemails", tags=["voicemails"])


def _call_info(call: CallIn) -> store.CallInfo:
    # CallIn's field names are CallInfo's (the aliases "from"/"to" exist only on the wire).
    return store.CallInfo(**call.model_dump())


def _summary(vm: Voicemail) -> SummaryOut | None:
    rev = vm.current_revision
    if rev is None or rev.summary is None:
        return None
    s = rev.summary
    return SummaryOut(
        text=s.text, caller_name=s.caller_name, callback_number=s.callback_number, request=s.request
    )


def _out(vm: Voicemail) -> dict[str, Any]:
    c = vm.call
    return dict(
        id=vm.id,
        status=vm.status,
        status_reason=vm.status_reason,
        created_at=vm.created_at,
        finished_at=vm.finished_at,
        duration_s=vm.duration_s,
        source=vm.source_info or {},
        call=CallOut(
            id=c.id,
            external_id=c.external_id,
            source=c.source,
            from_number=c.from_number,
            to_number=c.to_number,
            mailbox=c.mailbox,
            started_at=c.started_at,
            duration_s=c.duration_s,
            metadata=c.meta or {},
        ),
        summary=_summary(vm),
        text=vm.current_revision.text if vm.current_revision else None,
    )


def _accepted(request: Request, response: Response, vm_id: str) -> Accepted:
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.notify()
    response.headers["Location"] = f"/v1/voicemails/{vm_id}"
    return Accepted(id=vm_id, status=Status.QUEUED)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/VoicemailIn"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "call": {"type": "string", "description": "call record as JSON"},
                            "language": {"type": "string"},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def create_voicemail(
    request: Request,
    response: Response,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Accepted:
    """Queue a voicemail: JSON with ``audio_url`` and a call record, or a multipart upload."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=settings.api.max_upload_bytes)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "multipart upload needs a 'file' part")
        try:
            call = CallIn.model_validate(json.loads(str(form.get("call") or "{}")))
        except (ValueError, ValidationError) as exc:
            raise HTTPException(422, f"'call' must be a JSON call record: {exc}") from exc
        language = str(form["language"]) if form.get("language") else None
        vm_id = new_id()
        try:
            path = store_upload(settings, vm_id, upload.file, settings.api.max_upload_bytes)
        except VoicemailError as exc:
            raise HTTPException(413, str(exc)) from exc
        vm = store.create_voicemail(
            session,
            _call_info(call),
            original_filename=(upload.filename or "")[:255],
            language_hint=language,
            voicemail_id=vm_id,
        )
        vm.source_path = str(path)
    else:
        try:
            body = VoicemailIn.model_validate_json(await request.body())
        except ValidationError as exc:
            raise HTTPException(422, json.loads(exc.json(include_url=False))) from exc
        try:
            check_url(body.audio_url)
        except VoicemailError as exc:
            raise HTTPException(422, str(exc)) from exc
        vm = store.create_voicemail(
            session, _call_info(body.call), audio_url=body.audio_url, language_hint=body.language
        )
    session.commit()
    return _accepted(request, response, vm.id)


@router.get("", response_model=VoicemailList)
def list_voicemails(
    session: Session = Depends(get_session),
    status_: StatusName | None = Query(None, alias="status"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> VoicemailList:
    """Newest first, optionally only one status."""
    items = store.list_voicemails(session, status_, limit, offset)
    return VoicemailList(
        items=[VoicemailOut(**_out(vm)) for vm in items], counts=store.count_by_status(session)
    )


@router.get("/{voicemail_id}", response_model=VoicemailDetail)
def get_voicemail(voicemail_id: str, session: Session = Depends(get_session)) -> VoicemailDetail:
    vm = store.get_voicemail(session, voicemail_id)
    if vm is None:
        raise HTTPException(404, "voicemail not found")
    rev = vm.current_revision
    transcript = None
    if rev is not None:
        transcript = TranscriptOut(
            revision=rev.number,
            engine=rev.engine,
            model=rev.model,
            language=rev.language,
            language_probability=rev.language_probability,
            text=rev.text,
            confidence=rev.confidence,
            segments=[SegmentOut(**s) for s in rev.segments],
            timings=rev.timings or {},
            summary=_summary(vm),
            created_at=rev.created_at,
        )
    history = [EventOut(status=e.status, detail=e.detail, at=e.at) for e in vm.events]
    return VoicemailDetail(**_out(vm), transcript=transcript, history=history)
