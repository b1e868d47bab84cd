"""Teams: who owns which mailboxes, with a time zone, business hours and a callback deadline, and their
members (web users and API keys). `voice teams` and /v1/teams both call these; who sees what follows from
them in voice/storage/access.py."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voice.core import business_hours, inputs
from voice.storage.models import ApiKey, Role, Team, TeamMailbox, TeamMember, User

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
MAX_DEADLINE_HOURS = 24 * 365


class TeamError(ValueError):
    """A team could not be made or changed as asked; the message says why (a 422 in the API)."""


class TeamNotFound(TeamError):
    """No team of that name (404)."""


class TeamConflict(TeamError):
    """The name or a mailbox is taken already (409)."""


@dataclass(frozen=True)
class TeamInfo:
    """A team as shown by `voice teams list` and the API."""

    name: str
    timezone: str
    business_hours: str | None
    callback_hours: float | None
    mailboxes: list[str]
    users: list[str]
    api_keys: list[tuple[str, str]]  # (id, name)
    created_at: datetime
    unavailable: list[str] = field(default_factory=list)  # users routing does not assign to now
    leads: list[str] = field(default_factory=list)  # who gets what nobody else can take (reassignment)


def team_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME.fullmatch(name):
        raise TeamError(
            f"a team name is 1 to 60 letters, digits, '-' or '_', starting with a letter or "
            f"digit, not {name!r}"
        )
    return name


def _mailboxes(mailboxes: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in mailboxes:
        mailbox = raw.strip()
        try:  # one line: the name is shown in lists and filters
            inputs.check_text(mailbox, "a mailbox name", one_line=True)
        except inputs.InputError as exc:
            raise TeamError(str(exc)) from exc
        if not mailbox or len(mailbox) > 100:
            raise TeamError("a mailbox name is 1 to 100 characters")
        if mailbox not in out:
            out.append(mailbox)
    return out


def _deadline(hours: float | None) -> float | None:
    if hours is not None and not (math.isfinite(hours) and 0 < hours <= MAX_DEADLINE_HOURS):
        raise TeamError(
            f"the callback deadline is a number of hours above 0 and at most {MAX_DEADLINE_HOURS}"
        )
    return hours


def _hours(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return business_hours.parse(text).text
    except business_hours.HoursError as exc:
        raise TeamError(f"business hours: {exc}") from exc


def _zone(name: str) -> str:
    try:
        business_hours.time_zone(name)
    except business_hours.HoursError as exc:
        raise TeamError(str(exc)) from exc
    return name.strip()


def find_team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name.strip().lower()))
    if team is None:
        raise TeamNotFound(f"no team {name.strip()!r}")
    return team


def _claim_mailboxes(session: Session, team: Team, mailboxes: list[str]) -> None:
    """The team owns exactly ``mailboxes``; TeamConflict if another team owns one of them."""
    taken = session.execute(
        select(TeamMailbox.mailbox, Team.name)
        .join(Team, Team.id == TeamMailbox.team_id)
        .where(TeamMailbox.mailbox.in_(mailboxes), TeamMailbox.team_id != team.id)
    ).first()
    if taken is not None:
        raise TeamConflict(f"mailbox {taken[0]!r} belongs to team {taken[1]!r} already")
    session.execute(delete(TeamMailbox).where(TeamMailbox.team_id == team.id))
    session.add_all(TeamMailbox(mailbox=m, team_id=team.id) for m in mailboxes)


def _flush(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:  # another writer took the name or a mailbox between check and write
        session.rollback()
        raise TeamConflict(f"{what} was taken meanwhile; try again") from exc


def create_team(
    session: Session,
    name: str,
    mailboxes: Iterable[str] = (),
    timezone: str = "UTC",
    hours: str | None = None,
    callback_hours: float | None = None,
) -> Team:
    name = team_name(name)
    team = Team(
        name=name,
        timezone=_zone(timezone),
        business_hours=_hours(hours),
        callback_hours=_deadline(callback_hours),
    )
    boxes = _mailboxes(mailboxes)
    if session.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise TeamConflict(f"team {name!r} exists already")
    session.add(team)
    _flush(session, f"the name {name!r}")
    _claim_mailboxes(session, team, boxes)
    _flush(session, "a mailbox")
    return team


KEEP: Any = object()  # update_team: leave this field as it is


def update_team(
    session: Session,
    name: str,
    *,
    mailboxes: Iterable[str] | None = None,
    timezone: str | None = None,
    hours: str | None = KEEP,
    callback_hours: float | None = KEEP,
) -> Team:
    """Change what is given: ``mailboxes`` replaces the team's list; None for ``hours`` or ``callback_hours``
    clears them."""
    team = find_team(session, name)
    if timezone is not None:
        team.timezone = _zone(timezone)
    if hours is not KEEP:
        team.business_hours = _hours(hours)
    if callback_hours is not KEEP:
        team.callback_hours = _deadline(callback_hours)
    if mailboxes is not None:
        _claim_mailboxes(session, team, _mailboxes(mailboxes))
    _flush(session, "a mailbox")
    return team


def delete_team(session: Session, name: str) -> None:
    """The team, its mailboxes and memberships go; its voicemails stay (their mailboxes then belong to no
    team)."""
    team = find_team(session, name)
    session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.execute(delete(TeamMailbox).where(TeamMailbox.team_id == team.id))
    session.delete(team)
    session.flush()


def _member(session: Session, username: str | None, api_key: str | None) -> tuple[str | None, str | None]:
    """(user id, key id) of the one member named: a user by name, a key by id or name."""
    if (username is None) == (api_key is None):
        raise TeamError("name a user or an API key (one of the two)")
    if username is not None:
        user_id = session.scalar(select(User.id).where(User.username == username.strip()))
        if user_id is None:
            raise TeamError(f"no user {username.strip()!r}: make one with `voice users create`")
        return user_id, None
    assert api_key is not None
    key = session.get(ApiKey, api_key) or session.scalar(
        select(ApiKey)
        .where(ApiKey.name == api_key, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at.desc())
    )
    if key is None or key.revoked_at is not None:
        raise TeamError(f"no active API key with id or name {api_key!r}")
    if key.role == Role.INGEST:
        raise TeamError(f"key {key.name!r} is an ingest key, which sees only what it posted: bind agent keys")
    return None, key.id


def _membership(
    session: Session, team_name_: str, username: str | None, api_key: str | None
) -> tuple[Team, str | None, str | None, ColumnElement[bool]]:
    """The team, the member's user id or key id, and the condition that finds its membership row."""
    team = find_team(session, team_name_)
    user_id, key_id = _member(session, username, api_key)
    column = TeamMember.user_id if user_id else TeamMember.api_key_id
    return team, user_id, key_id, and_(TeamMember.team_id == team.id, column == (user_id or key_id))


