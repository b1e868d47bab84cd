"""Who is calling: a Bearer API key, checked on every request except health checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from api.deps import get_sessionmaker
from voice.core.rate_limits import RateLimiter
from voice.storage import access, db, inbox, keys
from voice.storage.keys import Principal
from voice.storage.models import Role, Voicemail

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `voice keys create`, sent as `Authorization: Bearer vk_...`",
)


def check_key(
    session: Session,
    credentials: HTTPAuthorizationCredentials | None,
    role: str,
    limiter: RateLimiter | None = None,
) -> Principal:
    """The caller, if its key is valid and has ``role`` or a stronger one (ingest < agent < admin);
    401 or 403 otherwise, and 429 past the key's requests per minute. Sync: run it in the thread that does
    the request's database work."""
    if credentials is None:
        raise HTTPException(
            401, "an API key is required: send Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"}
        )
    who = keys.authenticate(session, credentials.credentials)
    if who is None:
        raise HTTPException(401, "the API key is invalid or revoked", {"WWW-Authenticate": "Bearer"})
    if not who.can(role):
        raise HTTPException(403, f"this needs a key with the {role} role; this key has {who.role}")
    if limiter is not None and (wait := limiter.hit(who.key_id)) is not None:
        raise HTTPException(429, "too many requests for this key; slow down", {"Retry-After": str(int(wait))})
    return who


@db.retry_on_disconnect
def _check_key(
    sm: sessionmaker[Session],
    credentials: HTTPAuthorizationCredentials | None,
    role: str,
    limiter: RateLimiter | None,
) -> Principal:
    # Its own session, closed before returning: the request holds no connection between thread-pool
    # calls, so a full pool cannot wait on threads that wait on the pool (FastAPI's known deadlock).
    with sm() as session:
        return check_key(session, credentials, role, limiter)


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through keys with ``role`` or a stronger one."""

    async def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
        sm: sessionmaker[Session] = Depends(get_sessionmaker),
    ) -> Principal:
        limiter = getattr(request.app.state, "limiter", None)
        return await run_in_threadpool(_check_key, sm, credentials, role, limiter)

    return check


def actor(who: Principal) -> str:
    """How the audit trail names an API caller."""
    return f"key:{who.name}"


as_ingest = principal = require(Role.INGEST)
as_agent = require(Role.AGENT)
as_admin = require(Role.ADMIN)


def visible_voicemail(session: Session, vm_id: str, who: Principal) -> Voicemail:
    """The voicemail, if ``who`` may see it. One outside the key's scope (another key's, another team's)
    does not exist for it: the same 404 as a missing one."""
    vm = inbox.get_voicemail(session, vm_id, access.for_key(session, who))
    if vm is None:
        raise HTTPException(404, "voicemail not found")
    return vm
