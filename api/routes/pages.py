"""The agents' web inbox: sign-in, the inbox, one voicemail, and the actions on it (server-rendered)."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from api.audio import ranged_audio
from api.deps import get_session, get_settings
from api.inbox_query import INBOX_STATES, InboxQuery, inbox_query
from api.views import current_priority
from api.web import SignInThrottle, check_csrf, current_user, render
from voice.core.config import Settings
from voice.storage import access, acks, audit, models, search, users, vault
from voice.storage import inbox as inbox_store
from voice.storage.agents import AssigneeError, assignees, set_agent_state
from voice.storage.models import (
    AgentState,
    Role,
    Status,
    Summary,
    TranscriptRevision,
    User,
    Voicemail,
    VoicemailNote,
)
from voice.storage.routing import mailbox_teams, rule_tags
from voice.transcription.subtitles import subtitles
from voice.transcription.transcribe import Segment
from voice.triage.model import INTENTS, URGENCIES
from voice.usecases.listing import list_voicemails
from voice.usecases.reprocess_one import Busy, reprocess_voicemail

router = APIRouter(include_in_schema=False)


def inbox_state(vm: Voicemail) -> str:
    if vm.status in (Status.FAILED, Status.NO_SPEECH):
        return vm.status
    if vm.status != Status.DONE:
        return "processing"
    return vm.agent_state


# A path on this site: one slash, then no slash or backslash; no backslash, space or control character
# anywhere (browsers read a backslash as a slash and drop tabs and newlines: "/<backslash>evil" and
# "/<tab>/evil" would leave the site).
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x20\x7f]*")
# Anything but a voicemail id is no voicemail (and never reaches the database).
_ID = re.compile(models.VOICEMAIL_ID_PATTERN)
# Seeking in a playback asks for more ranges; one listen row per agent and voicemail in this time is enough.
LISTEN_AGAIN = timedelta(minutes=5)


def _safe_next(url: str | None) -> str:
    # Only local paths: a crafted ?next= must not send a signed-in agent to another site.
    return url if url and _LOCAL_PATH.fullmatch(url) else "/"


def _wait_text(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = math.ceil(seconds / size)
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{seconds} second{'s' if seconds > 1 else ''}"


@router.get("/login")
def login_page(request: Request, next: str = "/", error: str | None = None) -> Response:  # noqa: A002
    return render(request, "login.html", next=_safe_next(next), error=error)


@router.post("/login", dependencies=[Depends(check_csrf)])
async def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    next: str = Form("/"),  # noqa: A002
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Async so that a sign-in waiting for a check slot waits on the event loop; the throttle's storage,
    the database and argon2 run in the threadpool."""
    throttle: SignInThrottle = request.app.state.signin
    address = request.client.host if request.client else ""
    # Refused before any hash, and again once a check slot is ours (others may have failed meanwhile).
    if (wait := await run_in_threadpool(throttle.wait, username, address)) is not None:
        return _refused(request, next, wait)
    async with throttle.check_slot() as free:
        if not free:
            return _refused(request, next, None)
        wait, token = await run_in_threadpool(
            _check_password, throttle, session, settings, username, password, address
        )
    if wait is not None:
        return _refused(request, next, wait)
    if token is None:
        query = urlencode({"next": _safe_next(next), "error": "Wrong user name or password."})
        return RedirectResponse(f"/login?{query}", status_code=303)
    request.session.clear()  # a fresh session (and CSRF token) after signing in
    request.session.update({"sid": token, "csrf": None})
    return RedirectResponse(_safe_next(next), status_code=303)


def _check_password(
    throttle: SignInThrottle, session: Session, settings: Settings, username: str, password: str, address: str
) -> tuple[int | None, str | None]:
    """(seconds to wait, None) when throttled, else (None, a new session token or None if refused)."""
    if (wait := throttle.wait(username, address)) is not None:
        return wait, None
    user = users.authenticate(session, username, password)
    if user is None:
        throttle.failed(username, address)
        session.commit()
        return None, None
    throttle.succeeded(username)
    token = users.start_session(session, user, settings.web.session_hours)
    session.commit()
    return None, token


def _refused(request: Request, next_url: str, wait: int | None) -> Response:
    """The sign-in page again: 429 while throttled, 503 when every password check is busy."""
    if wait is None:
        status, wait, error = 503, 1, "Too many sign-ins at once; try again in a moment."
    else:
        status, error = 429, f"Too many failed sign-ins; try again in {_wait_text(wait)}."
    return render(request, "login.html", status_code=status, headers={"Retry-After": str(wait)},
                  next=_safe_next(next_url), error=error)  # fmt: skip


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, session: Session = Depends(get_session)) -> Response:
    token = request.session.get("sid")
    if token:  # ended on the server: a copy of the cookie opens nothing
        users.end_session(session, str(token))
        session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _rows(session: Session, items: list[Voicemail], q: str | None) -> list[dict[str, Any]]:
    passages = search.snippets(session, q, [vm.id for vm in items]) if q else {}
    owners = mailbox_teams(session) if items else {}
    return [
        {
            "vm": vm,
            # Whose it is, as the access rule reads it: the team routed to, else its mailbox's.
            "team": vm.team.name if vm.team is not None else owners.get(vm.call.mailbox or ""),
            "state": inbox_state(vm),
            "priority": current_priority(vm),
            "summary": _summary(vm),
            "match": passages.get(vm.id),
        }
        for vm in items
    ]


