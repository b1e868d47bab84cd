"""/v1/voicemails: post (URL or upload, idempotent), list with filters and a cursor, read, agent
state, reprocess, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from api import ingest
from api.auth import actor, as_admin, as_agent, as_ingest, bearer, visible_voicemail
from api.deps import get_session, get_settings
from api.limits import is_upload
from api.schemas import (
    Accepted,
    AgentUpdate,
    ReprocessAccepted,
    RevisionOut,
    StatusName,
    VoicemailDetail,
    VoicemailId,
    VoicemailIn,
    VoicemailList,
    WebhookAttemptOut,
    WebhookDeliveryOut,
    errors,
)
from api.views import transcript_out, voicemail_detail, voicemail_out
from voice.core.config import Settings
from voice.storage import access, agents, audit, inbox
from voice.storage.keys import Principal
from voice.storage.models import Role, WebhookDelivery
from voice.usecases import erasure, listing, reprocess_one
from voice.usecases.reprocess import revision_rows_out

MAX_IDS = 100  # ids in one list call: 100 hex ids keep the URL near 4 KB

router = APIRouter(
    prefix="/v1/voicemails",
    tags=["voicemails"],
    responses=errors(401, 403, 413, 422, 429, 503, 404, 409),  # every route here can answer these
)

IDEMPOTENCY_HEADER = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=200,
    description="a retried POST with the same key returns the first voicemail instead of a second one",
)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={
        202: {
            "description": "queued; a repeated post gets the first voicemail and Idempotent-Replayed: true",
            "content": {
                "application/json": {
                    "example": {"id": "4f1c2a9e8b7d4e0f9a1b2c3d4e5f6a7b", "status": "queued"}
                }
            },
        },
        401: {"description": "missing, invalid or revoked API key"},
        413: {"description": "body, upload, a form field or call metadata larger than its limit"},
        422: {"description": "bad body, refused URL, or an Idempotency-Key reused for another request"},
        **errors(507),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    # Inline, with its own $defs: a $ref to components dangled (nothing registers the model).
                    "schema": VoicemailIn.model_json_schema(),
                    "example": VoicemailIn.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "call": {"type": "string", "description": "call record as JSON"},
                            "language": {
                                "type": "string",
                                "description": "expected languages, joined by commas: en or en,es",
                            },
                            "recording_id": {"type": "string"},
                            "callback_url": {"type": "string"},
                        },
                    },
                    "example": {
                        "call": '{"external_id": "1700000000-00000001", "source": "asterisk"}',
                        "recording_id": "1700000000-00000001",
                    },
                },
            },
            "required": True,
        }
    },
)
async def create_voicemail(
    request: Request,
    response: Response,
    # Checked below, in the same thread-pool call and session as the insert for JSON posts (the
    # ingest hot path), and before reading the body for uploads.
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    idempotency_key: str | None = IDEMPOTENCY_HEADER,
) -> Accepted:
    """Queue a voicemail: JSON with ``audio_url`` and a call record, or a multipart upload.

    Idempotent: the same ``Idempotency-Key`` from the same key, or the same (call source,
    ``call.external_id``, ``recording_id``), returns the first voicemail."""
    # Read off app.state rather than through dependencies: each one costs time on the hottest path.
    sm: sessionmaker[Session] = request.app.state.sessionmaker
    settings: Settings = request.app.state.settings
    content_type = request.headers.get("content-type", "")
    if is_upload(content_type):
        who = await as_ingest(request, credentials, sm)  # before reading a byte of the upload
        await run_in_threadpool(ingest.check_pending_in, sm, who, settings)
        try:
            stored = await ingest.post_upload(request, who, settings, sm, idempotency_key)
        finally:
            await request.close()  # the spooled upload, whether or not it was stored
    else:
        raw = await request.body()
        limiter = request.app.state.limiter
        notify = request.app.state.dispatch.voicemail
        stored = await run_in_threadpool(
            ingest.post_json, sm, settings, credentials, raw, idempotency_key, limiter, notify
        )
    return ingest.answer(response, stored)  # the use case told the workers already


@router.get("", response_model=VoicemailList)
def list_voicemails(
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_ingest),
    status_: StatusName | None = Query(None, alias="status"),
    mailbox: str | None = Query(None, max_length=100, examples=["sales"]),
    caller: str | None = Query(
        None, max_length=64, description="caller number, any format", examples=["+12125550134"]
    ),
    language: str | None = Query(None, max_length=8, examples=["en"]),
    since: datetime | None = Query(
        None, description="received at or after", examples=["2026-11-23T00:00:00Z"]
    ),
    until: datetime | None = Query(None, description="received before"),
    limit: int = Query(50, ge=1, le=500),
    q: str | None = Query(
        None, max_length=200, description="words in the transcript or summary", examples=["invoice"]
    ),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    team: str | None = Query(
        None,
        max_length=60,
        description="the team's voicemails: routed to it, or to none from one of its mailboxes; an agent key "
        "gets only its own teams' (another team's name: an empty list); any case",
        examples=["billing"],
    ),
    tag: str | None = Query(None, max_length=60, description="voicemails with this tag", examples=["vip"]),
    ids: list[Annotated[str, StringConstraints(max_length=32)]] | None = Query(
        None,
        alias="id",
        max_length=MAX_IDS,
        description=f"only these voicemails (repeat it, at most {MAX_IDS}); ids a key cannot see are absent",
    ),
) -> VoicemailList:
    """Newest first. Ingest keys see only the voicemails they posted; agent keys bound to teams only their
    teams' (docs/teams.md)."""
    scope = access.for_key(session, who)
    f = inbox.VoicemailFilter(
        status_, mailbox, caller, language, since, until, scope, q=q or None, ids=tuple(ids) if ids else None,
        team=team or None, tag=tag or None,
    )  # fmt: skip
    try:
        items, next_cursor = listing.list_voicemails(
            session, f, limit, cursor, settings.summary.default_region
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    out = VoicemailList(
        items=[voicemail_out(vm) for vm in items],
        next_cursor=next_cursor,
        counts=inbox.count_by_status(session, scope),
    )
    # The filters, but not the search words or the number searched for: they may be personal data.
    given = {"status": status_, "mailbox": mailbox, "language": language, "search": bool(q), "team": team}
    given["tag"] = tag
    given["by_caller"], given["by_id"] = bool(caller), bool(ids)
    filters = {k: v for k, v in given.items() if v}
    audit.record(session, actor(who), "list", None, shown=len(items), **filters)
    session.commit()
    return out


@router.get("/{voicemail_id}", response_model=VoicemailDetail)
def get_voicemail(
    voicemail_id: VoicemailId,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_ingest),
) -> VoicemailDetail:
    """Status, history, the call record, and the current transcript with its summary."""
    out = voicemail_detail(visible_voicemail(session, voicemail_id, who))
    audit.record(session, actor(who), "read", voicemail_id)
    session.commit()
    return out


