"""The acknowledgement of a voicemail whose processing ended, decided and written in the transaction that
stores the result (voice/routing/route.py calls ``after_processing``), so it exists exactly once with the
result: the unique voicemail_id keeps a reprocess or a retried transaction from writing a second row.

What the row says is settled here: skipped with a reason, dropped (it could not go within the team's max
wait), or queued / waiting with its body, rendered for the moment it is due to go."""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from voice.acks import callback_time, eligibility, hours, templates
from voice.core import business_hours
from voice.core.phone import caller_number
from voice.storage import ack_mailboxes, opt_outs
from voice.storage import acks as store
from voice.storage.ack_mailboxes import Effective
from voice.storage.models import AckMessage, Team, TeamMailbox, Voicemail, as_utc, utcnow

log = logging.getLogger(__name__)

# A team without a callback deadline promises the settings' default (VOICE_SLA__DEFAULT_HOURS's default).
DEFAULT_DEADLINE_H = 4.0


def _team(session: Session, vm: Voicemail) -> Team | None:
    """The team routing gave the voicemail to, else the team owning its mailbox."""
    if vm.team_id:
        return session.get(Team, vm.team_id)
    if vm.call.mailbox:
        owner = session.scalar(select(TeamMailbox.team_id).where(TeamMailbox.mailbox == vm.call.mailbox))
        return session.get(Team, owner) if owner else None
    return None


@dataclass(frozen=True)
class _Facts:
    vm: Voicemail
    team: Team
    config: Effective  # the team's settings, with the voicemail's mailbox's override
    number: str | None
    intent: str | None
    language: str | None
    caller_name: str | None
    received: datetime


def _facts(session: Session, vm: Voicemail, team: Team, config: Effective, region: str) -> _Facts:
    revision = vm.current_revision
    summary = revision.summary if revision is not None else None
    parsed = caller_number(vm.call.from_number, region)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else None
    return _Facts(
        vm,
        team,
        config,
        e164,
        summary.intent if summary is not None else None,
        revision.language if revision is not None else None,
        summary.caller_name if summary is not None else None,
        as_utc(vm.call.started_at or vm.created_at),
    )


def _skip_reason(session: Session, f: _Facts, now: datetime) -> str | None:
    revision = f.vm.current_revision
    summary = revision.summary if revision is not None else None
    digest = opt_outs.number_hash(f.number) if f.number else ""
    case = eligibility.Case(
        status=f.vm.status,
        intent=f.intent,
        flags=tuple(summary.flags or ()) if summary is not None else (),
        number=f.number,
        opted_out=bool(f.number) and opt_outs.is_opted_out(session, f.number or "", f.config.sender or ""),
        acknowledged_recently=bool(f.number)
        and store.acknowledged_since(
            session, f.team.id, digest, store.window_start(now, f.config.repeat_hours)
        ),
    )
    return eligibility.skip_reason(case)


def _values(f: _Facts, at: datetime, zone: zoneinfo.ZoneInfo) -> tuple[dict[str, str], bool | None]:
    """The template's variables for a message going at ``at``, and whether the voicemail came in business
    hours (None: the team has none)."""
    team_zone = business_hours.time_zone(f.team.timezone or "UTC")
    opening = business_hours.parse(f.team.business_hours) if f.team.business_hours else None
    deadline = f.team.callback_hours or DEFAULT_DEADLINE_H
    due = callback_time.promised(f.received, at, deadline, opening, team_zone)
    values = {
        "caller_name": templates.first_name(f.caller_name),
        "topic": templates.topic(f.intent, f.language),
        "team": f.team.name,
        "callback_by": callback_time.spoken(due, at, zone, f.language) if due else "",
        "business_name": f.config.business_name or "",
    }
    in_hours = opening.is_open(f.received, team_zone) if opening is not None else None
    return values, in_hours


