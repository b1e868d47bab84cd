"""The dashboard's figures as JSON and as CSV tables (docs/dashboard.md), shared by GET /v1/analytics and the
inbox's dashboard page so both answer with the same numbers. Each CSV is one figure of the JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import HTTPException, Query
from fastapi.responses import Response

from voice.storage.callback_models import Outcome
from voice.usecases.analytics import PENDING, Analytics, AnalyticsError, Filter

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OUTCOMES = (*Outcome.ALL, PENDING)

Table = tuple[list[str], list[list[Any]]]


def analytics_filter(
    since: date | None = Query(None, description="first day (YYYY-MM-DD) in `timezone`; default 29 days ago"),
    until: date | None = Query(None, description="last day, included; default today"),
    timezone: str | None = Query(None, max_length=64, description="IANA name; default the team's, else UTC"),
    team: str | None = Query(None, max_length=60, description="one team's voicemails"),
    mailbox: str | None = Query(None, max_length=100),
) -> Filter:
    return Filter(
        since=since, until=until, timezone=timezone or None, team=team or None, mailbox=mailbox or None
    )


def figures(a: Analytics) -> dict[str, Any]:
    """The JSON answer: every figure, with the shares worked out."""
    out = asdict(a)
    out["since"], out["until"] = a.since.isoformat(), a.until.isoformat()
    out["within_deadline"] = a.within_deadline
    out["spam_share"] = a.spam_share
    out["no_speech_share"] = a.no_speech_share
    out["acknowledged"] = a.acknowledged
    return out


def _per_day(a: Analytics) -> Table:
    return ["day", "voicemails"], [[c.key, c.count] for c in a.per_day]


def _per_hour(a: Analytics) -> Table:
    return ["day", *[f"{h:02d}" for h in range(24)]], [
        [DAYS[d], *row] for d, row in enumerate(a.per_hour_of_week)
    ]


def _by_intent(a: Analytics) -> Table:
    return ["intent", "voicemails"], [[c.key, c.count] for c in a.by_intent]


def _by_team(a: Analytics) -> Table:
    return ["team", "voicemails"], [[c.key, c.count] for c in a.by_team]


def _callback_time(a: Analytics) -> Table:
    rows = [
        [
            a.called_back,
            a.callback_median_s,
            a.callback_p90_s,
            a.deadline_due,
            a.deadline_met,
            a.within_deadline,
        ]
    ]
    return ["called_back", "median_s", "p90_s", "deadline_due", "deadline_met", "within_deadline"], rows


def _callbacks(a: Analytics) -> Table:
    rows = [[x.agent, x.attempts, *(x.outcomes.get(o, 0) for o in OUTCOMES)] for x in a.callbacks_by_agent]
    return ["agent", "attempts", *OUTCOMES], rows


def _shares(a: Analytics) -> Table:
    return ["voicemails", "spam", "spam_share", "no_speech", "no_speech_share"], [
        [a.total, a.spam, a.spam_share, a.no_speech, a.no_speech_share]
    ]


def _repeat(a: Analytics) -> Table:
    rows = [[r.number, r.voicemails] for r in a.top_repeat_callers]
    return ["number", "voicemails"], [["(all repeat callers)", a.repeat_voicemails], *rows]


def _acks(a: Analytics) -> Table:
    return ["status", "voicemails"], [[c.key, c.count] for c in a.acknowledgements]


TABLES: dict[str, Callable[[Analytics], Table]] = {
    "per_day": _per_day,
    "per_hour_of_week": _per_hour,
    "by_intent": _by_intent,
    "by_team": _by_team,
    "callback_time": _callback_time,
    "callbacks_by_agent": _callbacks,
    "shares": _shares,
    "repeat_callers": _repeat,
    "acknowledgements": _acks,
}


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # A spreadsheet would run a cell starting with these as a formula; numbers keep their sign.
        return value if value[1:2].isdigit() else "'" + value
    return value


def csv_response(a: Analytics, figure: str) -> Response:
    if figure not in TABLES:
        raise HTTPException(404, f"no figure {figure!r}; figures: {', '.join(TABLES)}")
    header, rows = TABLES[figure](a)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    name = f"voice-{figure}-{a.since.isoformat()}-{a.until.isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def refuse(exc: AnalyticsError) -> HTTPException:
    return HTTPException(422, str(exc))
