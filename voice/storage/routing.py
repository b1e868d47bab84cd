"""Routing rules, caller lists and what routing reads and writes (voice/routing decides; docs/routing.md).
`voice routing`, /v1/routing and the pipeline's end all come here through voice/usecases/routing.py and
voice/routing/route.py; names and rule contents are checked there (voice/routing/spec.py) before."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voice.storage.models import (
    AgentState,
    CallerList,
    CallerNumber,
    RoutingRule,
    Team,
    TeamMailbox,
    TeamMember,
    User,
    Voicemail,
    VoicemailEvent,
    utcnow,
)


class RoutingError(ValueError):
    """A rule or list could not be changed as asked; the message says why (a 422 in the API)."""


class RoutingNotFound(RoutingError):
    """No rule, list or voicemail of that name or id (404)."""


class RoutingConflict(RoutingError):
    """The name is taken, or a second default rule (409)."""


@dataclass(frozen=True)
class NewRule:
    """A rule as stored (its contents checked by voice/routing/spec.py)."""

    name: str
    conditions: dict[str, Any]
    actions: dict[str, Any]
    continues: bool = False
    is_default: bool = False
    enabled: bool = True


def list_rules(session: Session) -> list[RoutingRule]:
    """In the order they are tried; the default rule last."""
    query = select(RoutingRule).order_by(RoutingRule.is_default, RoutingRule.position, RoutingRule.id)
    return list(session.scalars(query))


def _renumber(session: Session, rules: list[RoutingRule]) -> None:
    for number, rule in enumerate(rules, start=1):
        rule.position = number
    session.flush()


def _row(rule: NewRule, position: int) -> RoutingRule:
    return RoutingRule(
        name=rule.name,
        position=position,
        enabled=rule.enabled,
        is_default=rule.is_default,
        conditions=rule.conditions,
        actions=rule.actions,
        continues=rule.continues,
    )


def _second_default(exc: IntegrityError) -> bool:
    """The database refused a second default rule (index uq_routing_rules_one_default, migration 0018)."""
    said = str(exc.orig)
    return "uq_routing_rules_one_default" in said or "routing_rules.is_default" in said  # PostgreSQL, SQLite


def _flush(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # another writer took the name, or made a default, between check and write
        session.rollback()
        if _second_default(exc):
            current = session.scalar(select(RoutingRule.name).where(RoutingRule.is_default.is_(True)))
            raise RoutingConflict(
                f"rule {current!r} is the default already; delete it first"
                if current
                else "another default rule was being written at the same time; try again"
            ) from exc
        raise RoutingConflict(f"{what} was taken meanwhile; try again") from exc


def replace_rules(session: Session, rules: list[NewRule]) -> None:
    """The whole rule set becomes ``rules``, in this order, in the caller's transaction (all or nothing).
    The old rules (the default among them) are deleted before the new ones are written."""
    if session.get_bind().dialect.name == "postgresql":
        # Two loads at once: the second waits for the first to commit, then replaces what it wrote (without
        # the lock its DELETE would not see the first's new rows, and the sets would mix or collide). SQLite
        # writes one transaction at a time anyway. Plain reads (routing a voicemail) do not wait.
        session.execute(text("LOCK TABLE routing_rules IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(delete(RoutingRule))
    session.flush()
    session.add_all(_row(rule, number) for number, rule in enumerate(rules, start=1))
    _flush(session, "a rule's name")


def find_rule(session: Session, name: str) -> RoutingRule:
    rule = session.scalar(select(RoutingRule).where(RoutingRule.name == name))
    if rule is None:
        raise RoutingNotFound(f"no routing rule {name!r}")
    return rule


def add_rule(session: Session, rule: NewRule, position: int | None = None) -> RoutingRule:
    """Add a rule at ``position`` (1 is tried first; None: after the others)."""
    if session.scalar(select(RoutingRule.id).where(RoutingRule.name == rule.name)) is not None:
        raise RoutingConflict(f"routing rule {rule.name!r} exists already")
    if rule.is_default:
        current = session.scalar(select(RoutingRule.name).where(RoutingRule.is_default.is_(True)))
        if current is not None:
            raise RoutingConflict(f"rule {current!r} is the default already; delete it first")
    ordered = [r for r in list_rules(session) if not r.is_default]
    row = _row(rule, 0)
    session.add(row)
    _flush(session, f"the name {rule.name!r}")
    if not rule.is_default:
        at = len(ordered) if position is None else max(0, min(position - 1, len(ordered)))
        ordered.insert(at, row)
        _renumber(session, ordered)
    return row


def delete_rule(session: Session, name: str) -> None:
    session.delete(find_rule(session, name))
    session.flush()
    _renumber(session, [r for r in list_rules(session) if not r.is_default])


def move_rule(session: Session, name: str, position: int) -> RoutingRule:
    """Put the rule at ``position`` (1: tried first)."""
    rule = find_rule(session, name)
    if rule.is_default:
        raise RoutingError("the default rule is always tried last; it cannot be moved")
    ordered = [r for r in list_rules(session) if not r.is_default and r.id != rule.id]
    ordered.insert(max(0, min(position - 1, len(ordered))), rule)
    _renumber(session, ordered)
    return rule


def set_enabled(session: Session, name: str, enabled: bool) -> RoutingRule:
    rule = find_rule(session, name)
    rule.enabled = enabled
    session.flush()
    return rule


# --- caller lists ----------------------------------------------------------------------------------


def caller_lists(session: Session) -> dict[str, list[str]]:
    """Every list with its numbers (E.164), by name."""
    out: dict[str, list[str]] = {
        name: [] for name in session.scalars(select(CallerList.name).order_by(CallerList.name))
    }
    rows = session.execute(
        select(CallerList.name, CallerNumber.number)
        .join(CallerNumber, CallerNumber.list_id == CallerList.id)
        .order_by(CallerList.name, CallerNumber.number)
    )
    for name, number in rows:
        out[name].append(number)
    return out


def add_numbers(session: Session, name: str, numbers: Iterable[str]) -> None:
    """Add numbers (E.164) to the list, making it if need be; numbers on it already stay once."""
    found = session.scalar(select(CallerList).where(CallerList.name == name))
    if found is None:
        found = CallerList(name=name)
        session.add(found)
        _flush(session, f"the list name {name!r}")
    have = set(session.scalars(select(CallerNumber.number).where(CallerNumber.list_id == found.id)))
    for number in numbers:
        if number not in have:
            session.add(CallerNumber(list_id=found.id, number=number))
            have.add(number)
    _flush(session, "a number")


def _list_id(session: Session, name: str) -> int:
    list_id = session.scalar(select(CallerList.id).where(CallerList.name == name))
    if list_id is None:
        raise RoutingNotFound(f"no caller list {name!r}")
    return list_id


def remove_numbers(session: Session, name: str, numbers: Iterable[str]) -> int:
    """Take numbers off the list; how many were on it."""
    list_id = _list_id(session, name)
    gone = session.execute(
        delete(CallerNumber).where(CallerNumber.list_id == list_id, CallerNumber.number.in_(list(numbers)))
    )
    session.flush()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def delete_list(session: Session, name: str) -> None:
    list_id = _list_id(session, name)
    session.execute(delete(CallerNumber).where(CallerNumber.list_id == list_id))
    session.execute(delete(CallerList).where(CallerList.id == list_id))
    session.flush()


# --- what the evaluator reads ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    team: str
    username: str
    available: bool
    last_assigned_at: datetime | None


def teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def members(session: Session) -> list[MemberRow]:
    """Every web user in a team who may be assigned voicemails (agent keys are not people; disabled users
    cannot sign in)."""
    rows = session.execute(
        select(Team.name, User.username, TeamMember.available, TeamMember.last_assigned_at)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(User, User.id == TeamMember.user_id)
        .where(User.disabled_at.is_(None))
        .order_by(Team.name, User.username)
    )
    return [MemberRow(t, u, bool(a), last) for t, u, a, last in rows]


def team_sizes(session: Session) -> dict[str, int]:
    """Per team, everyone in it (web users and agent keys): a team of nobody is nobody's to see."""
    rows = session.execute(
        select(Team.name, func.count(TeamMember.id))
        .join(TeamMember, TeamMember.team_id == Team.id)
        .group_by(Team.name)
    )
    return {name: int(count) for name, count in rows}