@router.get("/{voicemail_id}/webhooks", response_model=list[WebhookDeliveryOut])
def list_webhook_deliveries(
    voicemail_id: VoicemailId,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_ingest),
) -> list[WebhookDeliveryOut]:
    """Completion webhooks of this voicemail with every delivery attempt (time, HTTP status, error)."""
    vm = visible_voicemail(session, voicemail_id, who)
    audit.record(session, actor(who), "read", vm.id, what="webhooks")
    session.commit()
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.voicemail_id == vm.id)
        .options(selectinload(WebhookDelivery.attempt_log))
        .order_by(WebhookDelivery.created_at)
    )
    return [
        WebhookDeliveryOut(
            id=d.id,
            event=d.event,
            url=d.url,
            state=d.state,
            attempts=[
                WebhookAttemptOut(
                    at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
                )
                for a in d.attempt_log
            ],
            next_attempt_at=d.next_attempt_at if d.state == WebhookDelivery.PENDING else None,
            delivered_at=d.delivered_at,
        )
        for d in rows
    ]


@router.patch("/{voicemail_id}", response_model=VoicemailDetail)
def update_agent_state(
    voicemail_id: VoicemailId,
    update: AgentUpdate,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_agent),
) -> VoicemailDetail:
    """Agent state: new, in progress or handled, and who it is assigned to: an active web user of the
    voicemail's team (of a voicemail of no team: an admin or an agent in no team), else a 422 (that says why
    to an admin only: docs/teams.md) and nothing changes."""
    vm = visible_voicemail(session, voicemail_id, who)
    try:
        agents.set_agent_state(
            session,
            vm,
            who.name,
            state=update.agent_state,
            assignee=update.assignee,
            unassign="assignee" in update.model_fields_set and update.assignee is None,
            precise=who.role == Role.ADMIN,  # only admins are told why (no such user, disabled, ...)
        )
    except agents.AssigneeError as exc:  # refused before anything changed
        raise HTTPException(422, str(exc)) from exc
    audit.record(session, actor(who), "update", voicemail_id, fields=sorted(update.model_fields_set))
    session.commit()
    return voicemail_detail(visible_voicemail(session, voicemail_id, who))


