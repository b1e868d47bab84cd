"""Acknowledgements' records (docs/acknowledgements.md): a team's settings and templates (a mailbox's
override of them: voice/storage/ack_mailboxes.py), the opt-out list, the repeat window's look-up, and what
Twilio's status callbacks change on a message. The message rows are written by voice/acks/enqueue.py and
sent by voice/integrations/acks.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voice.storage.ack_checks import AckError as AckError
from voice.storage.ack_checks import check_sender as check_sender
from voice.storage.ack_mailboxes import check_team
from voice.storage.ack_models import AckMailboxSettings, AckMessage, AckSettings, AckTemplate
from voice.storage.team_models import TeamMailbox
from voice.storage.teams import find_team

_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


@dataclass(frozen=True)
class SettingsIn:
    enabled: bool | None = None
    channel: str | None = None
    sender: str | None = None
    account_sid: str | None = None
    repeat_hours: float | None = None
    max_wait_hours: float | None = None
    allowed_from: str | None = None
    allowed_until: str | None = None
    business_name: str | None = None


def _check(row: AckSettings) -> None:
    if row.channel not in AckSettings.CHANNELS:
        raise AckError(f"channel is one of {', '.join(AckSettings.CHANNELS)}")
    row.sender = check_sender(row.sender or "", row.channel)
    if not 0 <= row.repeat_hours <= 24 * 365:
        raise AckError("repeat_hours is from 0 to 8760")
    if not 0 < row.max_wait_hours <= 72:
        raise AckError("max_wait_hours is above 0 and at most 72")
    for value in (row.allowed_from, row.allowed_until):
        if not _HHMM.match(value):
            raise AckError(f"{value!r} is not a time HH:MM")
    if row.allowed_from >= row.allowed_until:
        raise AckError("allowed_from must be before allowed_until")
    if row.business_name is not None and len(row.business_name) > 100:
        raise AckError("business_name is at most 100 characters")


def configure(session: Session, team_name: str, change: SettingsIn) -> AckSettings:
    """Create or change a team's settings (only the fields given); a new team's need a sender."""
    team = find_team(session, team_name)
    row = session.get(AckSettings, team.id)
    if row is None:
        if change.sender is None:
            raise AckError("switching acknowledgements on for a team needs a sender")
        row = AckSettings(team_id=team.id, enabled=False, channel=AckSettings.SMS, repeat_hours=24.0)
        row.max_wait_hours, row.allowed_from, row.allowed_until = 14.0, "08:00", "21:00"
        session.add(row)
    for name, value in vars(change).items():
        if value is not None:
            setattr(row, name, value.strip() if isinstance(value, str) else value)
    if row.business_name == "":
        row.business_name = None
    _check(row)
    check_team(session, row)
    session.flush()
    return row


def settings_of(session: Session, team_id: str | None) -> AckSettings | None:
    return session.get(AckSettings, team_id) if team_id else None


def set_template(
    session: Session, team_name: str, body: str, intent: str = "*", language: str = "*", hours: str = "any"
) -> AckTemplate:
    """Write (or replace) the template for this match; the body is checked by the caller (templates.check)."""
    team = find_team(session, team_name)
    if hours not in AckTemplate.HOURS:
        raise AckError(f"hours is one of {', '.join(AckTemplate.HOURS)}")
    intent, language = intent.strip().lower() or "*", language.strip().lower() or "*"
    if len(intent) > 40 or len(language) > 10:
        raise AckError("an intent is at most 40 characters and a language code at most 10")
    match = (AckTemplate.team_id == team.id, AckTemplate.intent == intent, AckTemplate.language == language)
    row = session.scalar(select(AckTemplate).where(*match, AckTemplate.hours == hours))
    if row is None:
        row = AckTemplate(team_id=team.id, intent=intent, language=language, hours=hours, body=body)
        session.add(row)
    else:
        row.body = body
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise AckError("the same template was written meanwhile; try again") from exc
    return row


def delete_template(session: Session, team_name: str, intent: str, language: str, hours: str) -> bool:
    team = find_team(session, team_name)
    done = session.execute(
        delete(AckTemplate).where(
            AckTemplate.team_id == team.id,
            AckTemplate.intent == intent,
            AckTemplate.language == language,
            AckTemplate.hours == hours,
        )
    )
    return bool(getattr(done, "rowcount", 0))


def templates_of(session: Session, team_id: str) -> list[AckTemplate]:
    query = select(AckTemplate).where(AckTemplate.team_id == team_id)
    return list(session.scalars(query.order_by(AckTemplate.intent, AckTemplate.language, AckTemplate.hours)))


def acknowledged_since(session: Session, team_id: str, number_hash: str, since: datetime) -> bool:
    """Whether this team has a message to this number, made since ``since``, that may have reached it.

    On PostgreSQL the caller's transaction first takes a lock on (team, number) held until it ends, so two
    voicemails of one caller finishing at the same moment are decided one after the other: the second sees
    the first's message (READ COMMITTED reads what committed before each statement) and is skipped. SQLite
    writes one transaction at a time, and the result is written before this is asked."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"voice-ack:{team_id}:{number_hash}"},
        )
    query = select(AckMessage.id).where(
        AckMessage.team_id == team_id,
        AckMessage.number_hash == number_hash,
        AckMessage.created_at >= since,
        AckMessage.status.in_(AckMessage.REACHED),
    )
    return session.scalar(query.limit(1)) is not None


