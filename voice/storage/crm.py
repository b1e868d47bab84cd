"""CRM connectors and their outbox (docs/crm.md): made, listed and deleted by `voice crm` and /v1/crm; a sync
row per voicemail, connector and event, written in the transaction that routes the voicemail, marks it
handled or makes a new revision current, and sent by voice/integrations/crm.py. Secrets (API tokens) are
sealed like notification channels' (voice/storage/channels.py) and never shown again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voice.storage import vault
from voice.storage.channels import (
    ChannelConflict,
    ChannelError,
    ChannelNotFound,
    channel_name,
    seal,
    secret_names,
    unseal,
)
from voice.storage.models import (
    CallRecord,
    CrmConnector,
    CrmLink,
    CrmSync,
    Team,
    TeamMailbox,
    Voicemail,
    utcnow,
)

# What leaves Voice besides the summary, callback number, urgency, intent and team: each level adds to the
# one before it.
MINIMISATION = ("summary", "transcript", "recording_link")
SETTINGS = {
    CrmConnector.ZENDESK: ("base_url", "subdomain", "email", "minimisation"),
    CrmConnector.HUBSPOT: ("base_url", "create_contacts", "minimisation"),
}
SECRETS = {CrmConnector.ZENDESK: ("api_token", "oauth_token"), CrmConnector.HUBSPOT: ("token",)}


class CrmError(ChannelError):
    """A connector cannot be made as asked; the message says why (422)."""


class CrmNotFound(CrmError, ChannelNotFound):
    """404 (the API answers channels' and connectors' refusals alike)."""


class CrmConflict(CrmError, ChannelConflict):
    """409: the name is taken."""


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    kind: str
    team: str | None
    mailbox: str | None
    settings: dict[str, Any]
    secrets: list[str]  # which are set, never their values
    enabled: bool
    created_at: datetime


def describe(row: CrmConnector) -> ConnectorInfo:
    return ConnectorInfo(
        row.name,
        row.kind,
        row.team,
        row.mailbox,
        dict(row.settings or {}),
        secret_names(row.secrets),
        row.enabled,
        row.created_at,
    )


def _clean(kind: str, settings: Mapping[str, Any], secrets: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(settings) - set(SETTINGS[kind])) + sorted(set(secrets) - set(SECRETS[kind]))
    if unknown:
        raise CrmError(f"a {kind} connector does not take {', '.join(unknown)}")
    clean = {k: v for k, v in settings.items() if v is not None}
    clean.setdefault("minimisation", "summary")
    if clean["minimisation"] not in MINIMISATION:
        raise CrmError(f"minimisation is one of {', '.join(MINIMISATION)}, not {clean['minimisation']!r}")
    if kind == CrmConnector.HUBSPOT:
        clean["create_contacts"] = str(clean.get("create_contacts", False)).lower() in ("1", "true", "yes")
        if "token" not in secrets:
            raise CrmError("a hubspot connector needs its private app's token")
        return clean
    if "base_url" not in clean and "subdomain" not in clean:
        raise CrmError("a zendesk connector needs its subdomain or base_url")
    if "oauth_token" not in secrets and not ("api_token" in secrets and clean.get("email")):
        raise CrmError("a zendesk connector needs an email and api_token, or an oauth_token")
    return clean


def add(
    session: Session,
    keyring: vault.Keyring | None,
    name: str,
    kind: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, Any],
    team: str | None = None,
    mailbox: str | None = None,
) -> ConnectorInfo:
    """Make a connector, in the caller's transaction."""
    name = channel_name(name)
    if kind not in CrmConnector.KINDS:
        raise CrmError(f"a connector's kind is one of {', '.join(CrmConnector.KINDS)}, not {kind!r}")
    hidden = {k: str(v) for k, v in secrets.items() if v}
    clean = _clean(kind, settings, hidden)
    if team is not None and session.scalar(select(Team.id).where(Team.name == team)) is None:
        raise CrmError(f"no team {team!r}")
    row = CrmConnector(
        name=name, kind=kind, team=team, mailbox=mailbox, settings=clean, secrets=seal(hidden, keyring)
    )
    try:
        with session.begin_nested():  # the name is unique: the database says whether it is taken
            session.add(row)
    except IntegrityError as exc:
        raise CrmConflict(f"a connector named {name!r} exists") from exc
    return describe(row)


def find(session: Session, name: str) -> CrmConnector:
    row = session.scalar(select(CrmConnector).where(CrmConnector.name == name.strip().lower()))
    if row is None:
        raise CrmNotFound(f"no connector {name!r}")
    return row


