"""The voicemail page's callback forms (docs/callbacks.md): Call back records an attempt (app.js posts this
form when the tel: link is clicked; without JavaScript its button does), then the outcome form records how
it went. CSRF-checked like every form of the inbox; another team's voicemail is 404."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.deps import get_session
from api.routes.pages import _actor, _back, _voicemail
from api.web import check_csrf, current_user
from voice.storage import audit
from voice.storage.callback_models import Outcome, Source
from voice.storage.models import User
from voice.usecases import callbacks

router = APIRouter(include_in_schema=False)


def _caller(user: User) -> callbacks.Caller:
    return callbacks.Caller(user.username, user_id=user.id)


@router.post("/voicemails/{vm_id}/callbacks", dependencies=[Depends(check_csrf)])
def start_callback(
    vm_id: str, user: User = Depends(current_user), session: Session = Depends(get_session)
) -> Response:
    vm = _voicemail(session, vm_id, user, page=False)
    callbacks.record_attempt(session, vm, _caller(user), Source.AGENT)
    audit.record(session, _actor(user), "update", vm_id, fields=["callback"])
    session.commit()
    return _back(vm_id)


@router.post("/voicemails/{vm_id}/callbacks/{attempt_id}", dependencies=[Depends(check_csrf)])
def callback_outcome(
    vm_id: str,
    attempt_id: int,
    outcome: str = Form(...),
    note: str = Form("", max_length=2000),
    close: str = Form(""),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    if outcome not in Outcome.ALL:
        raise HTTPException(422, "unknown outcome")
    vm = _voicemail(session, vm_id, user, page=False)
    try:
        callbacks.record_outcome(
            session, vm, attempt_id, _caller(user), outcome, note=note, close=bool(close)
        )
    except callbacks.AttemptNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except callbacks.OutcomeRecorded:
        return RedirectResponse(f"/voicemails/{vm_id}", status_code=303)  # a second click: nothing to do
    audit.record(session, _actor(user), "update", vm_id, fields=["callback_outcome"])
    session.commit()
    return _back(vm_id)
