"""GET /v1/analytics: the dashboard's figures as JSON, and each figure as CSV (docs/dashboard.md). Admin and
agent keys; an agent key counts only its teams' voicemails (voice/storage/access.py); ingest keys get 403."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.analytics_views import TABLES, analytics_filter, csv_response, figures, refuse
from api.auth import as_agent
from api.deps import get_session, get_settings
from api.schemas import errors
from voice.core.config import Settings
from voice.storage import access
from voice.storage.keys import Principal
from voice.usecases.analytics import Analytics, AnalyticsError, Filter, analytics

router = APIRouter(tags=["analytics"], responses=errors(401, 403, 413, 422, 429, 503))

EXAMPLE = {
    "since": "2026-11-02", "until": "2026-11-15", "timezone": "UTC", "team": "billing", "mailbox": None,
    "total": 140, "per_day": [{"key": "2026-11-02", "count": 10}], "per_hour_of_week": [[0] * 24] * 7,
    "by_intent": [{"key": "billing", "count": 20}], "by_team": [{"key": "billing", "count": 140}],
    "called_back": 20, "callback_median_s": 9450.0, "callback_p90_s": 16290.0,
    "deadline_due": 130, "deadline_met": 26, "within_deadline": 0.2,
    "callbacks_by_agent": [{"agent": "alice", "attempts": 14, "outcomes": {"reached": 5, "left_message": 5,
                            "no_answer": 0, "wrong_number": 4, "pending": 0}}],
    "spam": 20, "spam_share": 0.14, "no_speech": 10, "no_speech_share": 0.07,
    "repeat_callers": 10, "repeat_voicemails": 30,
    "top_repeat_callers": [{"number": "+12125550000", "voicemails": 3}],
    "acknowledgements": [{"key": "delivered", "count": 90}, {"key": "skipped", "count": 30}],
    "acknowledged": 90,
}  # fmt: skip


def _compute(session: Session, f: Filter, who: Principal, settings: Settings) -> Analytics:
    try:
        return analytics(session, f, access.for_key(session, who), settings.sla)
    except AnalyticsError as exc:
        raise refuse(exc) from exc


@router.get("/v1/analytics", responses={200: {"content": {"application/json": {"example": EXAMPLE}}}})
def get_analytics(
    f: Filter = Depends(analytics_filter),
    format: str = Query("json", pattern="^(json|csv)$", description="csv needs `figure`"),
    figure: str | None = Query(None, description=f"with format=csv, one of: {', '.join(TABLES)}"),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_agent),
) -> Any:
    """Voicemails per day and per hour of the week, by intent and by team; time to first callback (median,
    90th percentile); the share within the deadline; callbacks per agent by outcome; spam and no-speech
    shares; repeat callers. For the date range (days in `timezone`), a team and a mailbox; an agent key
    counts only its teams' voicemails."""
    if format == "csv" and figure not in TABLES:  # a bad query value: 422, as when it is left out
        raise HTTPException(422, f"format=csv needs figure, one of: {', '.join(TABLES)}")
    a = _compute(session, f, who, settings)
    if format == "csv" and figure:
        return csv_response(a, figure)
    return figures(a)


@router.get("/v1/analytics/{figure}.csv", response_class=Response, responses=errors(404))
def get_analytics_csv(
    figure: str,
    f: Filter = Depends(analytics_filter),
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    who: Principal = Depends(as_agent),
) -> Response:
    """One figure of GET /v1/analytics as CSV (`per_day`, `per_hour_of_week`, `by_intent`, `by_team`,
    `callback_time`, `callbacks_by_agent`, `shares`, `repeat_callers`)."""
    return csv_response(_compute(session, f, who, settings), figure)
