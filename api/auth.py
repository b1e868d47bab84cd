"""Who is calling: a Bearer API key, checked on every request except health checks."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.deps import get_session
from voice import keys
from voice.keys import Principal
from voice.models import Role

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `voice keys create`, sent as `Authorization: Bearer vk_...`",
)


def principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    session: Session = Depends(get_session),
) -> Principal:
    if credentials is None:
        raise HTTPException(
            401, "an API key is required: send Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"}
        )
    found = keys.authenticate(session, credentials.credentials)
    if found is None:
        raise HTTPException(401, "the API key is invalid or revoked", {"WWW-Authenticate": "Bearer"})
    return found


def require(role: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through keys with ``role`` or a stronger one (ingest < agent < admin)."""

    def check(who: Principal = Depends(principal)) -> Principal:
        if not who.can(role):
            raise HTTPException(403, f"this needs a key with the {role} role; this key has {who.role}")
        return who

    return check


as_ingest = require(Role.INGEST)
as_agent = require(Role.AGENT)
as_admin = require(Role.ADMIN)