def add_member(
    session: Session, team_name_: str, username: str | None = None, api_key: str | None = None
) -> Team:
    """Add a user or an API key to the team (nothing changes if it is in it already)."""
    team, user_id, key_id, row = _membership(session, team_name_, username, api_key)
    found = session.scalar(select(TeamMember.id).where(row))
    if found is None:
        session.add(TeamMember(team_id=team.id, user_id=user_id, api_key_id=key_id))
        _flush(session, "the membership")
    return team


def remove_member(
    session: Session, team_name_: str, username: str | None = None, api_key: str | None = None
) -> Team:
    """Take a user or an API key out of the team; TeamError if it was not in it."""
    team, _, _, row = _membership(session, team_name_, username, api_key)
    gone = session.execute(delete(TeamMember).where(row))
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise TeamNotFound(f"{username or api_key!r} is not in team {team.name!r}")
    session.flush()
    return team


def set_available(session: Session, team_name_: str, username: str, available: bool) -> Team:
    """Mark a user of the team available or not for routing's assignments (voice/routing); TeamNotFound if
    they are not in it."""
    team, _, _, row = _membership(session, team_name_, username, None)
    changed = session.execute(update(TeamMember).where(row).values(available=available))
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise TeamNotFound(f"{username!r} is not in team {team.name!r}")
    session.flush()
    return team


def set_lead(session: Session, team_name_: str, username: str, lead: bool) -> Team:
    """Make a user of the team a lead or not (reassignment gives a lead what no available member can
    take, docs/callbacks.md); TeamNotFound if they are not in it."""
    team, _, _, row = _membership(session, team_name_, username, None)
    changed = session.execute(update(TeamMember).where(row).values(lead=lead))
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise TeamNotFound(f"{username!r} is not in team {team.name!r}")
    session.flush()
    return team


def describe(session: Session, team: Team) -> TeamInfo:
    mailboxes = session.scalars(
        select(TeamMailbox.mailbox).where(TeamMailbox.team_id == team.id).order_by(TeamMailbox.mailbox)
    ).all()
    users = session.execute(
        select(User.username, TeamMember.available, TeamMember.lead)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id).order_by(User.username)
    ).all()  # fmt: skip
    keys = session.execute(
        select(ApiKey.id, ApiKey.name).join(TeamMember, TeamMember.api_key_id == ApiKey.id)
        .where(TeamMember.team_id == team.id).order_by(ApiKey.name)
    ).all()  # fmt: skip
    return TeamInfo(
        name=team.name,
        timezone=team.timezone,
        business_hours=team.business_hours,
        callback_hours=team.callback_hours,
        mailboxes=list(mailboxes),
        users=[u for u, _, _ in users],
        api_keys=[(k[0], k[1]) for k in keys],
        created_at=team.created_at,
        unavailable=[u for u, available, _ in users if not available],
        leads=[u for u, _, lead in users if lead],
    )


def list_teams(session: Session) -> list[TeamInfo]:
    return [describe(session, t) for t in session.scalars(select(Team).order_by(Team.name))]


def team_deadlines(session: Session) -> dict[str, float]:
    """Callback deadline in hours per team id, for the teams that set one (voicemails routed to them)."""
    rows = session.execute(select(Team.id, Team.callback_hours).where(Team.callback_hours.is_not(None)))
    return {team_id: float(hours) for team_id, hours in rows if hours is not None}


def deadlines(session: Session) -> dict[str, float]:
    """Callback deadline in hours per mailbox, for the mailboxes of teams that set one."""
    rows = session.execute(
        select(TeamMailbox.mailbox, Team.callback_hours)
        .join(Team, Team.id == TeamMailbox.team_id)
        .where(Team.callback_hours.is_not(None))
    )
    return {mailbox: float(hours) for mailbox, hours in rows if hours is not None}
