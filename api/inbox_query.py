"""The inbox's view: its filters as query parameters (``InboxQuery``), checked, and as a VoicemailFilter."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

from fastapi import Query

from voice.storage import access
from voice.storage.inbox import VoicemailFilter
from voice.storage.models import User
from voice.triage.model import INTENTS, URGENCIES

INBOX_STATES = ("new", "in_progress", "handled", "failed", "no_speech", "processing")


@dataclass(frozen=True)
class InboxQuery:
    sort: str = "newest"
    mailbox: str | None = None
    state: str | None = None
    intent: str | None = None
    urgency: str | None = None
    language: str | None = None
    since: str | None = None  # YYYY-MM-DD
    until: str | None = None
    mine: bool = False
    q: str | None = None
    team: str | None = None  # a team's name (the user's own teams; admins: any)
    tag: str | None = None
    notices: tuple[str, ...] = ()  # filters that were dropped, and why (shown above the list)

    def params(self) -> dict[str, str]:
        """The query string that reproduces this view (without a cursor)."""
        values = {**asdict(self), "mine": "1" if self.mine else None, "notices": None}
        return {k: str(v) for k, v in values.items() if v}

    def filter(self, user: User, scope: access.Scope) -> VoicemailFilter:
        return VoicemailFilter(
            scope=scope,
            mailbox=self.mailbox or None,
            language=self.language or None,
            since=_day(self.since),
            until=_day(self.until, 1),
            intent=self.intent if self.intent in INTENTS else None,
            urgency=self.urgency if self.urgency in URGENCIES else None,
            inbox_state=self.state if self.state in INBOX_STATES else None,
            assignee=user.username if self.mine else None,
            sort=self.sort if self.sort in ("newest", "priority") else "newest",
            q=self.q or None,
            team=self.team or None,
            tag=self.tag or None,
        )


def _day(value: str | None, plus: int = 0) -> datetime | None:
    """Midnight UTC starting the day YYYY-MM-DD (plus days); None for no day or one Voice cannot use."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=plus)
    except (ValueError, OverflowError):  # not a date, or 9999-12-31 plus a day
        return None


def _checked(view: InboxQuery) -> InboxQuery:
    """The view without filters it cannot use, each dropped with a notice rather than an error page."""
    notices: list[str] = []
    since, until = view.since, view.until
    why = "it is not a day from 0001-01-01 to 9999-12-30."
    if since and _day(since) is None:
        notices.append(f"Ignored the From date {_shown(since)}: {why}")
        since = None
    if until and _day(until, 1) is None:  # the filter runs to the end of that day
        notices.append(f"Ignored the To date {_shown(until)}: {why}")
        until = None
    return replace(view, since=since, until=until, notices=tuple(notices))


def _shown(value: str) -> str:
    """A value quoted for a notice, shortened (the page escapes it)."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def inbox_query(
    sort: str = Query("newest", pattern="^(newest|priority)$"),
    mailbox: str | None = Query(None, max_length=100),
    state: str | None = Query(None, max_length=20),
    intent: str | None = Query(None, max_length=32),
    urgency: str | None = Query(None, max_length=10),
    language: str | None = Query(None, max_length=8),
    since: str | None = Query(None),  # any length: one Voice cannot use is ignored with a notice (_checked)
    until: str | None = Query(None),
    mine: bool = Query(False),
    q: str | None = Query(None, max_length=200),
    team: str | None = Query(None, max_length=60),
    tag: str | None = Query(None, max_length=60),
) -> InboxQuery:
    team = team.strip().lower() if team else team  # as stored (teams.team_name): the picker shows it chosen
    return _checked(
        InboxQuery(sort, mailbox, state, intent, urgency, language, since, until, mine, q, team, tag)
    )
