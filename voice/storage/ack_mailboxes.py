"""Acknowledgements per mailbox (docs/acknowledgements.md): a mailbox's override of its team's settings, and
the settings in effect for a voicemail of a team and mailbox (``effective``): the override's switch, sender,
channel, account and repeat window where it sets them, the team's for the rest. Templates, the caller's
allowed hours, the max wait and the business name are always the team's.

An override belongs to a team and one of its mailboxes; it applies to the voicemails of that mailbox the
team acknowledges while it owns the mailbox (one that moved to another team is not overridden there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.storage.ack_checks import AckError, check_sender
from voice.storage.ack_models import AckMailboxSettings, AckSettings
from voice.storage.team_models import Team, TeamMailbox
from voice.storage.teams import TeamNotFound, find_team

# What a mailbox may set; the rest is the team's.
FIELDS = ("enabled", "channel", "sender", "account_sid", "repeat_hours")


class MailboxNotFound(TeamNotFound):
    """The team owns no such mailbox, or the mailbox has no override (404)."""


@dataclass(frozen=True)
class Effective:
    """The settings a voicemail of ``team_id`` (and ``mailbox``) is acknowledged with."""

    team_id: str
    enabled: bool
    channel: str
    sender: str | None
    account_sid: str | None
    repeat_hours: float
    mailbox: str | None = None
    max_wait_hours: float = 14.0
    allowed_from: str = "08:00"
    allowed_until: str = "21:00"
    business_name: str | None = None
    overridden: bool = False  # the mailbox has an override


def merge(team_id: str, team: AckSettings | None, box: AckMailboxSettings | None) -> Effective | None:
    """The team's settings with the mailbox's override on top; None when there are neither."""
    if team is None and box is None:
        return None
    values: dict[str, Any] = {"enabled": False, "channel": AckSettings.SMS, "sender": None}
    values |= {"account_sid": None, "repeat_hours": 24.0}
    if team is not None:
        names = (*FIELDS, "max_wait_hours", "allowed_from", "allowed_until", "business_name")
        values |= {name: getattr(team, name) for name in names}
    if box is not None:
        values |= {name: getattr(box, name) for name in FIELDS if getattr(box, name) is not None}
        values |= {"mailbox": box.mailbox, "overridden": True}
    return Effective(team_id=team_id, **values)


def owned(session: Session, team_name: str, mailbox: str) -> Team:
    """The team, when it owns ``mailbox``; MailboxNotFound (or TeamNotFound) otherwise."""
    team = find_team(session, team_name)
    owner = session.scalar(select(TeamMailbox.team_id).where(TeamMailbox.mailbox == mailbox.strip()))
    if owner != team.id:
        raise MailboxNotFound(f"team {team.name!r} has no mailbox {mailbox.strip()!r}")
    return team


def override_of(session: Session, team_id: str, mailbox: str | None) -> AckMailboxSettings | None:
    """The override of ``mailbox`` by ``team_id``, while that team owns it."""
    if not mailbox:
        return None
    return session.scalar(
        select(AckMailboxSettings)
        .join(
            TeamMailbox,
            (TeamMailbox.mailbox == AckMailboxSettings.mailbox)
            & (TeamMailbox.team_id == AckMailboxSettings.team_id),
        )
        .where(AckMailboxSettings.team_id == team_id, AckMailboxSettings.mailbox == mailbox)
    )


def effective(session: Session, team_id: str | None, mailbox: str | None) -> Effective | None:
    """The settings in effect for a voicemail of this team and mailbox; None: nothing is set for either."""
    if not team_id:
        return None
    return merge(team_id, session.get(AckSettings, team_id), override_of(session, team_id, mailbox))


def overrides_of(session: Session, team_id: str) -> list[AckMailboxSettings]:
    """The team's overrides of the mailboxes it owns, by mailbox."""
    query = (
        select(AckMailboxSettings)
        .join(
            TeamMailbox,
            (TeamMailbox.mailbox == AckMailboxSettings.mailbox)
            & (TeamMailbox.team_id == AckMailboxSettings.team_id),
        )
        .where(AckMailboxSettings.team_id == team_id)
    )
    return list(session.scalars(query.order_by(AckMailboxSettings.mailbox)))


def check(eff: Effective, box: AckMailboxSettings) -> None:
    """AckError unless the mailbox's settings in effect can be used (see ``configure``)."""
    where = f"mailbox {box.mailbox!r}: "
    if box.channel is not None and box.channel not in AckSettings.CHANNELS:
        raise AckError(f"{where}channel is one of {', '.join(AckSettings.CHANNELS)}")
    if box.repeat_hours is not None and not 0 <= box.repeat_hours <= 24 * 365:
        raise AckError(f"{where}repeat_hours is from 0 to 8760")
    if box.account_sid is not None and box.sender is None:
        raise AckError(f"{where}a mailbox sending with its own account needs its own sender")
    if eff.sender is None:
        if eff.enabled:
            raise AckError(f"{where}switching a mailbox on needs a sender (its team has none)")
        return
    try:
        check_sender(eff.sender, eff.channel)
    except AckError as exc:
        raise AckError(f"{where}{exc}") from None


def configure_mailbox(session: Session, team_name: str, mailbox: str, change: dict[str, Any]) -> Effective:
    """Set the fields in ``change`` of a mailbox's override (None: follow the team's again); the mailbox
    must be the team's. The override left with nothing set is removed. Returns the settings in effect."""
    unknown = set(change) - set(FIELDS)
    if unknown:
        raise AckError(f"a mailbox sets only {', '.join(FIELDS)}, not {', '.join(sorted(unknown))}")
    team = owned(session, team_name, mailbox)
    mailbox = mailbox.strip()
    team_settings = session.get(AckSettings, team.id)
    box = session.get(AckMailboxSettings, (team.id, mailbox))
    if box is None:
        box = AckMailboxSettings(team_id=team.id, mailbox=mailbox)
        session.add(box)
    for name, value in change.items():
        setattr(box, name, (value.strip() or None) if isinstance(value, str) else value)
    eff = merge(team.id, team_settings, box)
    assert eff is not None
    check(eff, box)  # before anything is flushed: a refused value never reaches the database
    if all(getattr(box, f) is None for f in FIELDS):
        if box in session.new:
            session.expunge(box)
        else:
            session.delete(box)
    session.flush()
    return eff


def clear_mailbox(session: Session, team_name: str, mailbox: str) -> bool:
    """Remove a mailbox's override (it follows the team's settings again); False when it had none."""
    team = find_team(session, team_name)
    box = session.get(AckMailboxSettings, (team.id, mailbox.strip()))
    if box is None:
        owned(session, team_name, mailbox)
        return False
    session.delete(box)
    session.flush()
    return True


def check_team(session: Session, team: AckSettings) -> None:
    """AckError when a change of the team's settings leaves one of its mailboxes unusable (a mailbox with a
    WhatsApp sender of its own and the team's channel now sms, say)."""
    for box in overrides_of(session, team.team_id):
        eff = merge(team.team_id, team, box)
        assert eff is not None
        check(eff, box)
