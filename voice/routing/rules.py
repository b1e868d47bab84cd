"""The routing evaluator: ordered rules against a triage card and the call's facts, pure (no database, no
clock), so `voice routing explain`, `voice routing test` and the pipeline's end decide the same way.

The first rule whose conditions all hold applies and ends the evaluation, unless it says ``continues``;
then the next rules are tried too (a later team replaces an earlier one, points and tags add up). The
default rule applies when no rule ended the evaluation, and fills in only what the matched rules left
unset. A rule that cannot be applied (an unknown team or list, a team without available members or without
business hours to test) is dropped, the evaluation goes to the default, and the decision says why.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from voice.core import business_hours

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
_HOW = {ROUND_ROBIN: "round robin", LEAST_LOADED: "least loaded"}


@dataclass(frozen=True)
class Facts:
    """What routing looks at: the triage card and the call."""

    intent: str | None = None
    urgency: str | None = None
    mailbox: str | None = None
    language: str | None = None
    spam: bool = False
    caller: str | None = None  # E.164
    at: datetime | None = None  # when the call came (aware); business-hours conditions need it


@dataclass(frozen=True)
class Member:
    name: str  # the web user's name, as voicemails' assignee holds it
    available: bool = True
    last_assigned_at: datetime | None = None
    open_assigned: int = 0  # voicemails assigned to them and not handled


@dataclass(frozen=True)
class TeamFacts:
    name: str
    timezone: str = "UTC"
    hours: str | None = None
    members: tuple[Member, ...] = ()  # who may be assigned (web users)
    # Everyone who sees its voicemails, agent keys included; None: the members above
    seen_by: int | None = None

    @property
    def empty(self) -> bool:
        return (len(self.members) if self.seen_by is None else self.seen_by) == 0


@dataclass(frozen=True)
class Directory:
    """What the rules refer to: teams (with members), caller lists, and which team owns which mailbox."""

    teams: Mapping[str, TeamFacts] = field(default_factory=dict)
    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    mailbox_teams: Mapping[str, str] = field(default_factory=dict)
    # The notification channels that exist and are enabled; None: not checked (a rule's notify is taken as
    # written).
    channels: frozenset[str] | None = None


@dataclass(frozen=True)
class Conditions:
    intent: frozenset[str] | None = None
    urgency: frozenset[str] | None = None
    mailbox: frozenset[str] | None = None
    language: frozenset[str] | None = None
    spam: bool | None = None
    caller: frozenset[str] | None = None
    caller_list: tuple[str, ...] = ()
    hours: str | None = None  # "open" | "closed"
    hours_team: str | None = None


@dataclass(frozen=True)
class Actions:
    team: str | None = None
    assign: str | None = None  # ROUND_ROBIN | LEAST_LOADED
    points: float = 0.0
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    name: str
    when: Conditions = Conditions()
    then: Actions = Actions()
    continues: bool = False
    default: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class Decision:
    """What routing decided, and why, in words an agent reads in the voicemail's history."""

    rules: tuple[str, ...] = ()  # the rules applied, in order (the default included)
    team: str | None = None
    assignee: str | None = None
    assigned_by: str | None = None  # "round robin" | "least loaded"
    points: float = 0.0
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()  # channels to tell (docs/notifications.md)
    reasons: tuple[str, ...] = ()
    fell_back: bool = False  # a rule could not be applied and the default was used instead

    @property
    def text(self) -> str:
        return "; ".join(self.reasons) or "no routing rules"

    def as_dict(self) -> dict[str, object]:
        return {
            "rules": list(self.rules),
            "team": self.team,
            "assignee": self.assignee,
            "assigned_by": self.assigned_by,
            "points": self.points,
            "tags": list(self.tags),
            "notify": list(self.notify),
            "fell_back": self.fell_back,
            "reasons": list(self.reasons),
            "text": self.text,
        }


class CannotApply(Exception):
    """This rule cannot be applied to this voicemail; the message says why."""


def _in(values: frozenset[str] | None, value: str | None, label: str) -> str | None | bool:
    """None: no condition; False: it does not hold; the reason text when it holds."""
    if values is None:
        return None
    return f"{label}={value}" if value is not None and value in values else False


def _spam(wanted: bool | None, spam: bool) -> str | None | bool:
    if wanted is None:
        return None
    return ("spam" if spam else "not spam") if wanted == spam else False