@router.get("/")
def inbox(
    request: Request,
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    view: InboxQuery = Depends(inbox_query),
    cursor: str | None = Query(None),
) -> Response:
    f = view.filter(user, access.for_user(session, user))
    region = settings.summary.default_region
    try:
        items, next_cursor = list_voicemails(session, f, 50, cursor, region)
    except (ValueError, RecursionError):  # a stale or hand-made cursor: start from the top
        items, next_cursor = list_voicemails(session, f, 50, None, region)
    params = view.params()
    mailboxes = access.mailboxes(session, f.scope)
    team_names = inbox_store.team_names(session, f.scope)
    audit.record(session, _actor(user), "list", None, shown=len(items), search=bool(view.q))
    session.commit()
    live = f.sort == "newest" and not cursor  # new voicemails slide in at the top of the first page
    return render(
        request,
        "inbox.html",
        user=user,
        rows=_rows(session, items, view.q),
        params=params,
        next_url=f"/?{urlencode({**params, 'cursor': next_cursor})}" if next_cursor else None,
        mailboxes=mailboxes,
        teams=team_names,
        # Every rule's tags only to who sees every voicemail: a rule's tags can name another team's business.
        tags=rule_tags(session) if f.scope.everything else inbox_store.visible_tags(session, f.scope),
        intents=INTENTS,
        urgencies=URGENCIES,
        states=INBOX_STATES,
        notices=view.notices,
        newest_id=items[0].id if items and live else "",
        poll_url=f"/inbox/rows?{urlencode(params)}" if live else "",
    )


@router.get("/inbox/rows")
def new_rows(
    request: Request,
    after: str = Query("", max_length=32),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    view: InboxQuery = Depends(inbox_query),
) -> Response:
    """Rows for voicemails newer than ``after`` in this view, newest first (polled by the inbox page)."""
    f = view.filter(user, access.for_user(session, user))
    newest = _find(session, after, f.scope) if after else None
    if after and newest is None:
        return Response(status_code=204)
    f = replace(f, sort="newest", newer_than=newest.created_at if newest else None)
    items, _ = list_voicemails(session, f, 50, None, settings.summary.default_region)
    if not items:
        return Response(status_code=204)  # the inbox polls this: only polls that showed something are audited
    audit.record(session, _actor(user), "list", None, shown=len(items), live=True)
    session.commit()
    return render(request, "_rows.html", rows=_rows(session, items, view.q))


def _summary(vm: Voicemail) -> Summary | None:
    return vm.current_revision.summary if vm.current_revision is not None else None


def _find(session: Session, vm_id: str, scope: access.Scope, page: bool = False) -> Voicemail | None:
    """The voicemail if ``scope`` sees it (voice/storage/access.py); with ``page`` what its page shows too."""
    loads = (selectinload(Voicemail.call), selectinload(Voicemail.events),
             selectinload(Voicemail.revisions).selectinload(TranscriptRevision.summary))  # fmt: skip
    query = access.visible(select(Voicemail), scope).options(*(loads if page else ()))
    return session.scalar(query.where(Voicemail.id == vm_id)) if _ID.fullmatch(vm_id) else None


def _voicemail(session: Session, vm_id: str, user: User, page: bool = True) -> Voicemail:
    vm = _find(session, vm_id, access.for_user(session, user), page)  # another team's: as if it did not exist
    if vm is None:
        raise HTTPException(404, "voicemail not found")
    return vm