def list_connectors(session: Session) -> list[ConnectorInfo]:
    return [describe(r) for r in session.scalars(select(CrmConnector).order_by(CrmConnector.name))]


def delete(session: Session, name: str) -> None:
    """The connector goes with its unsent rows and its links; what was sent stays in the CRM."""
    session.delete(find(session, name))
    session.flush()


def opened(row: CrmConnector, keyring: vault.Keyring | None) -> dict[str, str]:
    """The connector's secrets (vault.VaultError when its key is not configured)."""
    return unseal(row.secrets, keyring)


def _scoped(session: Session, vm: Voicemail) -> list[CrmConnector]:
    """Enabled connectors whose scope takes the voicemail: its team's, its mailbox's, or unscoped ones."""
    mailbox = session.scalar(select(CallRecord.mailbox).where(CallRecord.id == vm.call_id))
    # Its team: the one routing chose, else its mailbox's (as voice/storage/access.py sees it).
    by_mailbox = select(TeamMailbox.team_id).where(TeamMailbox.mailbox == mailbox).scalar_subquery()
    team = session.scalar(select(Team.name).where(Team.id == (vm.team_id or by_mailbox)))
    unscoped = CrmConnector.team.is_(None) & CrmConnector.mailbox.is_(None)
    scope = or_(unscoped, CrmConnector.team == team, CrmConnector.mailbox == mailbox)
    return list(session.scalars(select(CrmConnector).where(CrmConnector.enabled.is_(True), scope)))


def _add_new(session: Session, vm_id: str, connector_ids: list[str], event: str, instance: str) -> int:
    """A pending row per connector not told of this event instance yet, in the caller's transaction."""
    told = set(
        session.scalars(
            select(CrmSync.connector_id).where(
                CrmSync.voicemail_id == vm_id, CrmSync.event == event, CrmSync.instance == instance
            )
        )
    )
    now = utcnow()
    rows = [
        CrmSync(voicemail_id=vm_id, connector_id=c, event=event, instance=instance, created_at=now)
        for c in connector_ids
        if c not in told
    ]
    session.add_all(rows)
    return len(rows)


def enqueue_created(session: Session, vm: Voicemail) -> int:
    """The voicemail is stored and routed: one ``created`` row per connector in scope (once ever)."""
    if vm.status != "done":
        return 0  # no speech, failed: nothing to put in a ticket
    return _add_new(session, vm.id, [c.id for c in _scoped(session, vm)], CrmSync.CREATED, "")


def _told(session: Session, vm_id: str) -> list[str]:
    """Connectors that were given this voicemail (a ``created`` row): later events go to them only."""
    query = select(CrmSync.connector_id).where(
        CrmSync.voicemail_id == vm_id, CrmSync.event == CrmSync.CREATED
    )
    return list(session.scalars(query))


def enqueue_handled(session: Session, vm_id: str) -> int:
    """An agent or a callback marked the voicemail handled: a comment, once per time it is handled."""
    times = select(func.count(func.distinct(CrmSync.instance))).where(
        CrmSync.voicemail_id == vm_id, CrmSync.event == CrmSync.HANDLED
    )
    instance = str(int(session.scalar(times) or 0) + 1)
    try:
        with session.begin_nested():
            added = _add_new(session, vm_id, _told(session, vm_id), CrmSync.HANDLED, instance)
            session.flush()
    except IntegrityError:
        # Marked handled at the same moment by someone else, who counted the same instance: their comment
        # is queued, and this mark (the same news) is not a second one. It used to end in a 500.
        return 0
    return added


def enqueue_retranscribed(session: Session, vm_id: str, revision_id: int | str) -> int:
    """A reprocess made a new revision current: a comment with the new summary, once per revision."""
    return _add_new(session, vm_id, _told(session, vm_id), CrmSync.RETRANSCRIBED, str(revision_id))


@dataclass(frozen=True)
class Sent:
    """What a voicemail became in one CRM (erasure lists it: deleting in Voice does not delete there)."""

    connector: str
    kind: str
    ids: dict[str, str]


def sent_where(session: Session, vm_id: str) -> list[Sent]:
    rows = session.execute(
        select(CrmLink, CrmConnector.name, CrmConnector.kind)
        .join(CrmConnector, CrmConnector.id == CrmLink.connector_id)
        .where(CrmLink.voicemail_id == vm_id)
        .order_by(CrmConnector.name)
    ).all()
    out = []
    for link, name, kind in rows:
        names = ("ticket_id", "requester_id", "contact_id", "call_id", "task_id")
        ids = {k: v for k in names if (v := getattr(link, k))}
        if ids:
            out.append(Sent(name, kind, ids))
    return out
