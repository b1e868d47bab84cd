"""Sending CRM syncs (docs/crm.md): every serving process claims due rows of the CRM outbox
(voice/storage/crm.py) under a lease with the job mechanism (kind ``crm_sync``), builds the voicemail as the
CRM sees it, cut to the connector's data minimisation, and hands it to the connector (zendesk.py,
hubspot.py). Ids the CRM answers with are stored at once, each in its own transaction (``CrmLink``), so no
attempt makes again what one before it made. Network errors, 429 and 5xx are tried again with the policy's
backoff; any other refusal fails the row with the CRM's answer. A connector that is down holds back only its
own rows (a connector is the job's group, one sync of it at a time per process)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.core.config import Settings
from voice.core.phone import to_e164
from voice.integrations import hubspot, notify_render, zendesk
from voice.integrations.crm_types import CrmFailure, Event, Voicemail
from voice.jobs import claiming
from voice.jobs.claiming import Claimed
from voice.jobs.kinds import JobKind, crm_kind
from voice.jobs.leases import owner_token
from voice.jobs.pool import Pool
from voice.storage import crm as store
from voice.storage import vault
from voice.storage.models import CrmConnector, CrmLink, CrmSync, User, utcnow
from voice.storage.models import Voicemail as VoicemailRow

log = logging.getLogger(__name__)
SENDERS = {CrmConnector.ZENDESK: zendesk.send, CrmConnector.HUBSPOT: hubspot.send}
LINK_IDS = ("ticket_id", "requester_id", "contact_id", "call_id", "task_id")
# A later event waits this long for its voicemail's first sync (the ticket it comments on) to go.
WAIT_FOR_CREATED_S = 5.0


def _kind(settings: Settings) -> JobKind:
    return crm_kind(settings.crm)


def claim_due(
    sm: sessionmaker[Session], settings: Settings, busy: frozenset[str] = frozenset()
) -> Claimed | None:
    """Take the sync due first, of no connector in ``busy``."""
    return claiming.claim_next(sm, _kind(settings), owner_token(), settings.crm.lease_s, skip_groups=busy)


def voicemail(session: Session, settings: Settings, vm_id: str, minimisation: str) -> Voicemail | None:
    """The voicemail as a CRM sees it: the transcript only from level ``transcript`` up, the recording's link
    only at ``recording_link``; None when it is gone."""
    item = notify_render.item(session, settings, vm_id)
    row = session.get(VoicemailRow, vm_id)
    if item is None or row is None:
        return None
    region = settings.summary.default_region
    number = row.call.from_number
    email = session.scalar(select(User.email).where(User.username == row.assignee)) if row.assignee else None
    level = store.MINIMISATION.index(minimisation) if minimisation in store.MINIMISATION else 0
    name = item.caller if item.caller not in (number, "Unknown caller") else None
    audio = row.audio_path is not None and row.audio_deleted_at is None
    return Voicemail(
        id=vm_id,
        caller_name=name,
        caller_number=(to_e164(number, region) or number) if number else None,
        callback=item.callback,
        summary=item.summary,
        urgency=item.urgency,
        intent=item.intent,
        team=item.team,
        assignee=row.assignee,
        assignee_email=email,
        link=item.link,
        received_at=item.received_at,
        transcript=notify_render._transcript(settings, row) if level >= 1 else None,
        recording_link=f"{item.link}/audio" if level >= 2 and audio else None,
    )


def save_ids(sm: sessionmaker[Session], vm_id: str, connector_id: str, **ids: str) -> None:
    """Store ids a CRM just answered with, committed at once (before the next request)."""
    for _ in range(3):
        with sm() as session:
            link = session.scalar(
                select(CrmLink).where(CrmLink.voicemail_id == vm_id, CrmLink.connector_id == connector_id)
            )
            if link is None:
                link = CrmLink(voicemail_id=vm_id, connector_id=connector_id)
                session.add(link)
            for key, value in ids.items():
                setattr(link, key, value)
            link.updated_at = utcnow()
            try:
                session.commit()
                return
            except IntegrityError:  # another attempt made the link meanwhile: write onto theirs
                session.rollback()
    raise RuntimeError(f"could not store the CRM ids of voicemail {vm_id}")


def _ids(session: Session, vm_id: str, connector_id: str) -> dict[str, str]:
    link = session.scalar(
        select(CrmLink).where(CrmLink.voicemail_id == vm_id, CrmLink.connector_id == connector_id)
    )
    return {k: v for k in LINK_IDS if link is not None and (v := getattr(link, k))}


def _first_sync(session: Session, row: CrmSync) -> str | None:
    """For a later event: None when its voicemail's first sync went; else its status."""
    if row.event == CrmSync.CREATED:
        return None
    return session.scalar(
        select(CrmSync.status).where(
            CrmSync.voicemail_id == row.voicemail_id,
            CrmSync.connector_id == row.connector_id,
            CrmSync.event == CrmSync.CREATED,
            CrmSync.status != CrmSync.SENT,
        )
    )


