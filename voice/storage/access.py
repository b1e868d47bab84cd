"""Who sees which voicemail: the one rule every read path applies (docs/teams.md).

- Admins (web users and API keys) see everything.
- Ingest keys see only the voicemails they posted (and calls they own).
- Agents (web users and agent keys) in one or more teams see the voicemails routed to one of their teams
  (voice/routing), and those routed to no team whose mailbox belongs to one of their teams; nothing else.
- Agents in no team: while no team exists at all, everything (an install without teams works as before);
  once one exists, only the voicemails routed to no team whose mailbox belongs to no team (or that have no
  mailbox).

A voicemail outside the scope does not exist for the caller: each read path answers 404, never 403. The
rule is a SQL condition on voicemails (``condition``), used by the list, the search, the counts, one
voicemail and a call's voicemails (voice/storage/inbox.py); routes only build the scope (``for_key``,
``for_user``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from voice.storage.keys import Principal
from voice.storage.models import CallRecord, Role, Team, TeamMailbox, TeamMember, User, Voicemail

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class Scope:
    """What one caller may see; the default sees everything. At most one field is set."""

    api_key_id: str | None = None  # an ingest key: only what it posted
    mailboxes: frozenset[str] | None = None  # an agent in teams: these mailboxes, unless routed elsewhere
    teams: frozenset[str] = frozenset()  # ... and what was routed to these teams (ids), with ``mailboxes``
    unowned: bool = False  # an agent in no team, once teams exist: only mailboxes no team owns

    @property
    def everything(self) -> bool:
        return self.api_key_id is None and self.mailboxes is None and not self.unowned


EVERYTHING = Scope()


def _agent(session: Session, member: ColumnElement[bool]) -> Scope:
    teams = session.scalars(select(TeamMember.team_id).where(member)).all()
    if teams:
        mailboxes = session.scalars(select(TeamMailbox.mailbox).where(TeamMailbox.team_id.in_(teams))).all()
        return Scope(mailboxes=frozenset(mailboxes), teams=frozenset(teams))
    if session.scalar(select(Team.id).limit(1)) is None:
        return EVERYTHING  # no teams yet: agents see everything, as before teams existed
    return Scope(unowned=True)


def for_key(session: Session, who: Principal) -> Scope:
    """The scope of an API caller."""
    if who.role == Role.ADMIN:
        return EVERYTHING
    if who.role == Role.INGEST:
        return Scope(api_key_id=who.key_id)
    return _agent(session, TeamMember.api_key_id == who.key_id)


def for_user(session: Session, user: User) -> Scope:
    """The scope of a web user."""
    if user.role == Role.ADMIN:
        return EVERYTHING
    return _agent(session, TeamMember.user_id == user.id)


def condition(scope: Scope) -> ColumnElement[bool] | None:
    """The rule as a condition on Voicemail; None when the scope sees everything."""
    if scope.api_key_id is not None:
        return Voicemail.api_key_id == scope.api_key_id
    # A voicemail routed to a team belongs to that team; one routed to none (not routed, or its team
    # deleted) belongs to its mailbox's team.
    unrouted = Voicemail.team_id.is_(None)
    if scope.mailboxes is not None:
        calls = select(CallRecord.id).where(CallRecord.mailbox.in_(sorted(scope.mailboxes)))
        return or_(Voicemail.team_id.in_(sorted(scope.teams)), and_(unrouted, Voicemail.call_id.in_(calls)))
    if scope.unowned:
        owned = select(TeamMailbox.mailbox)
        calls = select(CallRecord.id).where(
            or_(CallRecord.mailbox.is_(None), CallRecord.mailbox.not_in(owned))
        )
        return and_(unrouted, Voicemail.call_id.in_(calls))
    return None


def visible(query: Q, scope: Scope) -> Q:
    """``query`` (over voicemails) narrowed to what ``scope`` sees."""
    rule = condition(scope)
    return query if rule is None else query.where(rule)


def call_visible(call: CallRecord, scope: Scope) -> bool:
    """Whether the call record itself may be shown (its voicemails are narrowed by ``condition``): an ingest
    key sees only calls it owns, even if one of its voicemails sits in an older shared record."""
    return scope.api_key_id is None or call.owner == scope.api_key_id


def mailboxes(session: Session, scope: Scope) -> list[str]:
    """The mailboxes of the voicemails ``scope`` sees (the inbox's mailbox filter), sorted."""
    query = select(CallRecord.mailbox).where(CallRecord.mailbox.is_not(None)).distinct()
    if not scope.everything:
        query = query.where(CallRecord.id.in_(visible(select(Voicemail.call_id), scope)))
    return sorted(m for m in session.scalars(query) if m)