@router.get("/voicemails/{vm_id}")
def voicemail_page(
    vm_id: str,
    request: Request,
    rev: int | None = None,
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    return _page(request, session, user, _voicemail(session, vm_id, user), rev)


def _page(
    request: Request, session: Session, user: User, vm: Voicemail, rev: int | None = None, error: str = ""
) -> Response:
    """The voicemail's page; with ``error`` (an action refused) a 422 that says why above its actions."""
    revision = _revision(vm, rev)
    notes = list(
        session.scalars(
            select(VoicemailNote)
            .where(VoicemailNote.voicemail_id == vm.id)
            .order_by(VoicemailNote.created_at)
        )
    )
    audit.record(session, _actor(user), "read", vm.id, revision=revision.number if revision else None)
    session.commit()
    return render(
        request,
        "voicemail.html",
        status_code=422 if error else 200,
        user=user,
        vm=vm,
        state=inbox_state(vm),
        revision=revision,
        summary=revision.summary if revision else None,
        notes=notes,
        agents=assignees(session, vm),  # only who may take it (voice/storage/agents.py)
        priority=current_priority(vm),
        ack=acks.of_voicemail(session, vm.id),  # the caller's acknowledgement (docs/acknowledgements.md)
        error=error,
    )


def _revision(vm: Voicemail, number: int | None) -> TranscriptRevision | None:
    """The revision asked for, else the current one."""
    chosen = next((r for r in vm.revisions if r.number == number), None)
    return chosen or next((r for r in vm.revisions if r.id == vm.current_revision_id), None)


def _actor(user: User) -> str:
    return f"user:{user.username}"


def _back(vm_id: str) -> Response:
    return RedirectResponse(f"/voicemails/{vm_id}", status_code=303)


@router.post("/voicemails/{vm_id}/state", dependencies=[Depends(check_csrf)])
def set_state(
    vm_id: str,
    state: str = Form(...),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    if state not in AgentState.ALL:
        raise HTTPException(422, "unknown state")
    set_agent_state(session, _voicemail(session, vm_id, user), user.username, state=state)
    audit.record(session, _actor(user), "update", vm_id, fields=["agent_state"])
    session.commit()
    return _back(vm_id)


@router.post("/voicemails/{vm_id}/assign", dependencies=[Depends(check_csrf)])
def assign(
    vm_id: str,
    request: Request,
    assignee: str = Form("", max_length=100),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    vm = _voicemail(session, vm_id, user)
    try:
        precise = user.role == Role.ADMIN  # only admins are told why (no such user, disabled, ...)
        set_agent_state(
            session, vm, user.username, assignee=assignee or None, unassign=not assignee, precise=precise
        )
    except AssigneeError as exc:  # refused before anything changed
        return _page(request, session, user, vm, error=f"Not assigned: {exc}.")
    audit.record(session, _actor(user), "update", vm_id, fields=["assignee"])
    session.commit()
    return _back(vm_id)


@router.post("/voicemails/{vm_id}/notes", dependencies=[Depends(check_csrf)])
def add_note(
    vm_id: str,
    text: str = Form(..., max_length=4000),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    vm = _voicemail(session, vm_id, user)
    if text.strip():
        session.add(VoicemailNote(voicemail_id=vm.id, author=user.username, text=text.strip()))
        audit.record(session, _actor(user), "note", vm.id)
        session.commit()
    return _back(vm_id)


@router.post("/voicemails/{vm_id}/reprocess", dependencies=[Depends(check_csrf)])
def reprocess(
    vm_id: str,
    request: Request,
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    """The same as POST /v1/voicemails/{id}/reprocess: a run of this one voicemail, or a retry from the start
    when its audio was never stored (voice/usecases/reprocess_one.py)."""
    if user.role != "admin":
        raise HTTPException(403, "only admins reprocess voicemails")
    vm_id = _voicemail(session, vm_id, user).id
    sm = request.app.state.sessionmaker
    try:
        reprocess_voicemail(sm, vm_id, user.username, _actor(user), request.app.state.dispatch)
    except Busy as exc:
        raise HTTPException(409, str(exc)) from exc
    except LookupError as exc:  # erased meanwhile
        raise HTTPException(404, "voicemail not found") from exc
    return _back(vm_id)


@router.get("/voicemails/{vm_id}/audio")
def audio(
    vm_id: str,
    request: Request,
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Response:
    """The normalised audio, with HTTP Range support so the player can seek."""
    vm = _voicemail(session, vm_id, user, page=False)
    if not vm.audio_path or not Path(vm.audio_path).exists():
        raise HTTPException(404, "no audio for this voicemail")
    response = ranged_audio(
        Path(vm.audio_path), vault.keyring(settings.storage), request.headers.get("range")
    )
    # Any range can play the whole file (bytes=1-, bytes=-99999999), so every answer with audio counts,
    # except the seeks of a playback already recorded.
    if response.status_code in (200, 206) and not _listened_lately(session, _actor(user), vm.id):
        audit.record(session, _actor(user), "listen", vm.id)
        session.commit()
    return response


def _listened_lately(session: Session, actor: str, vm_id: str) -> bool:
    row = models.AuditEvent
    recent = select(row.id).where(row.voicemail_id == vm_id, row.action == "listen", row.actor == actor)
    return session.scalar(recent.where(row.at >= datetime.now(UTC) - LISTEN_AGAIN).limit(1)) is not None


@router.get("/voicemails/{vm_id}/transcript.{fmt}")
def transcript_download(
    vm_id: str,
    fmt: str,
    rev: int | None = None,
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
) -> Response:
    if fmt not in ("txt", "srt", "vtt"):
        raise HTTPException(404, "txt, srt or vtt")
    vm = _voicemail(session, vm_id, user)
    revision = _revision(vm, rev)
    if revision is None:
        raise HTTPException(404, "no transcript yet")
    if fmt == "txt":
        body = revision.text + "\n"
    else:
        segments = tuple(
            Segment(s["start"], s["end"], s["text"], s["avg_logprob"], s["no_speech_prob"])
            for s in revision.segments
        )
        body = subtitles(segments, fmt)
    name = f"voicemail-{vm.id[:8]}-r{revision.number}.{fmt}"
    audit.record(session, _actor(user), "export", vm.id, format=fmt, revision=revision.number)
    session.commit()
    return PlainTextResponse(
        body,
        media_type="text/vtt" if fmt == "vtt" else "text/plain",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
