"""/v1/audit and /v1/erasures: the audit trail, and erasure of a caller's data (admin)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from api.auth import actor, as_admin
from api.deps import get_session, get_settings
from api.schemas import AuditEventOut, ErasureIn, ErasureOut, errors
from voice.core.config import Settings
from voice.storage import audit
from voice.storage.keys import Principal
from voice.usecases import erasure

router = APIRouter(
    tags=["privacy"],
    responses=errors(401, 403, 413, 422, 429, 503),  # every route here can answer these
)


@router.get("/v1/audit", response_model=list[AuditEventOut])
def audit_events(
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
    since: datetime | None = Query(None, examples=["2026-12-01T00:00:00Z"]),
    until: datetime | None = Query(None),
    actor_: str | None = Query(None, alias="actor", max_length=150, examples=["key:crm"]),
    action: str | None = Query(None, max_length=30, examples=["read"]),
    voicemail_id: str | None = Query(None, max_length=32),
    limit: int = Query(1000, ge=1, le=10000),
) -> list[AuditEventOut]:
    """Who read, changed, reprocessed, exported or erased which voicemail, oldest first."""
    if action is not None and action not in audit.ACTIONS:
        raise HTTPException(422, f"action must be one of {', '.join(audit.ACTIONS)}")
    f = audit.AuditFilter(since, until, actor_, action, voicemail_id)
    return [
        AuditEventOut(at=e.at, actor=e.actor, action=e.action, voicemail_id=e.voicemail_id, detail=e.detail)
        for e in audit.events(session, f, limit)
    ]


@router.post("/v1/erasures", response_model=ErasureOut)
def erase_caller(
    body: ErasureIn,
    request: Request,
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_admin),
) -> ErasureOut:
    """Erase every voicemail and call record of a calling number: audio, transcripts, revisions, summaries,
    notes, history and search entries. The audit trail keeps counts, the masked number, when and by whom."""
    sm = request.app.state.sessionmaker
    done = erasure.erase_caller(sm, settings, body.caller, actor(who), body.dry_run)
    return ErasureOut(
        caller=done.caller,
        dry_run=body.dry_run,
        voicemails=done.voicemails,
        call_records=done.call_records,
        revisions=done.revisions,
        notes=done.notes,
        audio_files=done.audio_files,
        skipped=done.skipped,
        sent_to_crm=done.sent_to_crm,
    )