def _hours_team(rule: Rule, facts: Facts, directory: Directory) -> TeamFacts:
    name = rule.when.hours_team or rule.then.team or directory.mailbox_teams.get(facts.mailbox or "")
    if name is None:
        raise CannotApply("its business-hours condition names no team, and the mailbox belongs to none")
    team = directory.teams.get(name)
    if team is None:
        raise CannotApply(f"no team {name!r} (business-hours condition)")
    if not team.hours:
        raise CannotApply(f"team {name!r} has no business hours to test")
    return team


def _open(team: TeamFacts, at: datetime | None) -> bool:
    if at is None:
        raise CannotApply("the call's time is not known (business-hours condition)")
    try:
        hours = business_hours.parse(team.hours or "")
        return hours.is_open(at, zoneinfo.ZoneInfo(team.timezone))
    except (business_hours.HoursError, zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise CannotApply(f"team {team.name!r}'s business hours cannot be read: {exc}") from exc


def matches(rule: Rule, facts: Facts, directory: Directory) -> list[str] | None:
    """The reasons it holds (one per condition), or None when it does not. CannotApply when a condition
    names what does not exist; tested after the plain conditions, so a rule that does not match anyway
    is just not matched."""
    w = rule.when
    plain = [
        _in(w.intent, facts.intent, "intent"),
        _in(w.urgency, facts.urgency, "urgency"),
        _in(w.mailbox, facts.mailbox, "mailbox"),
        _in(w.language, facts.language, "language"),
        _in(w.caller, facts.caller, "caller"),
        None
        if w.spam is None
        else (("spam" if facts.spam else "not spam") if w.spam == facts.spam else False),
    ]
    if any(held is False for held in plain):
        return None
    why = [str(held) for held in plain if held]
    if w.caller_list:
        unknown = [name for name in w.caller_list if name not in directory.lists]
        if unknown:
            raise CannotApply(f"no caller list {unknown[0]!r}")
        hit = next((n for n in w.caller_list if facts.caller and facts.caller in directory.lists[n]), None)
        if hit is None:
            return None
        why.append(f"caller on list {hit}")
    if w.hours is not None:
        team = _hours_team(rule, facts, directory)
        is_open = _open(team, facts.at)
        if is_open != (w.hours == "open"):
            return None
        why.append(f"{'inside' if is_open else 'outside'} {team.name}'s business hours")
    return why


def pick(team: TeamFacts, how: str) -> Member:
    """The member to assign: round robin takes the available member whose last assignment is oldest (never
    assigned first), least loaded the one with the fewest open assigned voicemails (round robin's order
    breaks ties). CannotApply when nobody in the team is available."""
    available = [m for m in team.members if m.available]
    if not available:
        raise CannotApply(f"team {team.name!r} has no available members")
    never = datetime.min.replace(tzinfo=UTC)

    def turn(m: Member) -> tuple[bool, datetime, str]:
        # compared in UTC: PostgreSQL hands timestamptz back in the session's time zone
        last = m.last_assigned_at
        at = (
            never
            if last is None
            else last.replace(tzinfo=UTC)
            if last.tzinfo is None
            else last.astimezone(UTC)
        )
        return (last is not None, at, m.name)

    if how == LEAST_LOADED:
        return min(available, key=lambda m: (m.open_assigned, *turn(m)))
    return min(available, key=turn)


@dataclass
class _State:
    rules: list[str] = field(default_factory=list)
    team: str | None = None
    assignee: str | None = None
    assigned_by: str | None = None
    points: float = 0.0
    tags: list[str] = field(default_factory=list)
    notify: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    fell_back: bool = False


def _planned(rule: Rule, state: _State, directory: Directory, partial: bool) -> tuple[_State, list[str]]:
    """``state`` with the rule's actions applied (a new state), and what could not be done. Unless
    ``partial`` (the default rule, which does what it can), the first problem raises CannotApply."""
    a = rule.then
    new = replace(state, rules=[*state.rules, rule.name], tags=list(state.tags), notify=list(state.notify))
    problems: list[str] = []

    def problem(text: str) -> None:
        if not partial:
            raise CannotApply(text)
        problems.append(text)

    _route_to_team(rule, state, new, directory, problem)
    if a.assign is not None and not (rule.default and state.assignee):
        team = directory.teams.get(new.team or "")
        if team is None:
            problem("it assigns but routes to no team")
        else:
            try:
                member = pick(team, a.assign)
                new.assignee, new.assigned_by = member.name, _HOW[a.assign]
            except CannotApply as exc:
                problem(str(exc))
    new.points += a.points
    new.tags += [t for t in a.tags if t not in new.tags]
    for name in _unknown_channels(a.notify, directory):
        problem(f"no notification channel {name!r}")
    new.notify += [n for n in a.notify if n not in new.notify and _known(n, directory)]
    return new, problems


def _route_to_team(
    rule: Rule, state: _State, new: _State, directory: Directory, problem: Callable[[str], None]
) -> None:
    """The rule's team on ``new``, unless the default rule finds one set; a team that is not there, or has
    nobody in it (nobody but admins would see the voicemail), is a problem."""
    name = rule.then.team
    if name is None:
        return
    if name not in directory.teams:
        problem(f"no team {name!r}")
    elif directory.teams[name].empty:
        problem(f"team {name!r} has no members")
    elif not (rule.default and state.team):
        new.team = name
        if new.team != state.team and rule.then.assign is None:
            new.assignee = new.assigned_by = None  # an earlier rule's assignee is not in this team


def _known(channel: str, directory: Directory) -> bool:
    return directory.channels is None or channel in directory.channels


def _unknown_channels(names: Sequence[str], directory: Directory) -> list[str]:
    """A deleted or disabled channel makes a rule unappliable, as a deleted team does."""
    return [n for n in names if not _known(n, directory)]


def _phrase(rule: Rule, before: _State, after: _State, why: list[str]) -> str:
    cause = f" ({', '.join(why)})" if why else ""
    kind = "default rule" if rule.default else "rule"
    head = (
        f"routed to {after.team} by {kind} {rule.name!r}{cause}"
        if after.team != before.team
        else f"{kind} {rule.name!r}{cause}"
    )
    parts = [head]
    if after.assignee != before.assignee and after.assignee:
        parts.append(f"assigned to {after.assignee} ({after.assigned_by})")
    if rule.then.points:
        parts.append(f"{rule.then.points:+g} priority")
    if rule.then.tags:
        parts.append(f"tagged {', '.join(rule.then.tags)}")
    told = [n for n in rule.then.notify if n in after.notify]
    if told:
        parts.append(f"notify {', '.join(told)}")
    return "; ".join(parts)


def evaluate(rules: Sequence[Rule], facts: Facts, directory: Directory) -> Decision:
    """Apply ``rules`` (in order; the default last whatever its place) to one voicemail."""
    state = _State()
    ordered = [rule for rule in rules if rule.enabled and not rule.default]
    default = next((rule for rule in rules if rule.enabled and rule.default), None)
    stopped = False
    for rule in ordered:
        try:
            why = matches(rule, facts, directory)
            if why is None:
                continue
            new, _ = _planned(rule, state, directory, partial=False)
        except CannotApply as exc:
            state.reasons.append(f"rule {rule.name!r} cannot be applied: {exc}")
            state.fell_back = True
            break
        new.reasons.append(_phrase(rule, state, new, why))
        state = new
        if not rule.continues:
            stopped = True
            break
    if not stopped:
        if default is not None:
            new, problems = _planned(default, state, directory, partial=True)
            new.reasons.append(_phrase(default, state, new, []))
            new.reasons += [f"default rule {default.name!r}: {p}" for p in problems]
            state = new
        elif not state.rules:
            state.reasons.append("no rule matched and there is no default rule: left to the mailbox's team")
    return Decision(
        rules=tuple(state.rules),
        team=state.team,
        assignee=state.assignee,
        assigned_by=state.assigned_by,
        points=state.points,
        tags=tuple(state.tags),
        notify=tuple(state.notify),
        reasons=tuple(state.reasons),
        fell_back=state.fell_back,
    )


def after(directory: Directory, decision: Decision, at: datetime) -> Directory:
    """The directory as it is once ``decision`` is stored (its assignee's turn taken, one more open
    voicemail): `voice routing test` runs many cards in a row without storing anything."""
    if decision.team is None or decision.assignee is None or decision.team not in directory.teams:
        return directory
    team = directory.teams[decision.team]
    members = tuple(
        replace(m, last_assigned_at=at, open_assigned=m.open_assigned + 1)
        if m.name == decision.assignee
        else m
        for m in team.members
    )
    return replace(directory, teams={**directory.teams, team.name: replace(team, members=members)})
