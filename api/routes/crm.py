"""/v1/crm/connectors: CRM connectors (Zendesk, HubSpot) for admins, their syncs, and a sign-in test. Tokens
are write-only: sent when a connector is made, never answered (only which are set). Refusals are CrmErrors,
answered by the channels' handler (api/main.py): 404, 409 for a name taken, 422 with the reason.
docs/crm.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import as_admin
from api.deps import get_session, get_settings
from api.schemas import errors
from voice.core.config import Settings
from voice.integrations import crm as sender
from voice.integrations.crm_types import CrmFailure
from voice.storage import crm, vault
from voice.storage.keys import Principal
from voice.storage.models import CrmSync

router = APIRouter(prefix="/v1/crm", tags=["crm"], responses=errors(401, 403, 413, 422, 429, 503))

ConnectorName = Annotated[str, Path(max_length=60, description="the connector's name", examples=["zendesk"])]
SETTINGS_TEXT = (
    "zendesk: subdomain (acme for acme.zendesk.com) or base_url, email (with api_token); hubspot: base_url "
    "(default https://api.hubapi.com), create_contacts; both: minimisation (summary | transcript | "
    "recording_link; default summary)."
)
SECRETS_TEXT = "write-only. zendesk: api_token (with settings.email) or oauth_token; hubspot: token."


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class ConnectorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=60, examples=["zendesk"])
    kind: Literal["zendesk", "hubspot"]
    team: str | None = Field(None, description="only voicemails of this team")
    mailbox: str | None = Field(None, description="only voicemails of this mailbox; neither: every voicemail")
    settings: dict[str, Any] = Field(default_factory=dict, description=SETTINGS_TEXT)
    secrets: dict[str, str] = Field(default_factory=dict, description=SECRETS_TEXT)


class ConnectorOut(BaseModel):
    name: str
    kind: str
    team: str | None
    mailbox: str | None
    settings: dict[str, Any]
    secrets_set: list[str] = Field(description="which secrets are set; their values are never answered")
    enabled: bool
    created_at: datetime

    _tz = field_validator("created_at")(_aware)


class SyncOut(BaseModel):
    id: str
    voicemail_id: str
    event: str = Field(examples=["created"], description="created, handled or retranscribed")
    status: str = Field(examples=["sent"], description="pending, sent or failed")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    _tz = field_validator("next_attempt_at", "created_at", "sent_at")(_aware)


class CheckOut(BaseModel):
    ok: bool
    detail: str = Field(description="who the connector signed in as, or the CRM's refusal")


def _out(info: crm.ConnectorInfo) -> ConnectorOut:
    return ConnectorOut(
        name=info.name,
        kind=info.kind,
        team=info.team,
        mailbox=info.mailbox,
        settings=info.settings,
        secrets_set=info.secrets,
        enabled=info.enabled,
        created_at=info.created_at,
    )


@router.get("/connectors", response_model=list[ConnectorOut])
def list_connectors(
    session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> list[ConnectorOut]:
    """Every connector, secrets left out."""
    return [_out(c) for c in crm.list_connectors(session)]


@router.post(
    "/connectors", response_model=ConnectorOut, status_code=status.HTTP_201_CREATED, responses=errors(409)
)
def create_connector(
    body: ConnectorIn,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> ConnectorOut:
    """Make a connector. 409 if the name exists; 422 (with the reason) for a missing or unknown setting."""
    keyring = vault.keyring(settings.storage)
    info = crm.add(
        session,
        keyring,
        body.name,
        body.kind,
        body.settings,
        body.secrets,
        team=body.team,
        mailbox=body.mailbox,
    )
    session.commit()
    return _out(info)


@router.delete("/connectors/{connector}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
def delete_connector(
    connector: ConnectorName, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> Response:
    """Delete a connector and its syncs not sent yet; what it made stays in the CRM."""
    crm.delete(session, connector)
    session.commit()
    return Response(status_code=204)


@router.post("/connectors/{connector}/test", response_model=CheckOut, responses=errors(404))
def test_connector(
    connector: ConnectorName,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> CheckOut:
    """Sign in to the CRM now and answer how it went."""
    try:
        return CheckOut(ok=True, detail=sender.check(session, settings, connector))
    except CrmFailure as exc:
        return CheckOut(ok=False, detail=str(exc))


@router.get("/connectors/{connector}/syncs", response_model=list[SyncOut], responses=errors(404))
def connector_syncs(
    connector: ConnectorName,
    limit: int = Query(50, ge=1, le=500),
    session: Session = Depends(get_session),
    _: Principal = Depends(as_admin),
) -> list[SyncOut]:
    """The connector's latest syncs, newest first, with their attempts and last error."""
    row = crm.find(session, connector)
    found = session.scalars(
        select(CrmSync)
        .where(CrmSync.connector_id == row.id)
        .order_by(CrmSync.created_at.desc(), CrmSync.id)
        .limit(limit)
    )
    return [SyncOut.model_validate(s, from_attributes=True) for s in found]