def _prepare(
    sm: sessionmaker[Session], session: Session, settings: Settings, claimed: Claimed
) -> Event | str | float | None:
    """The event to send; a reason to fail it; seconds to wait (its first sync has not gone yet); or None
    when it is no longer work."""
    row = session.get(CrmSync, claimed.id)
    if row is None or row.status != CrmSync.PENDING:
        return None
    connector = session.get(CrmConnector, row.connector_id)
    if connector is None or not connector.enabled:
        return "the connector is disabled"
    first = _first_sync(session, row)
    if first == CrmSync.PENDING:
        return WAIT_FOR_CREATED_S
    if first is not None:
        return "the voicemail's first sync to this connector failed; there is nothing to update"
    config = dict(connector.settings or {})
    vm = voicemail(session, settings, row.voicemail_id, str(config.get("minimisation", "summary")))
    if vm is None:
        return None
    try:
        secrets = store.opened(connector, vault.keyring(settings.storage))
    except (vault.VaultError, ValueError) as exc:
        return f"the connector's secrets cannot be read: {exc}"
    vm_id, connector_id = row.voicemail_id, row.connector_id

    def save(**ids: Any) -> None:
        save_ids(sm, vm_id, connector_id, **{k: str(v) for k, v in ids.items()})

    return Event(
        name=row.event,
        voicemail=vm,
        settings={**config, "kind": connector.kind},
        secrets=secrets,
        timeout_s=settings.crm.timeout_s,
        ids=_ids(session, vm_id, connector_id),
        retry=claimed.attempts > 1,
        save=save,
        sync_id=claimed.id,
    )


def _settle(
    sm: sessionmaker[Session], settings: Settings, claimed: Claimed, error: CrmFailure | None
) -> None:
    kind = _kind(settings)
    with sm() as session:
        if error is None:
            values = {"status": CrmSync.SENT, "sent_at": utcnow(), "last_error": None}
            if not claiming.end(session, kind, claimed.id, claimed.owner, **values):
                log.warning("crm sync %s: its lease ran out while it was sent", claimed.id)
        elif claiming.write_held(session, kind, claimed.id, claimed.owner, last_error=str(error)):
            how = "a permanent refusal" if error.permanent else f"{claimed.attempts} attempt(s)"
            reason = f"gave up after {how}: {error}"
            claiming.fail(session, kind, claimed.id, claimed.owner, permanent=error.permanent, reason=reason)
        session.commit()


def deliver_one(sm: sessionmaker[Session], claimed: Claimed, settings: Settings) -> CrmFailure | bool | None:
    """Send one claimed sync and record the outcome: True when it went, its CrmFailure when not, None when
    there was nothing to send (or it waits for its voicemail's first sync)."""
    kind = _kind(settings)
    with sm() as session:
        prepared = _prepare(sm, session, settings, claimed)
        if isinstance(prepared, str):
            if claiming.end(session, kind, claimed.id, claimed.owner):
                kind.give_up(session, claimed.id, prepared)
            session.commit()
            return CrmFailure(prepared, permanent=True)
        if prepared is None:
            session.commit()
            return None
    if isinstance(prepared, float):  # not an attempt of its own: hand it back for later
        claiming.release(sm, kind, claimed.id, claimed.owner, delay_s=prepared, refund=True)
        return None
    try:
        SENDERS[str(prepared.settings["kind"])](prepared)
    except CrmFailure as exc:
        _settle(sm, settings, claimed, exc)
        return exc
    _settle(sm, settings, claimed, None)
    return True


def check(session: Session, settings: Settings, name: str) -> str:
    """Sign in to a connector's CRM now, outside the outbox (`voice crm test`); CrmFailure when refused."""
    row = store.find(session, name)
    secrets = store.opened(row, vault.keyring(settings.storage))
    checks = {CrmConnector.ZENDESK: zendesk.check, CrmConnector.HUBSPOT: hubspot.check}
    return checks[row.kind](dict(row.settings or {}), secrets, settings.crm.timeout_s)


def _attempt(sm: sessionmaker[Session], claimed: Claimed, settings: Settings) -> None:
    result = deliver_one(sm, claimed, settings)
    if result is not None:
        log.info("crm sync %s: %s", claimed.id, "sent" if result is True else result)


class CrmSender(Pool):
    """Sends due CRM syncs; every serving process runs one (like NotificationSender), one sync per connector
    at a time, so a voicemail's events reach its CRM in order."""

    def __init__(self, settings: Settings, sm: sessionmaker[Session]) -> None:
        c = settings.crm
        claim = partial(claim_due, sm, settings)
        work = lambda claimed, _: _attempt(sm, claimed, settings)  # noqa: E731
        super().__init__("voice-crm", claim, work, c.concurrency, 1, c.poll_interval_s)
