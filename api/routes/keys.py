"""/v1/keys: API keys, for admins. A key's secret is shown once, when it is created."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.orm import Session

from api.auth import as_admin
from api.deps import get_session, get_settings
from api.schemas import KeyCreated, KeyId, KeyIn, KeyOut, errors
from voice.audio import urlguard
from voice.core.config import Settings
from voice.core.errors import VoicemailError
from voice.storage import keys
from voice.storage.keys import Principal
from voice.storage.models import ApiKey

router = APIRouter(
    prefix="/v1/keys",
    tags=["keys"],
    responses=errors(401, 403, 413, 422, 429, 503, 404),  # every route here can answer these
)


def _out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        role=row.role,
        prefix=row.prefix,
        webhook_url=row.webhook_url,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.get("", response_model=list[KeyOut])
def list_keys(session: Session = Depends(get_session), _: Principal = Depends(as_admin)) -> list[KeyOut]:
    """Every key, revoked ones too; never the secrets."""
    return [_out(row) for row in keys.list_keys(session)]


@router.post("", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_key(
    body: KeyIn,
    session: Session = Depends(get_session),
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_admin),
) -> KeyCreated:
    """Create a key; the response is the only place its secret and webhook secret appear."""
    if body.webhook_url:
        try:
            urlguard.check_url(body.webhook_url, settings.fetch.allow_networks, what="webhook_url")
        except VoicemailError as exc:
            raise HTTPException(422, str(exc)) from exc
    try:
        new = keys.create_key(session, body.name, body.role, body.webhook_url)
    except keys.ApiKeyError as exc:  # a blank name, or one with a line break or a tab
        raise HTTPException(422, str(exc)) from exc
    session.commit()
    row = session.get(ApiKey, new.id)
    assert row is not None
    return KeyCreated(**_out(row).model_dump(), key=new.key, webhook_secret=new.webhook_secret)


@router.delete("/{key_id}", response_model=KeyOut, responses={404: {"description": "no such key"}})
def revoke_key(
    key_id: KeyId, session: Session = Depends(get_session), _: Principal = Depends(as_admin)
) -> KeyOut:
    """Revoke a key: it stops working at once; its voicemails stay."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise HTTPException(404, "key not found")
    keys.revoke_key(session, row.id)
    session.commit()
    return _out(row)