def open_assigned(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Per assignee, the voicemails assigned to them that nobody marked handled."""
    rows = session.execute(
        select(Voicemail.assignee, func.count())
        .where(Voicemail.assignee.in_(sorted(set(names))), Voicemail.agent_state != AgentState.HANDLED)
        .group_by(Voicemail.assignee)
    )
    return {name: int(count) for name, count in rows if name}


def mailbox_teams(session: Session) -> dict[str, str]:
    rows = session.execute(select(TeamMailbox.mailbox, Team.name).join(Team, Team.id == TeamMailbox.team_id))
    return {mailbox: name for mailbox, name in rows}


def rule_tags(session: Session) -> list[str]:
    """Every tag a rule adds, sorted (the inbox offers them in its tag filter)."""
    found = {
        t
        for actions in session.scalars(select(RoutingRule.actions))
        for t in (actions or {}).get("tags") or []
    }
    return sorted(found)


def list_numbers(session: Session) -> dict[str, frozenset[str]]:
    return {name: frozenset(numbers) for name, numbers in caller_lists(session).items()}


def apply(
    session: Session,
    vm: Voicemail,
    team: str | None,
    assignee: str | None,
    points: float,
    tags: list[str],
    record: dict[str, Any],
    detail: str,
    take_turn: bool = True,
) -> None:
    """Write a decision onto the voicemail, in the caller's transaction: its team, the assignee routing
    chose (replacing only one routing chose before), the tags and priority points (replacing the previous
    decision's), the decision itself, a line in its history, and (``take_turn``) the assignee's turn for
    round robin."""
    previous = vm.routing or {}
    now = utcnow()
    team_id = session.scalar(select(Team.id).where(Team.name == team)) if team else None
    old_points = float(vm.routing_points or 0.0)
    if vm.priority is not None:
        vm.priority = vm.priority - old_points + points
    vm.routing_points = points
    kept = [t for t in (vm.tags or []) if t not in (previous.get("tags") or [])]
    vm.tags = kept + [t for t in tags if t not in kept]
    vm.team_id = team_id
    if assignee is not None:
        vm.assignee = assignee
        if team_id is not None and take_turn:
            session.execute(
                update(TeamMember)
                .where(
                    TeamMember.team_id == team_id,
                    TeamMember.user_id == select(User.id).where(User.username == assignee).scalar_subquery(),
                )
                .values(last_assigned_at=now)
            )
    elif vm.assignee is not None and vm.assignee == previous.get("assignee"):
        vm.assignee = None  # routing's own earlier choice, no longer the decision
    vm.routing = {**record, "at": now.isoformat()}
    vm.updated_at = now
    session.add(VoicemailEvent(voicemail_id=vm.id, status=vm.status, detail=detail))
    session.flush()