@router.post(
    "/{voicemail_id}/reprocess",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReprocessAccepted,
    responses={409: {"description": "the voicemail is queued or being processed now"}},
)
def reprocess(
    voicemail_id: VoicemailId,
    request: Request,
    response: Response,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_admin),
) -> ReprocessAccepted:
    """Reprocess a finished voicemail: a reprocess run of this one voicemail (`run_id`), which transcribes
    its stored audio again with the configured engine and model. The new revision becomes current only if
    it succeeds; a failure leaves the voicemail and its current transcript as they were (the run's item says
    why). A failed voicemail whose audio was never stored (the pipeline failed before it got that far:
    fetching, normalising or transcribing) is not reprocessed but retried: the pipeline runs again from the
    start and `run_id` is null."""
    visible_voicemail(session, voicemail_id, who)
    sm = request.app.state.sessionmaker
    try:
        done = reprocess_one.reprocess_voicemail(
            sm, voicemail_id, who.name, actor(who), request.app.state.dispatch
        )
    except reprocess_one.Busy as exc:
        raise HTTPException(409, str(exc)) from exc
    except LookupError as exc:  # erased meanwhile
        raise HTTPException(404, "voicemail not found") from exc
    response.headers["Location"] = f"/v1/voicemails/{done.id}"
    return ReprocessAccepted(id=done.id, status=done.status, run_id=done.run_id)


@router.get(
    "/{voicemail_id}/revisions",
    response_model=list[RevisionOut],
    responses={404: {"description": "no such voicemail"}},
)
def revisions(
    voicemail_id: VoicemailId, session: Session = Depends(get_session), who: Principal = Depends(as_ingest)
) -> list[RevisionOut]:
    """Every transcript revision, oldest first, with the word error rate from the one before and the run
    that made it."""
    vm = visible_voicemail(session, voicemail_id, who)
    compared = {r["number"]: r for r in revision_rows_out(session, vm)}
    audit.record(session, actor(who), "read", voicemail_id, what="revisions")
    session.commit()
    return [
        RevisionOut(
            **transcript_out(rev).model_dump(),  # type: ignore[union-attr]
            current=compared[rev.number]["current"],
            run_id=rev.run_id,
            wer_vs_previous=compared[rev.number]["wer_vs_previous"],
        )
        for rev in vm.revisions
    ]


@router.delete("/{voicemail_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_voicemail(
    voicemail_id: VoicemailId,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_admin),
) -> Response:
    """Erase the voicemail: its audio, transcripts, summaries, notes, history and webhook deliveries (and its
    call record if it was the last). The audit trail keeps what was erased, when and by whom."""
    vm = visible_voicemail(session, voicemail_id, who)
    try:
        erasure.erase_voicemail(session, settings, vm, actor(who))
    except erasure.StillProcessing as exc:
        raise HTTPException(409, "the voicemail is being processed; try again when it has finished") from exc
    session.commit()
    erasure.purge(session)
    return Response(status_code=204)
