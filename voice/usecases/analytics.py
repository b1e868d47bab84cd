"""The dashboard's figures (docs/dashboard.md): for a date range in a time zone, optionally one team and one
mailbox, and only the voicemails the viewer may see (voice/storage/access.py): voicemails per day and per
hour of the week, by intent and by team; the median and 90th percentile time to first callback; the share
called back or handled within the deadline; callbacks per agent by outcome; the share of spam and of
no-speech; repeat callers.

Counting is done by the database (GROUP BY), in SQL that SQLite and PostgreSQL both run; only the times to
first callback come back row by row, as one number each, for the percentiles. Arrival is ``created_at``,
the moment Voice received the voicemail, as the deadline sweep counts it (voice/usecases/overdue.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from voice.core import business_hours
from voice.core.config import SlaSettings
from voice.storage import access, teams
from voice.storage.access import Scope
from voice.storage.callback_models import Outcome
from voice.storage.models import (
    AckMessage,
    AgentState,
    CallbackAttempt,
    CallRecord,
    Status,
    Summary,
    Team,
    TeamMailbox,
    Voicemail,
    utcnow,
)
from voice.usecases.overdue import deadline_groups

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])

MAX_DAYS = 366  # a longer range would make per_day unbounded; a year is what a dashboard shows
BUCKET_S = 900  # arrivals are counted per 15 minutes in SQL: every time zone's offset is a multiple of it
NO_TEAM = "(none)"
PENDING = "pending"  # a callback attempt whose outcome is not recorded yet
TOP_REPEAT = 10


class AnalyticsError(ValueError):
    """A filter that cannot be used (an unknown team or time zone, a reversed or too long range)."""


@dataclass(frozen=True)
class Filter:
    since: date | None = None  # first day, in ``timezone``; default: 29 days before ``until``
    until: date | None = None  # last day, included; default: today in ``timezone``
    timezone: str | None = None  # IANA name; default: the team's, else UTC
    team: str | None = None  # a team's name
    mailbox: str | None = None


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class AgentCallbacks:
    agent: str
    attempts: int
    outcomes: dict[str, int] = field(default_factory=dict)  # reached, ..., pending -> attempts


@dataclass(frozen=True)
class RepeatCaller:
    number: str
    voicemails: int


@dataclass(frozen=True)
class Analytics:
    since: date
    until: date
    timezone: str
    team: str | None
    mailbox: str | None
    total: int
    per_day: tuple[Count, ...]  # every day of the range, ISO dates, zeros included
    per_hour_of_week: tuple[tuple[int, ...], ...]  # 7 rows (Monday first) of 24 hours, local time
    by_intent: tuple[Count, ...]  # most first; no summary: "unknown"
    by_team: tuple[Count, ...]  # most first; routed to no team and of no team's mailbox: NO_TEAM
    called_back: int  # voicemails with a first callback
    callback_median_s: float | None
    callback_p90_s: float | None
    deadline_due: int  # done voicemails whose deadline has passed, or that were called back or handled
    deadline_met: int  # ... called back within it, or handled without ever going overdue
    callbacks_by_agent: tuple[AgentCallbacks, ...]
    spam: int
    no_speech: int
    repeat_callers: int  # numbers that left more than one voicemail in the range
    repeat_voicemails: int  # the voicemails those numbers left
    top_repeat_callers: tuple[RepeatCaller, ...]
    # Acknowledgements to the callers of these voicemails, by status (docs/acknowledgements.md).
    acknowledgements: tuple[Count, ...] = ()

    @property
    def acknowledged(self) -> int:
        """Callers sent an acknowledgement (sent or delivered)."""
        return sum(c.count for c in self.acknowledgements if c.key in ("sent", "delivered"))

    @property
    def within_deadline(self) -> float | None:
        return self.deadline_met / self.deadline_due if self.deadline_due else None

    @property
    def spam_share(self) -> float | None:
        return self.spam / self.total if self.total else None

    @property
    def no_speech_share(self) -> float | None:
        return self.no_speech / self.total if self.total else None


def percentile(values: list[float], q: float) -> float | None:
    """The q-th quantile (0..1) with linear interpolation between closest ranks (numpy's default and
    PostgreSQL's percentile_cont): the median of 1, 2, 3, 4 is 2.5."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# Portable SQL pieces.


def _epoch(session: Session, column: Any) -> ColumnElement[Any]:
    """Seconds since 1970 of a stored UTC time, as a float, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def _bucket(session: Session, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "sqlite":
        # Whole seconds, exactly (julianday's float would put 10:00:00 in the 09:45 bucket); times after
        # 1970 are positive, so integer division is floor.
        return cast(func.strftime("%s", column), Integer) / BUCKET_S
    return cast(func.floor(_epoch(session, column) / BUCKET_S), Integer)


def _spam() -> ColumnElement[bool]:
    # flags is a JSON list; its text holds the quoted word on both databases.
    return cast(Summary.flags, String).like('%"spam"%')


@dataclass(frozen=True)
class _Window:
    since: date
    until: date
    zone: ZoneInfo
    start: datetime  # UTC
    end: datetime  # UTC, excluded


def _window(session: Session, f: Filter, team: Team | None) -> _Window:
    name = f.timezone or (team.timezone if team else "UTC")
    try:
        zone = business_hours.time_zone(name)
    except business_hours.HoursError as exc:
        raise AnalyticsError(str(exc)) from exc
    until = f.until or datetime.now(zone).date()
    since = f.since or until - timedelta(days=29)
    if since > until:
        raise AnalyticsError("since is after until")
    if (until - since).days + 1 > MAX_DAYS:
        raise AnalyticsError(f"the range is longer than {MAX_DAYS} days")
    start = datetime.combine(since, time(), zone).astimezone(UTC)
    end = datetime.combine(until + timedelta(days=1), time(), zone).astimezone(UTC)
    return _Window(since, until, zone, start, end)


def _where(session: Session, f: Filter, scope: Scope, team: Team | None, w: _Window) -> list[Any]:
    conds: list[Any] = [Voicemail.created_at >= w.start, Voicemail.created_at < w.end]
    seen = access.condition(scope)
    if seen is not None:
        conds.append(seen)
    if team is not None:
        # The team's voicemails as the access rule draws them: routed to it, or unrouted from its mailboxes.
        boxes = session.scalars(select(TeamMailbox.mailbox).where(TeamMailbox.team_id == team.id)).all()
        conds.append(access.condition(Scope(mailboxes=frozenset(boxes), teams=frozenset([team.id]))))
    if f.mailbox is not None:
        conds.append(CallRecord.mailbox == f.mailbox)
    return conds


def _base(query: Q, conds: list[Any]) -> Q:
    return query.select_from(Voicemail).join(CallRecord, Voicemail.call_id == CallRecord.id).where(*conds)


def _with_summary(query: Q) -> Q:
    return query.outerjoin(Summary, Summary.revision_id == Voicemail.current_revision_id)


# The figures.


def _arrivals(
    session: Session, conds: list[Any], w: _Window
) -> tuple[tuple[Count, ...], tuple[tuple[int, ...], ...]]:
    bucket = _bucket(session, Voicemail.created_at).label("bucket")
    rows = session.execute(_base(select(bucket, func.count()), conds).group_by(bucket))
    days: Counter[date] = Counter()
    week = [[0] * 24 for _ in range(7)]
    for b, n in rows:
        local = datetime.fromtimestamp(int(b) * BUCKET_S, w.zone)
        days[local.date()] += int(n)
        week[local.weekday()][local.hour] += int(n)
    span = (w.until - w.since).days + 1
    per_day = tuple(Count(d.isoformat(), days[d]) for d in (w.since + timedelta(days=i) for i in range(span)))
    return per_day, tuple(tuple(row) for row in week)


def _ranked(rows: Any) -> tuple[Count, ...]:
    counts = [Count(str(k), int(n)) for k, n in rows]
    return tuple(sorted(counts, key=lambda c: (-c.count, c.key)))


def _mix(session: Session, conds: list[Any]) -> tuple[tuple[Count, ...], tuple[Count, ...]]:
    """(by intent, by team), from one GROUP BY over both. A voicemail belongs to the team it was routed to,
    else to its mailbox's (the access rule's reading)."""
    owner = func.coalesce(Voicemail.team_id, TeamMailbox.team_id).label("owner")
    intent = func.coalesce(Summary.intent, "unknown").label("intent")
    query = _with_summary(_base(select(owner, intent, func.count()), conds)).outerjoin(
        TeamMailbox, TeamMailbox.mailbox == CallRecord.mailbox
    )
    names = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}
    intents: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    for t, i, n in session.execute(query.group_by(owner, intent)):
        intents[str(i)] += int(n)
        owners[names.get(t, NO_TEAM) if t else NO_TEAM] += int(n)
    return _ranked(intents.items()), _ranked(owners.items())


def _acks(session: Session, conds: list[Any]) -> tuple[Count, ...]:
    query = _base(select(AckMessage.status, func.count()), conds)
    query = query.join(AckMessage, AckMessage.voicemail_id == Voicemail.id).group_by(AckMessage.status)
    return _ranked(session.execute(query))


def _callback_times(session: Session, conds: list[Any]) -> list[float]:
    wait = _epoch(session, Voicemail.first_callback_at) - _epoch(session, Voicemail.created_at)
    rows = session.scalars(_base(select(wait), [*conds, Voicemail.first_callback_at.is_not(None)]))
    # An upstream report can date a call a little before the voicemail was stored: count it as at once.
    return [max(0.0, round(float(s), 3)) for s in rows]


def _totals(session: Session, conds: list[Any], sla: SlaSettings, now: datetime) -> tuple[int, ...]:
    """(voicemails, spam, no speech, due, met) in one pass; due and met count done voicemails only."""
    # The deadline in seconds per voicemail, as the overdue sweep draws the groups (the last is the rest).
    *firsts, (default_hours, _) = deadline_groups(session, sla)
    limit_s: ColumnElement[float] = literal(default_hours * 3600.0)
    if firsts:
        limit_s = case(*[(cond, hours * 3600.0) for hours, cond in firsts], else_=default_hours * 3600.0)
    arrived = _epoch(session, Voicemail.created_at)
    met = or_(
        and_(
            Voicemail.first_callback_at.is_not(None),
            _epoch(session, Voicemail.first_callback_at) - arrived <= limit_s,
        ),
        and_(Voicemail.agent_state == AgentState.HANDLED, Voicemail.overdue_at.is_(None)),
    )
    passed = arrived + limit_s <= now.timestamp()
    done = Voicemail.status == Status.DONE

    def n(cond: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((cond, literal(1)), else_=0)), 0)

    query = select(
        func.count(),
        n(_spam()),
        n(Voicemail.status == Status.NO_SPEECH),
        n(and_(done, or_(met, passed))),
        n(and_(done, met)),
    )
    return tuple(int(v) for v in session.execute(_with_summary(_base(query, conds))).one())


def _agents(session: Session, conds: list[Any]) -> tuple[AgentCallbacks, ...]:
    outcome = func.coalesce(CallbackAttempt.outcome, PENDING).label("outcome")
    query = _base(select(CallbackAttempt.who, outcome, func.count()), conds).join(
        CallbackAttempt, CallbackAttempt.voicemail_id == Voicemail.id
    )
    per: defaultdict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*Outcome.ALL, PENDING), 0))
    for who, out, n in session.execute(query.group_by(CallbackAttempt.who, outcome)):
        per[who][out] = per[who].get(out, 0) + int(n)
    agents = [AgentCallbacks(who, sum(o.values()), o) for who, o in per.items()]
    return tuple(sorted(agents, key=lambda a: (-a.attempts, a.agent)))


def _repeats(session: Session, conds: list[Any]) -> tuple[int, int, tuple[RepeatCaller, ...]]:
    n = func.count().label("n")
    query = (
        _base(select(CallRecord.from_number, n), [*conds, CallRecord.from_number.is_not(None)])
        .group_by(CallRecord.from_number)
        .having(func.count() > 1)
    )
    rows = [(str(number), int(count)) for number, count in session.execute(query)]
    top = sorted(rows, key=lambda r: (-r[1], r[0]))[:TOP_REPEAT]
    return len(rows), sum(c for _, c in rows), tuple(RepeatCaller(num, c) for num, c in top)


def analytics(
    session: Session, f: Filter, scope: Scope, sla: SlaSettings, now: datetime | None = None
) -> Analytics:
    """Every figure for ``f``, counting only what ``scope`` may see: another team's voicemails are never
    counted, not even in the totals. Raises AnalyticsError for a filter that cannot be used."""
    try:
        team = teams.find_team(session, f.team) if f.team else None
    except teams.TeamNotFound as exc:
        raise AnalyticsError(str(exc)) from exc
    w = _window(session, f, team)
    conds = _where(session, f, scope, team, w)
    per_day, week = _arrivals(session, conds, w)
    total, spam, no_speech, due, met = _totals(session, conds, sla, now or utcnow())
    by_intent, by_team = _mix(session, conds)
    waits = _callback_times(session, conds)
    repeat_callers, repeat_vms, top = _repeats(session, conds)
    return Analytics(
        since=w.since,
        until=w.until,
        timezone=w.zone.key,
        team=team.name if team else None,
        mailbox=f.mailbox,
        total=total,
        per_day=per_day,
        per_hour_of_week=week,
        by_intent=by_intent,
        by_team=by_team,
        called_back=len(waits),
        callback_median_s=percentile(waits, 0.5),
        callback_p90_s=percentile(waits, 0.9),
        deadline_due=due,
        deadline_met=met,
        callbacks_by_agent=_agents(session, conds),
        spam=spam,
        no_speech=no_speech,
        repeat_callers=repeat_callers,
        repeat_voicemails=repeat_vms,
        top_repeat_callers=top,
        acknowledgements=_acks(session, conds),
    )


@dataclass(frozen=True)
class MetricCounts:
    """The dashboard's counts for /metrics, over every stored voicemail (Prometheus takes the rates):
    labels are team names and intents, both bounded (teams are made by admins, intents are triage's)."""

    voicemails: dict[tuple[str, str], int]  # (team, intent) -> voicemails
    callbacks: dict[tuple[str, str], int]  # (team, outcome or pending) -> attempts
    called_back: dict[str, int]  # team -> voicemails with a first callback


def metric_counts(session: Session) -> MetricCounts:
    owner = func.coalesce(Voicemail.team_id, TeamMailbox.team_id).label("owner")
    names = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}

    def base(query: Q) -> Q:
        return _base(query, []).outerjoin(TeamMailbox, TeamMailbox.mailbox == CallRecord.mailbox)

    intent = func.coalesce(Summary.intent, "unknown").label("intent")
    outcome = func.coalesce(CallbackAttempt.outcome, PENDING).label("outcome")
    rows = session.execute(_with_summary(base(select(owner, intent, func.count()))).group_by(owner, intent))
    voicemails = {(names.get(t, NO_TEAM), str(i)): int(n) for t, i, n in rows}
    attempts = base(select(owner, outcome, func.count())).join(
        CallbackAttempt, CallbackAttempt.voicemail_id == Voicemail.id
    )
    callbacks = {
        (names.get(t, NO_TEAM), str(o)): int(n)
        for t, o, n in session.execute(attempts.group_by(owner, outcome))
    }
    called = base(select(owner, func.count())).where(Voicemail.first_callback_at.is_not(None)).group_by(owner)
    called_back = {names.get(t, NO_TEAM): int(n) for t, n in session.execute(called)}
    return MetricCounts(voicemails, callbacks, called_back)
