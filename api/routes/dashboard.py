"""The inbox's dashboard (docs/dashboard.md): the figures of GET /v1/analytics as charts, for admins and team
leads, with each chart's CSV. A lead counts only their teams' voicemails (the access rule); other agents get
403. The charts are drawn in the browser by the vendored Chart.js (api/static/vendor) from a JSON data block,
so no inline script runs (the CSP stays as it is)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from api.analytics_views import DAYS, TABLES, csv_response, figures
from api.deps import get_session, get_settings
from api.web import current_user, render, templates
from voice.core.config import Settings
from voice.storage import access, audit
from voice.storage.models import Role, Team, TeamMember, User
from voice.usecases.analytics import Analytics, AnalyticsError, Filter, analytics

router = APIRouter(include_in_schema=False)


def _is_lead(session: Session, user: User) -> bool:
    lead = select(TeamMember.id).where(TeamMember.user_id == user.id, TeamMember.lead.is_(True)).limit(1)
    return session.scalar(lead) is not None


def dashboard_allowed(user: User | None) -> bool:
    """For the header's link (base.html): admins and team leads. Pages render while their session is open."""
    if user is None:
        return False
    if user.role == Role.ADMIN:
        return True
    session = object_session(user)
    return session is not None and _is_lead(session, user)


templates.env.globals["dashboard_allowed"] = dashboard_allowed


def _allowed(session: Session, user: User) -> None:
    if user.role != Role.ADMIN and not _is_lead(session, user):
        raise HTTPException(403, "the dashboard is for admins and team leads")


def _day(text: str, name: str, notices: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        notices.append(f"{name} {text[:20]!r} is not a day (YYYY-MM-DD); ignored")
        return None


def _filter(params: dict[str, str], notices: list[str]) -> Filter:
    return Filter(
        since=_day(params["since"], "from", notices),
        until=_day(params["until"], "to", notices),
        timezone=params["timezone"] or None,
        team=params["team"] or None,
        mailbox=params["mailbox"] or None,
    )


def _params(
    since: str = Query("", max_length=40),
    until: str = Query("", max_length=40),
    timezone: str = Query("", max_length=64),
    team: str = Query("", max_length=60),
    mailbox: str = Query("", max_length=100),
) -> dict[str, str]:
    return {"since": since, "until": until, "timezone": timezone, "team": team, "mailbox": mailbox}


def _teams(session: Session, user: User) -> list[str]:
    query = select(Team.name).order_by(Team.name)
    if user.role != Role.ADMIN:
        query = query.join(TeamMember, TeamMember.team_id == Team.id).where(TeamMember.user_id == user.id)
    return list(session.scalars(query))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def _compute(session: Session, user: User, f: Filter, settings: Settings) -> Analytics:
    return analytics(session, f, access.for_user(session, user), settings.sla)


@router.get("/dashboard")
def dashboard(
    request: Request,
    params: dict[str, str] = Depends(_params),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Response:
    _allowed(session, user)
    notices: list[str] = []
    f = _filter(params, notices)
    try:
        a = _compute(session, user, f, settings)
    except AnalyticsError as exc:
        notices.append(f"{exc}; showing the last 30 days of every team instead")
        a = _compute(session, user, Filter(), settings)
    audit.record(session, f"user:{user.username}", "list", None, dashboard=True)
    session.commit()
    data: dict[str, Any] = {**figures(a), "days": DAYS}
    query = {k: v for k, v in params.items() if v}
    return render(
        request,
        "dashboard.html",
        user=user,
        a=a,
        data=data,
        params=params,
        query=query,
        figures=list(TABLES),
        teams=_teams(session, user),
        mailboxes=access.mailboxes(session, access.for_user(session, user)),
        notices=notices,
        duration=_duration,
        percent=_percent,
    )


@router.get("/dashboard/{figure}.csv")
def dashboard_csv(
    figure: str,
    params: dict[str, str] = Depends(_params),
    user: User = Depends(current_user),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
) -> Response:
    _allowed(session, user)
    try:
        a = _compute(session, user, _filter(params, []), settings)
    except AnalyticsError as exc:
        raise HTTPException(422, str(exc)) from exc
    return csv_response(a, figure)