def _plan(session: Session, f: _Facts, now: datetime) -> AckMessage:
    """The row for an eligible caller: queued now, waiting for their allowed hours, or dropped/skipped."""
    assert f.number is not None
    row = AckMessage(status=AckMessage.SKIPPED)
    team_zone = f.team.timezone or "UTC"
    zones = hours.caller_zones(f.number, team_zone)
    allowed = hours.AllowedHours(f.config.allowed_from, f.config.allowed_until)
    at = allowed.next_open(now, zones)
    limit = now + timedelta(hours=f.config.max_wait_hours)
    if at is None:
        row.reason = "no moment is inside the allowed hours in every time zone of the caller's number"
        return row
    if at > limit:
        row.status = AckMessage.DROPPED
        row.reason = (
            f"outside the caller's allowed hours ({f.config.allowed_from}-{f.config.allowed_until} local) "
            f"until after the team's max wait of {f.config.max_wait_hours:g} h"
        )
        return row
    zone = zones[0] if len(zones) == 1 else business_hours.time_zone(team_zone)
    values, in_hours = _values(f, at, zone)
    chosen = templates.choose(
        store.templates_of(session, f.team.id), templates.Wanted(f.intent, f.language, in_hours)
    )
    if chosen is None:
        row.reason = "no template fits this voicemail (intent, language, hours)"
        return row
    try:
        row.body = templates.render(chosen.body, values)
    except templates.TemplateInvalid as exc:  # checked when written; a variable may still fail to fill
        row.reason = str(exc)[:500]
        return row
    row.status = AckMessage.QUEUED if at <= now else AckMessage.WAITING
    row.next_attempt_at, row.not_after = at, limit
    if row.status == AckMessage.WAITING:
        row.reason = f"waiting for the caller's allowed hours ({f.config.allowed_from} local)"
    return row


def decide(session: Session, vm: Voicemail, region: str, now: datetime) -> AckMessage | None:
    """The row to write for ``vm`` (not added), or None: no team with acknowledgements on for the voicemail's
    mailbox (the team's settings with the mailbox's override: voice/storage/ack_mailboxes.py), or one
    exists."""
    team = _team(session, vm)
    config = ack_mailboxes.effective(session, team.id if team else None, vm.call.mailbox)
    if team is None or config is None or not config.enabled or store.of_voicemail(session, vm.id):
        return None
    f = _facts(session, vm, team, config, region)
    reason = None
    if now - f.received > timedelta(hours=config.max_wait_hours):
        reason = f"the voicemail is older than the team's max wait of {config.max_wait_hours:g} h"
    reason = reason or _skip_reason(session, f, now)
    row = AckMessage(status=AckMessage.SKIPPED, reason=reason) if reason else _plan(session, f, now)
    row.voicemail_id, row.team_id, row.created_at = vm.id, team.id, now
    row.to_number = f.number
    row.number_hash = opt_outs.number_hash(f.number) if f.number else None
    row.sender, row.account_sid, row.channel = config.sender, config.account_sid, config.channel
    row.language = (f.language or "")[:10] or None
    if row.status not in AckMessage.OPEN:
        row.next_attempt_at = None
    return row


def after_processing(
    session: Session, vm_id: str, region: str = "US", now: datetime | None = None
) -> AckMessage | None:
    """Write the acknowledgement row of ``vm_id`` in the caller's transaction (see the module's docstring).
    Like routing, never fails the voicemail for a fault of its own: it is logged and no row is written."""
    vm = session.get(Voicemail, vm_id)
    if vm is None:
        return None
    try:
        row = decide(session, vm, region, now or utcnow())
    except SQLAlchemyError:
        raise
    except Exception:  # a bug, a template that no longer fills: the voicemail keeps its result
        log.exception("acknowledgement of voicemail %s failed", vm_id)
        return None
    if row is None:
        return None
    try:  # a savepoint: another transaction writing this voicemail's row first leaves ours intact
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row
