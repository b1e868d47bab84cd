"""Who is calling: a Bearer API key, checked on every request except health checks."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.deps import get_sessionmaker
from voice import db, keys
from voice.keys import Principal
from voice.models import Role

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `voice keys create`, sent as `Authorization: Bearer vk_...`",
)


@db.retry_on_disconnect
def _authenticate(sm: sessionmaker[Session], presented: str) -> Principal | None:
    # Its own session, closed before returning: the request holds no connection between thread-pool
    # calls, so a full pool cannot wait on threads that wait on the pool (FastAPI's known deadlock).
    with sm() as session:
        return keys.authenticate(session, presented)


async def principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    sm: sessionmaker[Session] = Depends(get_sessionmaker),
) -> Principal:
    if credentials is None:
        raise HTTPException(
            401, "an API key is required: send Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"}
        )
    found = await run_in_threadpool(_authenticate, sm, credentials.credentials)
    if found is None:
        raise HTTPException(401, "the API key is invalid or revoked", {"WWW-Authenticate": "Bearer"})
    return found


def require(role: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through keys with ``role`` or a stronger one (ingest < agent < admin)."""

    async def check(who: Principal = Depends(principal)) -> Principal:
        if not who.can(role):
            raise HTTPException(403, f"this needs a key with the {role} role; this key has {who.role}")
        return who

    return check


as_ingest = require(Role.INGEST)
as_agent = require(Role.AGENT)
as_admin = require(Role.ADMIN)