def of_voicemail(session: Session, vm_id: str) -> AckMessage | None:
    return session.scalar(select(AckMessage).where(AckMessage.voicemail_id == vm_id))


def recent(session: Session, team_id: str | None = None, limit: int = 50) -> list[AckMessage]:
    query = select(AckMessage).order_by(AckMessage.created_at.desc()).limit(limit)
    if team_id is not None:
        query = query.where(AckMessage.team_id == team_id)
    return list(session.scalars(query))


# Twilio's message statuses in the order they happen: a late callback never moves a message back.
_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3, "read": 4}
_STATUS = {"accepted": "sent", "queued": "sent", "sending": "sent", "sent": "sent", "delivered": "delivered",
           "read": "delivered", "undelivered": "undelivered", "failed": "failed"}  # fmt: skip


def owning_accounts(session: Session, senders: list[str], mailbox: str | None) -> set[str | None]:
    """The Twilio accounts (``account_sid``; None: the only one configured) of the teams and mailboxes whose
    acknowledgements go from one of ``senders``, and of ``mailbox``'s own sender, else of the teams that own
    it: the accounts a message to those numbers may come from (api/routes/twilio_messages.py). A mailbox
    with a sender of its own sends with its own account, else its team's (voice/storage/ack_mailboxes.py)."""
    found = set(session.scalars(select(AckSettings.account_sid).where(AckSettings.sender.in_(senders))))
    box = AckMailboxSettings
    team_account = select(AckSettings.account_sid).where(AckSettings.team_id == box.team_id)
    account = func.coalesce(box.account_sid, team_account.scalar_subquery())
    owned = (TeamMailbox.mailbox == box.mailbox) & (TeamMailbox.team_id == box.team_id)
    own_senders = select(account).join(TeamMailbox, owned).where(box.sender.is_not(None))
    found |= set(session.scalars(own_senders.where(box.sender.in_(senders))))
    if mailbox:
        # A mailbox with a sender of its own is bound to the account that sender sends with, instead of its
        # team's: both at once would refuse every callback when the two differ.
        own = set(session.scalars(own_senders.where(box.mailbox == mailbox)))
        owner = select(TeamMailbox.team_id).where(TeamMailbox.mailbox == mailbox)
        team = select(AckSettings.account_sid).where(AckSettings.team_id.in_(owner))
        found |= own or set(session.scalars(team))
    return found


def status_target(session: Session, ack_id: str, message_sid: str) -> AckMessage | None:
    """The row a status callback to ``/message-status/{ack_id}`` about ``message_sid`` may move: the row at
    that id, when it holds that SID, or holds none yet while ``sending`` (sent, the SID not recorded yet: see
    voice/integrations/acks.py) and no other row holds it. None otherwise: a callback never reaches another
    row, nor one that was never sent (queued, waiting, skipped, dropped)."""
    row = session.get(AckMessage, ack_id)
    if row is None or row.message_sid == message_sid:
        return row
    if row.message_sid is not None or row.status != AckMessage.SENDING:
        return None
    taken = session.scalar(select(AckMessage.id).where(AckMessage.message_sid == message_sid))
    return row if taken is None else None


def record_status(
    session: Session, row: AckMessage, message_sid: str, status: str, error_code: int | None
) -> None:
    """A status callback for ``row`` (from status_target): it moves on, never back."""
    row.message_sid = message_sid
    if status not in _STATUS:
        return
    mapped = _STATUS[status]
    if _ORDER.get(mapped, 0) >= _ORDER.get(row.status, 0) or row.status == AckMessage.SENDING:
        values: dict[str, Any] = {"status": mapped}
        if error_code is not None:
            values["error_code"] = error_code
            values["reason"] = f"Twilio error {error_code}"
        session.execute(update(AckMessage).where(AckMessage.id == row.id).values(**values))
        session.refresh(row)


STATUSES = (
    AckMessage.QUEUED, AckMessage.WAITING, AckMessage.SENDING, AckMessage.SENT, AckMessage.DELIVERED,
    AckMessage.UNDELIVERED, AckMessage.FAILED, AckMessage.SKIPPED, AckMessage.DROPPED,
)  # fmt: skip


def counts(session: Session) -> dict[str, int]:
    """Acknowledgements by status (/metrics)."""
    query = select(AckMessage.status, func.count()).group_by(AckMessage.status)
    return {status: int(n) for status, n in session.execute(query)}


def window_start(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)
