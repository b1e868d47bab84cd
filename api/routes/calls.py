"""/v1/calls/{call_id}: a call record with all its voicemails, transcripts and summaries."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.orm import Session

from api.auth import actor, as_ingest
from api.deps import get_session
from api.schemas import CallDetail, CallId, errors
from api.views import call_detail
from voice.storage import access, audit, inbox
from voice.storage.keys import Principal

router = APIRouter(
    prefix="/v1/calls",
    tags=["calls"],
    responses=errors(401, 403, 413, 422, 429, 503, 404),  # every route here can answer these
)


@router.get("/{call_id}", response_model=CallDetail, responses={404: {"description": "no such call"}})
def get_call(
    call_id: CallId,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_ingest),
) -> CallDetail:
    """The call record (ids in Voice and upstream, numbers, mailbox) with every voicemail of the call.
    An ingest key sees only calls it posted, with only its own voicemails; an agent key bound to teams only
    calls with voicemails of its teams (docs/teams.md)."""
    found = inbox.get_call(session, call_id, access.for_key(session, who))
    if found is None:
        raise HTTPException(404, "call not found")
    call, shown = found
    out = call_detail(call, shown)
    for vm in shown:
        audit.record(session, actor(who), "read", vm.id, via="call")
    session.commit()
    return out
