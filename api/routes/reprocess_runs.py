"""/v1/reprocess-runs: batch re-runs of chosen voicemails (admin): make one, follow it, cancel, resume."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import actor, as_admin
from api.deps import get_session, get_settings
from api.schemas import ReprocessRunIn, ReprocessRunOut, RunId, errors
from voice.core.config import Settings
from voice.storage import audit, runs
from voice.storage.keys import Principal
from voice.storage.models import ReprocessRun

router = APIRouter(
    prefix="/v1/reprocess-runs",
    tags=["reprocessing"],
    responses=errors(401, 403, 413, 422, 429, 503, 404, 409),  # every route here can answer these
)


def _out(session: Session, run: ReprocessRun, not_taken: tuple[str, ...] = ()) -> ReprocessRunOut:
    p = runs.progress(session, run.id)
    return ReprocessRunOut(
        id=run.id,
        state=run.state,
        stage=run.stage,
        engine=run.engine,
        model=run.model,
        summariser=run.summariser,
        rate_per_min=run.rate_per_min,
        selection=run.selection or {},
        selected=run.selected,
        audio_minutes=round(run.audio_s / 60, 2),
        not_taken=list(not_taken),
        counts=p.counts,
        ended=p.ended,
        per_minute=p.per_min,
        audio_seconds_per_second=p.audio_per_wall,
        eta_seconds=p.eta_s,
        created_by=run.created_by,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def _run(session: Session, run_id: str) -> ReprocessRun:
    run = session.get(ReprocessRun, run_id)
    if run is None:
        raise HTTPException(404, "reprocess run not found")
    return run


@router.post(
    "",
    response_model=ReprocessRunOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "a dry run: the count only, nothing made"}},
)
def create_run(
    body: ReprocessRunIn,
    request: Request,
    response: Response,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_admin),
) -> ReprocessRunOut:
    """Select voicemails and run them again (new transcript revisions; the current one switches only when
    the new one succeeds). Workers take the run's items from the reprocessing queue, so fresh voicemails
    keep their latency; `rate_per_min` throttles it further."""
    selection = runs.Selection(
        ids=tuple(dict.fromkeys(body.ids)),
        since=body.since,
        until=body.until,
        mailbox=body.mailbox,
        status=body.status,
        language=body.language,
        engine=body.current_engine,
        model=body.current_model,
        intent=body.intent,
        confidence_below=body.confidence_below,
    )
    target = runs.Target(body.stage, body.engine, body.model, body.summariser, body.rate_per_min)
    try:
        target.check(bool(settings.summary.llm.base_url))
    except runs.RunError as exc:
        raise HTTPException(422, str(exc)) from exc
    if body.dry_run:
        found = runs.preview(session, selection)
        response.status_code = status.HTTP_200_OK
        return ReprocessRunOut(
            id=None,
            state="dry_run",
            stage=body.stage,
            engine=body.engine,
            model=body.model,
            summariser=body.summariser,
            rate_per_min=body.rate_per_min,
            selection=selection.as_dict(),
            selected=found.count,
            audio_minutes=round(found.audio_s / 60, 2),
            not_taken=list(found.not_taken),
        )
    # Named ids that are unknown or busy: only a selection by ids has any.
    not_taken = runs.preview(session, selection).not_taken if selection.ids else ()
    run = runs.create_run(session, selection, target, actor(who))
    made = {"run_id": run.id, "voicemails": run.selected, "stage": run.stage}
    audit.record(session, actor(who), "reprocess", None, **made)
    session.commit()
    request.app.state.dispatch.pump_runs(request.app.state.sessionmaker)
    return _out(session, run, not_taken)


@router.get("", response_model=list[ReprocessRunOut])
def list_runs(
    limit: int = Query(20, ge=1, le=200),
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> list[ReprocessRunOut]:
    """The newest runs first."""
    found = session.scalars(select(ReprocessRun).order_by(ReprocessRun.created_at.desc()).limit(limit))
    return [_out(session, run) for run in found]


@router.get("/{run_id}", response_model=ReprocessRunOut, responses={404: {"description": "no such run"}})
def get_run(
    run_id: RunId, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> ReprocessRunOut:
    """Counts by state (selected, queued, running, done, failed, skipped), throughput and ETA."""
    return _out(session, _run(session, run_id))


@router.post(
    "/{run_id}/cancel",
    response_model=ReprocessRunOut,
    responses={404: {"description": "no such run"}, 409: {"description": "the run has ended"}},
)
def cancel_run(
    run_id: RunId, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> ReprocessRunOut:
    """Stop queuing; the voicemails being reprocessed now finish."""
    _run(session, run_id)
    try:
        run = runs.cancel(session, run_id)
    except runs.RunError as exc:
        raise HTTPException(409, str(exc)) from exc
    session.commit()
    return _out(session, run)


@router.post(
    "/{run_id}/resume",
    response_model=ReprocessRunOut,
    responses={404: {"description": "no such run"}},
)
def resume_run(
    run_id: RunId,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(as_admin),
) -> ReprocessRunOut:
    """Carry on with a paused or cancelled run: what was not finished is done; nothing is redone."""
    run = runs.resume(session, _run(session, run_id).id)
    audit.record(session, actor(who), "reprocess", None, run_id=run.id, resumed=True)
    session.commit()
    request.app.state.dispatch.pump_runs(request.app.state.sessionmaker)
    return _out(session, run)
